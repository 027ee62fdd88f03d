import {
  AiUseCasesService,
  IdentityService,
  IngestTokensService,
  InjectConfig,
  type IssuedIngestTokenView,
  LiveMeasuresService,
  LiveSettingsService,
  WatchAlertsService,
} from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import {
  allowedLiveActions,
  assertCanChangeLiveSettings,
  assertCanReadLive,
  assertCanRevokeIngestToken,
  DomainError,
  type FieldProblem,
  LIVE_SETTINGS_LIMITS,
} from '@gatehouse/domain';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import {
  liveBanner,
  measuresView,
  otelSnippet,
  readSettingsForm,
  readTokenName,
  settingsErrors,
  type SettingsFormValues,
  settingsFormValues,
  settingsRows,
  tokenErrors,
  tokenRows,
  warnsUnredacted,
  watchView,
} from './live-pages';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { pageId, webContext, type WebRequest } from './web-session';

/** What a render of the page carries beyond what it reads: a form's values and problems, a new token. */
interface PageState {
  settingsValues?: SettingsFormValues;
  settingsProblems?: readonly FieldProblem[];
  tokenName?: string;
  tokenProblems?: readonly FieldProblem[];
  issued?: IssuedIngestTokenView;
  status?: number;
}

/** Days of live measures the page shows (today included). */
const MEASURE_PAGE_DAYS = 14;

const isValidation = (error: unknown): error is DomainError =>
  error instanceof DomainError && error.code === 'validation_failed';

/**
 * The live use page of an AI use case: its live settings (a form for the owning team), its ingest tokens
 * (create one, shown once; revoke one after a confirmation page) and how to send traces. Access is the
 * live services': a use case the user cannot see is a 404 page, a refusal a 403 page with the reason.
 * It also shows the watch (alerts, re-evaluations) and the measures derived from the last
 * MEASURE_PAGE_DAYS days of live use (live/_watch.njk, live/_measures.njk).
 */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller('ai-use-cases')
export class LivePagesController {
  constructor(
    private readonly aiUseCases: AiUseCasesService,
    private readonly tokens: IngestTokensService,
    private readonly settings: LiveSettingsService,
    private readonly identity: IdentityService,
    private readonly measures: LiveMeasuresService,
    private readonly watch: WatchAlertsService,
    private readonly renderer: WebRenderer,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  @Get(':id/live')
  async show(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.render(req, res, pageId(id, 'The AI use case'));
  }

  @Post(':id/live/settings')
  async saveSettings(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const context = webContext(req);
    const useCaseId = pageId(id, 'The AI use case');
    const form = readSettingsForm(req.body);
    try {
      if (form.problems.length > 0) {
        // Who may is checked first, so a refusal is the same whatever the form held.
        const useCase = await this.aiUseCases.get(context.actor, useCaseId);
        assertCanChangeLiveSettings(context.actor, {
          ownerTeamId: useCase.ownerTeam.id,
          stage: useCase.stage,
        });
        throw DomainError.validation(form.problems);
      }
      await this.settings.update(context, useCaseId, form.body);
    } catch (error) {
      if (!isValidation(error)) {
        throw error;
      }
      return this.render(req, res, useCaseId, {
        settingsValues: form.values,
        settingsProblems: error.problems,
        status: 400,
      });
    }
    res.redirect(303, `/ai-use-cases/${useCaseId}/live?done=settings#settings`);
  }

  /** Creates a token and shows it on this response only (never in a URL, never again). */
  @Post(':id/live/tokens')
  async mint(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const context = webContext(req);
    const useCaseId = pageId(id, 'The AI use case');
    const name = readTokenName(req.body);
    try {
      const issued = await this.tokens.mint(context, useCaseId, { name });
      await this.render(req, res, useCaseId, { issued, status: 201 });
    } catch (error) {
      if (!isValidation(error)) {
        throw error;
      }
      await this.render(req, res, useCaseId, { tokenName: name, tokenProblems: error.problems, status: 400 });
    }
  }

  @Get(':id/live/tokens/:tokenId/revoke')
  async confirmRevoke(
    @Req() req: WebRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
  ): Promise<void> {
    const { actor } = webContext(req);
    const useCase = await this.aiUseCases.get(actor, pageId(id, 'The AI use case'));
    assertCanRevokeIngestToken(actor, { ownerTeamId: useCase.ownerTeam.id, stage: useCase.stage });
    const list = await this.tokens.list(actor, useCase.id);
    const token = list.items.find((t) => t.id === pageId(tokenId, 'The ingest token'));
    if (!token) {
      throw DomainError.notFound('The ingest token');
    }
    this.renderer.send(res, req, 'live/revoke.njk', {
      title: `Revoke the ingest token ${token.name}`,
      useCase,
      token,
    });
  }

  @Post(':id/live/tokens/:tokenId/revoke')
  async revoke(
    @Req() req: WebRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
  ): Promise<void> {
    const useCaseId = pageId(id, 'The AI use case');
    const reason = typeof req.body?.['reason'] === 'string' ? req.body['reason'].trim() : '';
    await this.tokens.revoke(
      webContext(req),
      useCaseId,
      pageId(tokenId, 'The ingest token'),
      reason ? { reason } : undefined,
    );
    res.redirect(303, `/ai-use-cases/${useCaseId}/live?done=revoked#tokens`);
  }

  private async render(req: WebRequest, res: Response, useCaseId: string, state: PageState = {}) {
    const { actor } = webContext(req);
    const useCase = await this.aiUseCases.get(actor, useCaseId);
    const ownership = { ownerTeamId: useCase.ownerTeam.id, stage: useCase.stage };
    assertCanReadLive(actor, ownership);
    const context = webContext(req);
    const today = new Date();
    const from = new Date(today.getTime() - (MEASURE_PAGE_DAYS - 1) * 86_400_000);
    const [settings, tokens, measures, alerts, reevaluations] = await Promise.all([
      this.settings.get(actor, useCase.id),
      this.tokens.list(actor, useCase.id),
      this.measures.measures(
        actor,
        useCase.id,
        from.toISOString().slice(0, 10),
        today.toISOString().slice(0, 10),
      ),
      this.watch.list(context, useCase.id),
      this.watch.reevaluations(context, useCase.id),
    ]);
    const names = await this.userNames([
      ...tokens.items.map((t) => t.createdBy),
      ...(settings.updatedBy ? [settings.updatedBy] : []),
    ]);
    const endpoint = `${this.config.http.publicUrl}/v1/otlp/v1/traces`;
    const settingsForm = settingsErrors(state.settingsProblems ?? []);
    const tokenForm = tokenErrors(state.tokenProblems ?? []);
    this.renderer.send(
      res,
      req,
      'live/show.njk',
      {
        title: `Live use of ${useCase.name}`,
        useCase,
        may: allowedLiveActions(actor, ownership),
        settings,
        settingsUpdatedByName: settings.updatedBy ? names.get(settings.updatedBy) : null,
        settingsRows: settingsRows(settings),
        unredacted: warnsUnredacted(settings),
        values: state.settingsValues ?? settingsFormValues(settings),
        limits: LIVE_SETTINGS_LIMITS,
        tokens: tokenRows(tokens, names),
        tokenCount: tokens,
        tokenName: state.tokenName ?? '',
        issued: state.issued ?? null,
        endpoint,
        snippet: otelSnippet(endpoint, state.issued?.token ?? null),
        errors: [...settingsForm.errors, ...tokenForm.errors],
        fieldErrors: { ...settingsForm.fieldErrors, ...tokenForm.fieldErrors },
        banner: liveBanner(req.query),
        measures: measuresView(measures),
        watch: watchView(alerts, reevaluations),
      },
      state.status ?? 200,
    );
  }

  /** Display names of the users behind ids (an id that is no longer a user shows as itself). */
  private async userNames(ids: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>([['system', 'Gatehouse']]);
    for (const id of new Set(ids)) {
      if (!names.has(id)) {
        names.set(
          id,
          await this.identity.getUser(id).then(
            (u) => u.name,
            () => id,
          ),
        );
      }
    }
    return names;
  }
}
