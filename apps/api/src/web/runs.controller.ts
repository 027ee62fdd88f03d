import {
  AiUseCasesService,
  IdentityService,
  ReviewSamplesService,
  RunComparisonService,
  RunsService,
  WebSessionsService,
  type RunView,
} from '@gatehouse/application';
import { type Actor, DomainError } from '@gatehouse/domain';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { streamRunEvents } from '../runs/run-events';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { pageNumber } from './ai-use-case-pages';
import { comparisonRows, FAILED_PAGE_SIZE, type RunComparisonView, runPageView } from './run-pages';
import { pageId, SESSION_COOKIE, webContext, type WebRequest } from './web-session';

/**
 * The run report page, its live progress (server-sent events for the browser's EventSource, which sends
 * the session cookie but no bearer token) and the cancel form. Visibility and permissions are the
 * RunsService's: a hidden run is a 404 page, a refused cancel a 403 page.
 */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller('runs')
export class RunPagesController {
  constructor(
    private readonly runs: RunsService,
    private readonly comparisons: RunComparisonService,
    private readonly aiUseCases: AiUseCasesService,
    private readonly identity: IdentityService,
    private readonly renderer: WebRenderer,
    private readonly sessions: WebSessionsService,
    private readonly reviewSamples: ReviewSamplesService,
  ) {}

  @Get(':id')
  async show(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const actor = webContext(req).actor;
    const run = await this.runs.get(actor, pageId(id, 'The run'));
    const requested = pageNumber(req.query['page']);
    const [starter, useCase, failed, comparison, reviewSamples] = await Promise.all([
      this.identity.getUser(run.createdBy).then(
        (user) => user.name,
        () => 'an unknown user',
      ),
      run.aiUseCaseId
        ? this.aiUseCases.get(actor, run.aiUseCaseId).then(
            (u) => ({ id: u.id, name: u.name, ownerTeamId: u.ownerTeam.id as string | null }),
            () => ({ id: run.aiUseCaseId, name: 'the AI use case', ownerTeamId: null }),
          )
        : null,
      run.report ? this.failedPage(actor, run.id, requested) : null,
      run.report && run.baselineRunId ? this.comparison(actor, run) : null,
      run.report ? this.reviewSamples.list(actor, run.id) : [],
    ]);
    this.renderer.send(
      res,
      req,
      'runs/show.njk',
      runPageView({ actor, run, starter, useCase, failed, comparison, reviewSamples }),
    );
  }

  /**
   * Progress as server-sent events, as /v1/runs/:id/events sends them: `progress` whenever it changes, then
   * `done` with the whole run. Written by hand rather than with @Sse: the visibility check must answer with
   * an error page before any header is sent, which Nest's SSE stream (started before an async handler has
   * settled, behind interceptors) does not guarantee.
   */
  @Get(':id/events')
  async events(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const actor = webContext(req).actor;
    const runId = pageId(id, 'The run');
    await this.runs.get(actor, runId); // 404 / 403 as a page, before the stream opens
    const recheck = async () => (await this.sessions.resolve(req.cookies?.[SESSION_COOKIE]))?.actor ?? null;
    await streamRunEvents(req, res, this.runs, { actor, recheck }, runId);
  }

  @Post(':id/cancel')
  async cancel(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const runId = pageId(id, 'The run');
    const raw = req.body?.['reason'];
    const reason = typeof raw === 'string' && raw.trim() ? raw.trim() : undefined;
    if (reason && reason.length > 2000) {
      throw DomainError.validation([
        { field: 'reason', message: 'The reason must be 2000 characters or fewer', code: 'too_long' },
      ]);
    }
    await this.runs.cancel(webContext(req), runId, reason);
    res.redirect(303, `/runs/${runId}`);
  }

  /** A page of the items with a failed score; past the last page, the last page. */
  private async failedPage(actor: Actor, runId: string, page: number) {
    const read = (n: number) =>
      this.runs.results(actor, runId, {
        status: 'failed',
        limit: FAILED_PAGE_SIZE,
        offset: (n - 1) * FAILED_PAGE_SIZE,
      });
    const first = await read(page);
    const last = Math.max(1, Math.ceil(first.total / FAILED_PAGE_SIZE));
    return page > last ? { ...(await read(last)), page: last } : { ...first, page };
  }

  /** The paired comparison with the baseline run, or why there is none (hidden, other items…). */
  private async comparison(actor: Actor, run: RunView): Promise<RunComparisonView> {
    const baselineId = run.baselineRunId as string;
    try {
      const { metrics } = await this.comparisons.compare(actor, baselineId, run.id);
      return { baselineId, error: null, rows: comparisonRows(metrics, run) };
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'unauthenticated') {
        return { baselineId, error: error.message, rows: [] };
      }
      throw error;
    }
  }
}
