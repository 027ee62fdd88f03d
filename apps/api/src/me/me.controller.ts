import { type RequestContext, WorkService } from '@gatehouse/application';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../auth/auth.decorators';
import { WorkDto, WorkQueryDto } from './me.dto';

/** What concerns the signed-in user. */
@ApiTags('me')
@Authenticated()
@Controller('v1/me')
export class MeController {
  constructor(private readonly work: WorkService) {}

  @Get('work')
  @ZodResponse({
    status: 200,
    type: WorkDto,
    description:
      'Waiting for me: evaluations you may decide, evidence going stale, and your team’s rejected evaluations and failed runs.',
  })
  list(@Ctx() ctx: RequestContext, @Query() query: WorkQueryDto) {
    return this.work.forActor(ctx.actor, { withinDays: query.withinDays });
  }
}
