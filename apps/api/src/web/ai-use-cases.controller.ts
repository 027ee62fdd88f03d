import {
  AiUseCasesService,
  type AiUseCaseView,
  GateEvaluationsService,
  IdentityService,
  RegistryService,
  type RequestContext,
  RunsService,
  StageChangesService,
  TransparencyService,
} from '@gatehouse/application';
import {
  allowedAiUseCaseActions,
  assertCanReadAiUseCaseAuditTrail,
  assertCanRegisterAiUseCase,
  DomainError,
  type FieldProblem,
  isGateTarget,
  mayRegisterAiUseCases,
  nextGate,
  RISK_TIERS,
  type Stage,
  STAGES,
} from '@gatehouse/domain';
import { AuditLogRepository } from '@gatehouse/persistence';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import {
  errorSummary,
  type FormValues,
  formErrors,
  formOptions,
  formValues,
  inlineErrors,
  recordFromForm,
} from './ai-use-case-form';
import {
  actionInWords,
  PAGE_SIZE,
  pageNumber,
  pagination,
  STAGE_TAG,
  stageSteps,
  summaryRows,
  TIER_TAG,
} from './ai-use-case-pages';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { isUuid, pageId, webContext, type WebRequest } from './web-session';

/**
 * The AI use case pages: the list, the register form, the detail page and the audit trail. Every read and
 * change goes through the application services with the signed-in user as the actor, so the pages see and
 * do exactly what the JSON API lets that user see and do (another team's draft is "not found" here too).
 */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller('ai-use-cases')
export class AiUseCasesWebController {
  constructor(
    private readonly aiUseCases: AiUseCasesService,
    private readonly runs: RunsService,
    private readonly gateEvaluations: GateEvaluationsService,
    private readonly stageChanges: StageChangesService,
    private readonly identity: IdentityService,
    private readonly auditLog: AuditLogRepository,
    private readonly renderer: WebRenderer,
    private readonly registry: RegistryService,
    private readonly transparency: TransparencyService,
  ) {}

  @Get()
  async list(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const { actor } = webContext(req);
    const teams = await this.identity.listTeams();
    const stage = pick(req.query['stage'], STAGES);
    const riskTier = pick(req.query['riskTier'], RISK_TIERS);
    const teamId = teams.find((t) => isUuid(req.query['teamId']) && t.id === req.query['teamId'])?.id;
    const page = pageNumber(req.query['page']);
    const { items, total } = await this.aiUseCases.list(actor, {
      stage,
      riskTier,
      teamId,
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
    });
    const filters = { stage, riskTier, teamId };
    this.renderer.send(res, req, 'ai-use-cases/list.njk', {
      items: items.map((item) => ({
        ...item,
        stageTag: STAGE_TAG[item.stage],
        tierTag: TIER_TAG[item.riskTier],
      })),
      total,
      first: total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1,
      last: (page - 1) * PAGE_SIZE + items.length,
      filtered: Boolean(stage || riskTier || teamId),
      filters,
      stageItems: choiceItems(STAGES, stage, 'Any stage'),
      tierItems: choiceItems(RISK_TIERS, riskTier, 'Any risk tier'),
      teamItems: [
        { value: '', text: 'Any team' },
        ...teams.map((t) => ({ value: t.id, text: t.name, selected: t.id === teamId })),
      ],
      pagination: pagination('/ai-use-cases', filters, page, total),
      canRegister: mayRegisterAiUseCases(actor),
    });
  }

  @Get('new')
  registerForm(@Req() req: WebRequest, @Res() res: Response): void {
    assertMayRegister(webContext(req));
    this.showForm(req, res, {}, [], 200);
  }

  @Post()
  async register(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const ctx = webContext(req);
    assertMayRegister(ctx);
    const values = formValues(req.body);
    const built = recordFromForm(values);
    let problems: FieldProblem[] = built.problems;
    if (built.record) {
      try {
        const view = await this.aiUseCases.register(ctx, { record: built.record });
        res.redirect(303, `/ai-use-cases/${view.id}`);
        return;
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== 'validation_failed') {
          throw error;
        }
        problems = error.problems;
      }
    }
    this.showForm(req, res, values, problems, 400);
  }

  @Get(':id')
  async detail(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.showDetail(req, res, id);
  }

  /**
   * The team's own actions on the detail page: register a suite's target as the system under test, start
   * an evaluation run, record a risk, publish the transparency record. Each goes through the service that
   * decides who may (a refusal is the error page with its rule), then back with Post/Redirect/Get.
   */
  @Post(':id/target')
  async registerTarget(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const suite = await this.suiteFromForm(req);
    if (!suite) {
      await this.showDetail(
        req,
        res,
        id,
        { suite: 'Select the suite whose target is the system under test' },
        400,
      );
      return;
    }
    await this.aiUseCases.registerTarget(webContext(req), pageId(id, 'The AI use case'), {
      target: suite.definition.target,
      reason: `The target of suite ${suite.name}@${suite.version}`,
    });
    res.redirect(303, `/ai-use-cases/${id}?done=target`);
  }

  @Post(':id/runs')
  async startRun(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const suite = await this.suiteFromForm(req);
    if (!suite) {
      await this.showDetail(req, res, id, { runSuite: 'Select the suite to run' }, 400);
      return;
    }
    const run = await this.runs.start(webContext(req), {
      suite: { name: suite.name, version: suite.version },
      aiUseCaseId: pageId(id, 'The AI use case'),
    });
    res.redirect(303, `/runs/${run.id}`);
  }

  @Post(':id/risks')
  async addRisk(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const form = req.body ?? {};
    const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
    const level = (name: string) => (['low', 'medium', 'high'].includes(text(name)) ? text(name) : '');
    const risk = {
      description: text('riskDescription'),
      likelihood: level('riskLikelihood'),
      impact: level('riskImpact'),
      mitigation: text('riskMitigation'),
    };
    const errors: Record<string, string> = {};
    if (!risk.description) {
      errors['riskDescription'] = 'Describe the risk';
    }
    if (!risk.likelihood) {
      errors['riskLikelihood'] = 'Select how likely it is';
    }
    if (!risk.impact) {
      errors['riskImpact'] = 'Select how much harm it would do';
    }
    if (!risk.mitigation) {
      errors['riskMitigation'] = 'Describe how the risk is reduced';
    }
    if (Object.keys(errors).length > 0) {
      await this.showDetail(req, res, id, errors, 400, risk);
      return;
    }
    const ctx = webContext(req);
    const current = await this.aiUseCases.get(ctx.actor, pageId(id, 'The AI use case'));
    await this.aiUseCases.update(ctx, current.id, {
      changes: { risks: [...current.record.risks, risk] },
      reason: 'Risk recorded',
      expectedRevision: current.revision,
    });
    res.redirect(303, `/ai-use-cases/${id}?done=risk#risks`);
  }

  @Post(':id/transparency-record')
  async publish(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.transparency.publish(webContext(req), pageId(id, 'The AI use case'), {});
    res.redirect(303, `/public/transparency-records/${id}`);
  }

  private async suiteFromForm(req: WebRequest) {
    const value = req.body?.['suite'];
    const match = typeof value === 'string' ? /^([a-z0-9][a-z0-9._-]{0,79})@(\d{1,9})$/.exec(value) : null;
    return match ? this.registry.suite(match[1], Number(match[2])).catch(() => null) : null;
  }

  private async showDetail(
    req: WebRequest,
    res: Response,
    id: string,
    formErrors: Record<string, string> = {},
    status = 200,
    riskValues: Record<string, string> = {},
  ): Promise<void> {
    const { actor } = webContext(req);
    const view = await this.aiUseCases.get(actor, pageId(id, 'The AI use case'));
    const [revisions, runs, evaluations, stageChanges, suites] = await Promise.all([
      this.aiUseCases.revisions(actor, view.id),
      this.runs.list(actor, { aiUseCaseId: view.id, limit: PAGE_SIZE, offset: 0 }),
      this.gateEvaluations.list(actor, view.id),
      this.stageChanges.list(actor, view.id),
      this.registry.listSuites({ limit: 200, offset: 0 }),
    ]);
    const names = await this.userNames([
      ...revisions.map((r) => r.changedBy),
      ...runs.items.map((r) => r.createdBy),
      ...evaluations.map((e) => e.createdBy),
      ...stageChanges.map((c) => c.changedBy),
    ]);
    const may = allowedAiUseCaseActions(actor, { ownerTeamId: view.ownerTeam.id, stage: view.stage });
    const done = typeof req.query['done'] === 'string' ? req.query['done'] : '';
    this.renderer.send(
      res,
      req,
      'ai-use-cases/detail.njk',
      {
        useCase: view,
        stageTag: STAGE_TAG[view.stage],
        tierTag: TIER_TAG[view.riskTier],
        steps: stageSteps(view.stage),
        rows: summaryRows(view),
        gateChecks: may.proposeGate ? gateChecks(view) : [],
        canSeeAudit: may.readAuditTrail,
        revisions: revisions.map((r) => ({ ...r, changedByName: names.get(r.changedBy) })),
        runs: runs.items.map((r) => ({ ...r, createdByName: names.get(r.createdBy) })),
        runsTotal: runs.total,
        evaluations: evaluations.map((e) => ({
          ...e,
          createdByName: names.get(e.createdBy),
          approvedCount: e.approvals.decisions.filter((d) => d.decision === 'approve').length,
        })),
        stageChanges: stageChanges.map((c) => ({ ...c, changedByName: names.get(c.changedBy) })),
        teamActions: {
          evidence: may.registerTarget,
          record: may.edit,
          suites: suites.items.map((suite) => ({
            value: `${suite.name}@${suite.version}`,
            text: `${suite.name}@${suite.version}`,
          })),
          errors: formErrors,
          errorList: Object.entries(formErrors).map(([field, text]) => ({ text, href: `#${field}` })),
          risk: riskValues,
        },
        done:
          { target: 'The target is registered.', risk: 'The risk is recorded.' }[done] ??
          (typeof req.query['promoted'] === 'string' && STAGES.includes(req.query['promoted'] as Stage)
            ? `Promoted to ${req.query['promoted']}.`
            : null),
      },
      status,
    );
  }

  /**
   * "Check the gate to <stage>": evaluates now (the service checks who may) and shows the evaluation; when
   * nothing has changed since the latest one, shows that one, saying so. A `to` that is no gate target is
   * refused by the service too, so it is audited and answered as any refused evaluation.
   */
  @Post(':id/gate-evaluations')
  async evaluate(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const context = webContext(req);
    const useCaseId = pageId(id, 'The AI use case');
    const to: unknown = req.body?.['to'];
    const { evaluation, created } = isGateTarget(to)
      ? await this.gateEvaluations.evaluate(context, useCaseId, to)
      : await this.gateEvaluations.refuseUnknownTarget(context, useCaseId);
    res.redirect(303, `/gate-evaluations/${evaluation.id}${created ? '' : '?unchanged=1'}`);
  }

  /**
   * The use case's audit trail. The JSON API's /v1/audit-events is for reviewers and admins only, since it
   * spans every team and every subject. This page shows one use case's events, which the owning team
   * caused or received, so its members (any role) may read it too: it is how a team checks what was done
   * in its name. Anyone else who can see the use case (another team, once it is past `proposed`) gets 403;
   * anyone who cannot see it gets 404 from the service, as on the detail page. The chain's verify status is
   * the whole chain's (the hash chain is one list), showing only counts and the first broken link.
   */
  @Get(':id/audit')
  async audit(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const { actor } = webContext(req);
    const view = await this.aiUseCases.get(actor, pageId(id, 'The AI use case'));
    assertCanReadAiUseCaseAuditTrail(actor, { ownerTeamId: view.ownerTeam.id, stage: view.stage });
    const page = pageNumber(req.query['page']);
    const [events, chain] = await Promise.all([
      this.auditLog.list({ subjectId: view.id }, PAGE_SIZE, (page - 1) * PAGE_SIZE),
      this.auditLog.verify(),
    ]);
    this.renderer.send(res, req, 'ai-use-cases/audit.njk', {
      useCase: view,
      events: events.items.map((e) => ({ ...e, words: actionInWords(e.action, e.after) })),
      total: events.total,
      chain,
      pagination: pagination(`/ai-use-cases/${view.id}/audit`, {}, page, events.total),
    });
  }

  private showForm(
    req: WebRequest,
    res: Response,
    values: FormValues,
    problems: readonly FieldProblem[],
    status: number,
  ): void {
    const errors = formErrors(problems, values);
    this.renderer.send(
      res,
      req,
      'ai-use-cases/new.njk',
      {
        values,
        errors: errorSummary(errors),
        fieldErrors: inlineErrors(errors),
        options: formOptions(),
      },
      status,
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

/** The register form is for service teams (the service decides the rest: own team, valid record). */
function assertMayRegister(ctx: RequestContext): void {
  if (!mayRegisterAiUseCases(ctx.actor)) {
    assertCanRegisterAiUseCase(ctx.actor, ctx.actor.teamId ?? '');
  }
}

function pick<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : undefined;
}

function choiceItems(values: readonly string[], selected: string | undefined, any: string) {
  return [
    { value: '', text: any },
    ...values.map((value) => ({
      value,
      text: value.charAt(0).toUpperCase() + value.slice(1),
      selected: value === selected,
    })),
  ];
}

/** The gates to offer to whoever may ask for an evaluation: the next, and the current again while under change or review. */
function gateChecks(view: AiUseCaseView): { to: Stage; text: string }[] {
  const checks: { to: Stage; text: string }[] = [];
  const next = nextGate(view.stage);
  if (next) {
    checks.push({ to: next, text: `Check the gate to ${next}` });
  }
  if (
    (view.underChangeSince || view.underReviewSince) &&
    (view.stage === 'learn' || view.stage === 'scale')
  ) {
    checks.push({ to: view.stage, text: `Check the gate to ${view.stage} again (re-approval)` });
  }
  return checks;
}
