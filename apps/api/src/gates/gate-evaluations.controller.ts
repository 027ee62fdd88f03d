import { GateDecisionsService, GateEvaluationsService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { GateDecisionDto, GateEvaluationDto, GateEvaluationVerificationDto } from './gates.dto';

@ApiTags('gates')
@Authenticated()
@Controller('v1/gate-evaluations')
export class GateEvaluationsController {
  constructor(
    private readonly evaluations: GateEvaluationsService,
    private readonly decisions: GateDecisionsService,
  ) {}

  @Get(':id')
  @ZodResponse({ type: GateEvaluationDto })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.evaluations.get(ctx.actor, id);
  }

  /** Re-derives the evaluation from the stored rows and compares the hash. */
  @Get(':id/verification')
  @ZodResponse({ type: GateEvaluationVerificationDto })
  verify(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.evaluations.verify(ctx.actor, id);
  }

  /** An independent reviewer approves or rejects the evaluation (separation of duties in the domain). */
  @Post(':id/approvals')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: GateEvaluationDto })
  decide(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: GateDecisionDto) {
    return this.decisions.decide(ctx, id, body);
  }
}
