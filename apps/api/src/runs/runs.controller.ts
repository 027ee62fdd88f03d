import { RunsService, type RequestContext, type RunView } from '@gatehouse/application';
import { Body, Controller, Get, type MessageEvent, Param, Post, Query, Res, Sse } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Observable } from 'rxjs';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
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

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);
const EVENT_POLL_MS = 500;

@ApiTags('runs')
@Authenticated()
@Controller('v1/runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

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

  @Sse(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-sent events: `progress` ({status, progress, outcome}) whenever it changes, then `done` with the whole run once it is completed, cancelled or failed.',
  })
  async events(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto): Promise<Observable<MessageEvent>> {
    await this.runs.get(ctx.actor, id); // 404 / 403 before the stream opens
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      let sequence = 0;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const send = (type: string, data: object) =>
        subscriber.next({ type, id: String(++sequence), data, retry: 2000 });
      const tick = async () => {
        let run: RunView;
        try {
          run = await this.runs.get(ctx.actor, id);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const progress = { id: run.id, status: run.status, progress: run.progress, outcome: run.outcome };
        const key = JSON.stringify(progress);
        if (key !== last) {
          last = key;
          send('progress', progress);
        }
        if (TERMINAL.has(run.status) && (run.report !== null || run.status === 'failed')) {
          send('done', run);
          subscriber.complete();
        } else if (!closed) {
          timer = setTimeout(() => void tick(), EVENT_POLL_MS);
        }
      };
      void tick();
      return () => {
        closed = true;
        clearTimeout(timer);
      };
    });
  }

  @Get(':a/compare/:b')
  @ZodResponse({
    type: RunComparisonDto,
    description:
      'Run b against the baseline a, item by item: McNemar exact test for pass/fail metrics, paired bootstrap for scores.',
  })
  compare(@Ctx() ctx: RequestContext, @Param() { a, b }: CompareParamsDto) {
    return this.runs.compare(ctx.actor, a, b);
  }
}
