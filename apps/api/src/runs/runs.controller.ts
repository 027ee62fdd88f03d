import {
  IdentityService,
  RunComparisonService,
  RunsService,
  type RequestContext,
} from '@gatehouse/application';
import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { streamRunEvents } from './run-events';
import {
  CancelRunDto,
  CompareParamsDto,
  ResultsQueryDto,
  RunComparisonDto,
  RunDto,
  RunListQueryDto,
  RunPageDto,
  RunResultPageDto,
  StartRunDto,
} from './runs.dto';

@ApiTags('runs')
@Authenticated()
@Controller('v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly comparison: RunComparisonService,
    private readonly identity: IdentityService,
  ) {}

  @Post()
  @Roles('engineer', 'service_team')
  @ZodResponse({
    status: 202,
    type: RunDto,
    description: 'The run, queued: follow it at /v1/runs/{id} or /v1/runs/{id}/events.',
  })
  async start(
    @Ctx() ctx: RequestContext,
    @Body() body: StartRunDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const run = await this.runs.start(ctx, body);
    res.location(`/v1/runs/${run.id}`);
    return run;
  }

  @Get()
  @ZodResponse({ type: RunPageDto })
  async list(@Ctx() ctx: RequestContext, @Query() query: RunListQueryDto) {
    return { ...(await this.runs.list(ctx.actor, query)), limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  @ZodResponse({ type: RunDto })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.runs.get(ctx.actor, id);
  }

  @Get(':id/results')
  @ZodResponse({ type: RunResultPageDto, description: 'One row per item and epoch, in dataset order.' })
  async results(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Query() query: ResultsQueryDto) {
    return { ...(await this.runs.results(ctx.actor, id, query)), limit: query.limit, offset: query.offset };
  }

  @Post(':id/cancel')
  @ZodResponse({
    status: 200,
    type: RunDto,
    description: 'The cancelled run; its partial results are kept and marked.',
  })
  cancel(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: CancelRunDto) {
    return this.runs.cancel(ctx, id, body.reason);
  }

  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-sent events: `progress` ({status, progress, outcome}) whenever it changes, then `done` with the whole run once it is completed, cancelled or failed.',
  })
  async events(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.runs.get(ctx.actor, id); // 404 / 403 as problem+json, before the stream opens
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const recheck = () => this.identity.authenticate(token);
    await streamRunEvents(req, res, this.runs, { actor: ctx.actor, recheck }, id);
  }

  @Get(':a/compare/:b')
  @ZodResponse({
    type: RunComparisonDto,
    description:
      'Run b against the baseline a, item by item: McNemar exact test for pass/fail metrics, paired bootstrap for scores.',
  })
  compare(@Ctx() ctx: RequestContext, @Param() { a, b }: CompareParamsDto) {
    return this.comparison.compare(ctx.actor, a, b);
  }
}
