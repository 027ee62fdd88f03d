import { WORK_WITHIN_DAYS, WorkService } from '@gatehouse/application';
import { hasRole } from '@gatehouse/domain';
import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { webContext, type WebRequest } from './web-session';

const { min, max } = WORK_WITHIN_DAYS;
const DAYS_ERROR = `Enter a whole number of days from ${min} to ${max}`;

/** "Waiting for me": what waits for the signed-in reviewer and for their team, as GET /v1/me/work lists it. */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller('work')
export class WorkPagesController {
  constructor(
    private readonly work: WorkService,
    private readonly renderer: WebRenderer,
  ) {}

  @Get()
  async show(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const { actor } = webContext(req);
    const raw = req.query['withinDays'];
    // Absent or left empty: the default window. Repeated (`?withinDays=1&withinDays=2`) or nested: refused.
    const asked = raw === undefined ? '' : typeof raw === 'string' ? raw.trim() : null;
    const withinDays = asked === '' ? WORK_WITHIN_DAYS.default : Number(asked);
    const valid =
      asked !== null && /^\d{1,3}$/.test(String(withinDays)) && withinDays >= min && withinDays <= max;
    const work = await this.work.forActor(actor, {
      withinDays: valid ? withinDays : WORK_WITHIN_DAYS.default,
    });
    this.renderer.send(
      res,
      req,
      'work/index.njk',
      {
        title: 'Waiting for me',
        work,
        reviewer: hasRole(actor, 'reviewer'),
        seesAllEvidence: hasRole(actor, 'reviewer', 'admin'),
        withinDaysValue: valid ? String(withinDays) : (asked ?? '').slice(0, 20),
        withinDaysError: valid ? null : DAYS_ERROR,
        errors: valid ? [] : [{ text: DAYS_ERROR, href: '#withinDays' }],
      },
      valid ? 200 : 400,
    );
  }
}
