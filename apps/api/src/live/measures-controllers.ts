import { LiveMeasuresService, type RequestContext } from '@gatehouse/application';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { LiveMeasuresDto, LiveMeasuresQueryDto } from './measures/live-measures.dto';

/** The pilot measures derived from a use case's live use (anyone who may see the use case). */
@ApiTags('live')
@Authenticated()
@Controller('v1/ai-use-cases')
export class LiveMeasuresController {
  constructor(private readonly measures: LiveMeasuresService) {}

  /** Daily aggregates of live use over a period of UTC days (both included, at most 400). */
  @Get(':id/live-measures')
  @ZodResponse({ type: LiveMeasuresDto })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Query() query: LiveMeasuresQueryDto) {
    return this.measures.measures(ctx.actor, id, query.from, query.to);
  }
}

export const MEASURES_CONTROLLERS = [LiveMeasuresController];
