import { ConnectionsService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import {
  ConnectionDto,
  ConnectionListDto,
  CreateConnectionDto,
  LangChainModuleListDto,
  UpdateConnectionDto,
} from './connections.dto';

/**
 * Provider connections (admin-managed): where platform targets and judges may call, and with which
 * secret. Everyone signed in sees the connections their team may use, never a secret.
 */
@ApiTags('connections')
@Authenticated()
@Controller('v1')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get('connections')
  @ZodResponse({ type: ConnectionListDto })
  async list(@Ctx() ctx: RequestContext) {
    return { items: await this.connections.list(ctx.actor) };
  }

  @Post('connections')
  @Roles('admin')
  @ZodResponse({ status: 201, type: ConnectionDto })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateConnectionDto) {
    return this.connections.create(ctx, body);
  }

  @Get('connections/:name')
  @ZodResponse({ type: ConnectionDto })
  get(@Ctx() ctx: RequestContext, @Param('name') name: string) {
    return this.connections.get(ctx.actor, name);
  }

  @Patch('connections/:name')
  @Roles('admin')
  @ZodResponse({ type: ConnectionDto })
  update(@Ctx() ctx: RequestContext, @Param('name') name: string, @Body() body: UpdateConnectionDto) {
    return this.connections.update(ctx, name, body);
  }

  @Delete('connections/:name')
  @Roles('admin')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('name') name: string): Promise<void> {
    await this.connections.remove(ctx, name);
  }

  /** The LangChain modules the operator registered: platform targets name one of these, never a path. */
  @Get('langchain-modules')
  @ZodResponse({ type: LangChainModuleListDto })
  modules() {
    return { items: this.connections.modules().map((name) => ({ name })) };
  }
}
