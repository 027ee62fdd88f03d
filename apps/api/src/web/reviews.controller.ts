import {
  ItemReviewsService,
  type ReviewItemView,
  ReviewSamplesService,
  RunsService,
} from '@gatehouse/application';
import { type Actor, DomainError } from '@gatehouse/domain';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import {
  drawErrors,
  type DrawFormValues,
  formFromReview,
  importErrors,
  itemPageView,
  pagePosition,
  readDrawForm,
  readReviewForm,
  type ReviewFormValues,
  reportGroupKeys,
  reviewErrors,
  sampleBanner,
  samplePageView,
} from './review-pages';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { pageId, webContext, type WebRequest } from './web-session';

const DEFAULT_DRAW: DrawFormValues = {
  size: '',
  seed: '',
  groupKey: '',
  failureWeight: '3',
  judgedWeight: '2',
};

const SAVED_ELSEWHERE =
  'You saved a review of this item in another tab or window after this page loaded. Check your answers and save again to supersede it.';

/** A refusal of the input (400, or 409 when another tab saved first) is shown on the form; others are pages. */
const isFormError = (error: unknown): error is DomainError =>
  error instanceof DomainError && (error.code === 'validation_failed' || error.code === 'conflict');

/**
 * The review pages: a sample (its design, your progress, the statistics, export and import), drawing one
 * from a run, and reviewing its items one at a time, blind. Access is the review services': a sample the
 * user cannot see is a 404 page, a refusal a 403 page with the service's reason.
 */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller()
export class ReviewPagesController {
  constructor(
    private readonly samples: ReviewSamplesService,
    private readonly reviews: ItemReviewsService,
    private readonly runs: RunsService,
    private readonly renderer: WebRenderer,
  ) {}

  @Get('runs/:id/review-samples/new')
  async drawForm(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.renderDraw(req, res, webContext(req).actor, pageId(id, 'The run'), DEFAULT_DRAW, [], 200);
  }

  @Post('runs/:id/review-samples')
  async draw(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const { actor } = webContext(req);
    const runId = pageId(id, 'The run');
    const form = readDrawForm(req.body);
    if (form.problems.length > 0) {
      return this.renderDraw(req, res, actor, runId, form.values, form.problems, 400);
    }
    try {
      const sample = await this.samples.draw(actor, runId, form.body);
      res.redirect(303, `/review-samples/${sample.id}`);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'validation_failed')) {
        throw error;
      }
      await this.renderDraw(req, res, actor, runId, form.values, error.problems, 400);
    }
  }

  @Get('review-samples/:id')
  async show(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const sample = await this.samples.get(webContext(req).actor, pageId(id, 'The review sample'));
    const view = samplePageView(sample, { banner: sampleBanner(req.query) });
    this.renderer.send(res, req, 'reviews/sample.njk', view);
  }

  /** The reviews as JSONL, for labelling elsewhere (blind, as the service exports them). */
  @Get('review-samples/:id/reviews.jsonl')
  async export(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const sampleId = pageId(id, 'The review sample');
    const body = await this.reviews.exportJsonl(webContext(req).actor, sampleId);
    res.status(200).type('application/x-ndjson').setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', `attachment; filename="reviews-${sampleId}.jsonl"`);
    res.send(body);
  }

  @Post('review-samples/:id/import')
  async import(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const { actor } = webContext(req);
    const sampleId = pageId(id, 'The review sample');
    const text = typeof req.body?.['jsonl'] === 'string' ? req.body['jsonl'] : '';
    try {
      const { imported } = await this.reviews.importJsonl(actor, sampleId, text);
      res.redirect(303, `/review-samples/${sampleId}?imported=${imported}`);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'validation_failed')) {
        throw error;
      }
      const view = samplePageView(await this.samples.get(actor, sampleId), {
        errors: importErrors(error),
        importText: text,
      });
      this.renderer.send(res, req, 'reviews/sample.njk', view, 400);
    }
  }

  @Get('review-samples/:id/items/:position')
  async item(
    @Req() req: WebRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Param('position') position: string,
  ): Promise<void> {
    const item = await this.reviews.item(
      webContext(req).actor,
      pageId(id, 'The review sample'),
      pagePosition(position),
    );
    this.renderer.send(res, req, 'reviews/item.njk', itemPageView(item, formFromReview(item)));
  }

  /** Saves the review, then on to the next item the reviewer has not reviewed (or the sample, when done). */
  @Post('review-samples/:id/items/:position')
  async record(
    @Req() req: WebRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Param('position') position: string,
  ): Promise<void> {
    const { actor } = webContext(req);
    const sampleId = pageId(id, 'The review sample');
    const at = pagePosition(position);
    const item = await this.reviews.item(actor, sampleId, at);
    const form = readReviewForm(item, req.body);
    try {
      if (form.problems.length > 0) {
        throw DomainError.validation(form.problems);
      }
      await this.reviews.record(actor, sampleId, at, form.body, 'web');
    } catch (error) {
      return this.refusedReview(req, res, actor, item, form.values, error);
    }
    const next = (await this.reviews.item(actor, sampleId, at)).nextUnreviewed;
    const sample = `/review-samples/${sampleId}`;
    res.redirect(303, next === null ? `${sample}?done=reviewed` : `${sample}/items/${next}`);
  }

  /**
   * A review the page or the service refused for its input: the form again, with what the reviewer typed
   * and an error summary. When another tab saved first (409), what is current now, to save over knowingly.
   */
  private async refusedReview(
    req: WebRequest,
    res: Response,
    actor: Actor,
    item: ReviewItemView,
    values: ReviewFormValues,
    error: unknown,
  ): Promise<void> {
    if (!isFormError(error)) {
      throw error;
    }
    const conflict = error.code === 'conflict';
    const current = conflict ? await this.reviews.item(actor, item.sampleId, item.position) : item;
    const problems = conflict ? [{ field: '', message: SAVED_ELSEWHERE }] : error.problems;
    const view = itemPageView(
      current,
      { ...values, supersedesId: current.yourReview?.id ?? '' },
      reviewErrors(current, problems),
    );
    this.renderer.send(res, req, 'reviews/item.njk', view, conflict ? 409 : 400);
  }

  private async renderDraw(
    req: WebRequest,
    res: Response,
    actor: Actor,
    runId: string,
    values: DrawFormValues,
    problems: { field: string; message: string; code?: string }[],
    status: number,
  ): Promise<void> {
    const run = await this.runs.get(actor, runId);
    const groupKeys = reportGroupKeys(run.report);
    const { errors, fieldErrors } = drawErrors(problems.map((p) => ({ code: 'invalid', ...p })));
    this.renderer.send(
      res,
      req,
      'reviews/draw.njk',
      {
        title: 'Draw a review sample',
        run,
        values,
        errors,
        fieldErrors,
        groupItems: [
          { value: '', text: 'Do not stratify by a group' },
          ...groupKeys.map((key) => ({ value: key, text: key })),
        ],
      },
      status,
    );
  }
}
