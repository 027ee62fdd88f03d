import { GatePoliciesService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../auth/auth.decorators';
import { GatePolicyDto, GatePolicyListDto, PolicyVersionParamDto } from './gates.dto';

@ApiTags('gates')
@Authenticated()
@Controller('v1/gate-policies')
export class GatePoliciesController {
  constructor(private readonly policies: GatePoliciesService) {}

  @Get()
  @ZodResponse({ type: GatePolicyListDto, description: 'Every policy version, newest (current) first.' })
  list() {
    return this.policies.list();
  }

  @Get(':version')
  @ZodResponse({ type: GatePolicyDto })
  get(@Param() { version }: PolicyVersionParamDto) {
    return this.policies.get(version);
  }

  /** Admins only (checked in the service, so a refused attempt is audited). */
  @Post()
  @ApiBody({
    description:
      'A complete policy: {description?, gates: [{tier, to, rules: [...]}]} with a gate for every tier and target. Published as the next version.',
    schema: { type: 'object' },
  })
  @ZodResponse({ status: 201, type: GatePolicyDto })
  create(@Ctx() ctx: RequestContext, @Body() body: unknown) {
    return this.policies.create(ctx, body);
  }
}
