import {
  AiUseCasesService,
  GateEvaluationsService,
  PilotObservationsService,
  type RequestContext,
  StageChangesService,
  TransparencyService,
} from '@gatehouse/application';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { AiUseCaseDto, RegisterTargetDto } from '../ai-use-cases/ai-use-cases.dto';
import { Authenticated, Ctx } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { AuditRefusals } from './audit-refusals.interceptor';
import {
  EvaluateGateDto,
  GateEvaluationDto,
  GateEvaluationListDto,
  PilotObservationDto,
  PilotObservationListDto,
  PilotObservationViewDto,
  PromoteDto,
  PublishedTransparencyRecordDto,
  PublishTransparencyRecordDto,
  StageChangeListDto,
  StageChangeResultDto,
  StepBackDto,
} from './gates.dto';

/** The gate side of an AI use case: its target, gate evaluations, stage changes and pilot evidence. */
@ApiTags('gates')
@Authenticated()
@Controller('v1/ai-use-cases')
export class AiUseCaseGatesController {
  constructor(
    private readonly gateEvaluations: GateEvaluationsService,
    private readonly stages: StageChangesService,
    private readonly pilots: PilotObservationsService,
    private readonly aiUseCases: AiUseCasesService,
    private readonly transparency: TransparencyService,
  ) {}

  /** Publishes (or republishes) the ATRS-shaped record to the public register; refreshed on every stage change. */
  @Post(':id/transparency-record')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: PublishedTransparencyRecordDto })
  async publish(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: PublishTransparencyRecordDto,
  ) {
    const published = await this.transparency.publish(ctx, id, body);
    return { ...published, record: { ...published.record } };
  }

  /** Registers the system under test; at learn or scale a change puts the use case under change. */
  @Put(':id/target')
  @ZodResponse({ type: AiUseCaseDto })
  registerTarget(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: RegisterTargetDto) {
    return this.aiUseCases.registerTarget(ctx, id, body);
  }

  /**
   * Evaluates the gate now: 201 with a new evaluation, or 200 with the standing one (and its reviewers'
   * decisions) when nothing the gate reads has changed since it, so re-checking never voids approvals.
   */
  @Post(':id/gate-evaluations')
  @AuditRefusals('gate.evaluate', 'ai_use_case')
  @ZodResponse({
    status: 201,
    type: GateEvaluationDto,
    description: 'A new evaluation: something the gate reads changed. It supersedes the earlier ones.',
  })
  @ApiResponse({
    status: 200,
    type: GateEvaluationDto.Output,
    description:
      'Nothing the gate reads has changed since the latest evaluation (the hash is the same): that evaluation, ' +
      'with its approvals and rejections. Nothing is written.',
  })
  async evaluate(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: EvaluateGateDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { evaluation, created } = await this.gateEvaluations.evaluate(ctx, id, body.to);
    res.status(created ? 201 : 200);
    return evaluation;
  }

  @Get(':id/gate-evaluations')
  @ZodResponse({ type: GateEvaluationListDto, description: 'Newest first (at most 100).' })
  evaluations(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.gateEvaluations.list(ctx.actor, id);
  }

  /** Moves the stage through a current, passing, fully approved evaluation. Exactly one concurrent promotion wins. */
  @Post(':id/promotions')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: StageChangeResultDto })
  promote(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: PromoteDto) {
    return this.stages.promote(ctx, id, body.evaluationId);
  }

  /** Demotion to an earlier stage, or retirement; a reason is required. */
  @Post(':id/stage-changes')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: StageChangeResultDto })
  stepBack(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: StepBackDto) {
    return this.stages.stepBack(ctx, id, body);
  }

  @Get(':id/stage-changes')
  @ZodResponse({ type: StageChangeListDto })
  stageChanges(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.stages.list(ctx.actor, id);
  }

  @Post(':id/pilot-observations')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: PilotObservationViewDto })
  recordPilot(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: PilotObservationDto) {
    return this.pilots.record(ctx, id, body);
  }

  @Get(':id/pilot-observations')
  @ZodResponse({ type: PilotObservationListDto })
  pilot(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.pilots.list(ctx.actor, id);
  }
}
