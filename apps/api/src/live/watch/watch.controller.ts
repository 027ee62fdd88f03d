import { type RequestContext, WatchAlertsService } from '@gatehouse/application';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../../auth/auth.decorators';
import { IdParamDto } from '../../http/common.dto';
import {
  ReevaluationListDto,
  ResolveWatchAlertDto,
  WatchAlertDto,
  WatchAlertListDto,
  WatchAlertQueryDto,
} from './watch.dto';

/** A use case's watch alerts and scheduled re-evaluations: whoever may see the use case. */
@ApiTags('live')
@Authenticated()
@Controller('v1/ai-use-cases')
export class AiUseCaseWatchController {
  constructor(private readonly alerts: WatchAlertsService) {}

  @Get(':id/watch-alerts')
  @ZodResponse({ type: WatchAlertListDto, description: "The use case's watch alerts." })
  async list(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Query() query: WatchAlertQueryDto) {
    return { items: await this.alerts.list(ctx, id, query) };
  }

  @Get(':id/reevaluations')
  @ZodResponse({ type: ReevaluationListDto, description: "The use case's scheduled re-evaluations." })
  async reevaluations(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return { items: await this.alerts.reevaluations(ctx, id) };
  }
}

/** Resolving a watch alert by hand: an independent reviewer, or the owning team for drift and expiring evidence. */
@ApiTags('live')
@Authenticated()
@Controller('v1/watch-alerts')
export class WatchAlertsController {
  constructor(private readonly alerts: WatchAlertsService) {}

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiBody({ type: ResolveWatchAlertDto })
  @ZodResponse({ type: WatchAlertDto, description: 'The alert, resolved (audited).' })
  resolve(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: unknown) {
    return this.alerts.resolve(ctx, id, body);
  }
}
