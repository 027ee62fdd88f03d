import { IdentityService, type RequestContext } from '@gatehouse/application';
import { assertSelfOrAdmin } from '@gatehouse/domain';
import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import {
  ApiTokenDto,
  ApiTokenListDto,
  CreatedUserDto,
  CreateUserDto,
  IssuedApiTokenDto,
  IssueTokenDto,
  RevokeTokenDto,
  UpdateUserDto,
  UserDto,
  UserListQueryDto,
  UserPageDto,
} from './identity.dto';

@ApiTags('identity')
@Authenticated()
@Controller('v1')
export class UsersController {
  constructor(private readonly identity: IdentityService) {}

  @Post('users')
  @Roles('admin')
  @ZodResponse({
    status: 201,
    type: CreatedUserDto,
    description: 'The user and their first API token (shown once).',
  })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateUserDto) {
    return this.identity.createUser(ctx, body);
  }

  @Get('users')
  @Roles('admin')
  @ZodResponse({ type: UserPageDto })
  async list(@Query() query: UserListQueryDto) {
    return {
      ...(await this.identity.listUsers(query.limit, query.offset)),
      limit: query.limit,
      offset: query.offset,
    };
  }

  @Get('users/me')
  @ZodResponse({ type: UserDto })
  me(@Ctx() ctx: RequestContext) {
    return this.identity.getUser(ctx.actor.id);
  }

  @Get('users/:id')
  @ZodResponse({ type: UserDto })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    assertSelfOrAdmin(ctx.actor, id, 'Reading another user');
    return this.identity.getUser(id);
  }

  @Patch('users/:id')
  @Roles('admin')
  @ZodResponse({ type: UserDto })
  update(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: UpdateUserDto) {
    return this.identity.updateUser(ctx, id, body);
  }

  @Get('users/:id/tokens')
  @ZodResponse({ type: ApiTokenListDto })
  tokens(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.identity.listTokens(ctx, id);
  }

  @Post('users/:id/tokens')
  @ZodResponse({ status: 201, type: IssuedApiTokenDto, description: 'The new token (shown once).' })
  issueToken(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: IssueTokenDto) {
    return this.identity.issueToken(ctx, id, body);
  }

  @Post('tokens/:id/revoke')
  @ZodResponse({ status: 200, type: ApiTokenDto })
  revokeToken(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: RevokeTokenDto) {
    return this.identity.revokeToken(ctx, id, body.reason);
  }
}
