import {
  AiUseCasesService,
  type AiUseCaseView,
  GateDecisionsService,
  GateEvaluationsService,
  type GateEvaluationView,
  IdentityService,
  LiveSettingsService,
  StageChangesService,
  watchWeakeningToTell,
} from '@gatehouse/application';
import {
  type Actor,
  allowedAiUseCaseActions,
  decisionRefusal,
  DEFAULT_LIVE_SETTINGS,
  DomainError,
  promotionRefusal,
} from '@gatehouse/domain';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { WebSessionGuard } from './web-session.guard';
import { pageId, webContext, type WebRequest } from './web-session';

const HASH = /^[0-9a-f]{64}$/;
const REASON_MAX = 4000;

type Tag = { text: string; classes: string };
type Decision = 'approve' | 'reject';

const RULE_TAGS: Record<string, Tag> = {
  pass: { text: 'Pass', classes: 'govuk-tag--green' },
  fail: { text: 'Fail', classes: 'govuk-tag--red' },
  missing: { text: 'Missing', classes: 'govuk-tag--yellow' },
};
const VERDICT_TAGS: Record<string, Tag> = {
  pass: { text: 'Pass', classes: 'govuk-tag--green' },
  fail: { text: 'Fail', classes: 'govuk-tag--red' },
};
const APPROVAL_TAGS: Record<string, Tag> = {
  pending: { text: 'Pending', classes: 'govuk-tag--blue' },
  approved: { text: 'Approved', classes: 'govuk-tag--green' },
  rejected: { text: 'Rejected', classes: 'govuk-tag--red' },
};
const DECISION_TAGS: Record<Decision, Tag> = {
  approve: { text: 'Approved', classes: 'govuk-tag--green' },
  reject: { text: 'Rejected', classes: 'govuk-tag--red' },
};
const STATUS: Record<string, number> = {
  validation_failed: 400,
  forbidden: 403,
  separation_of_duties: 403,
  conflict: 409,
  invalid_state: 409,
  precondition_failed: 412,
};

/** Refusals, in plain English: why this person cannot do this, and what happens instead. */
const EXPLANATIONS: Record<string, (ctx: { team: string; message: string }) => string> = {
  approver_needs_reviewer_role: () =>
    'Only assurance reviewers approve or reject a gate. Your account does not have the reviewer role.',
  approver_in_owning_team: ({ team }) =>
    `You are in ${team}, the team that owns this AI use case. Its gates must be decided by a reviewer from outside the team, so that nobody signs off their own team’s work.`,
  approver_proposed_transition: () =>
    'You asked for this gate evaluation. Someone who did not propose the move must decide on it.',
  approver_started_evidence_run: () =>
    'You started a run this evaluation uses as evidence. A reviewer who did not produce the evidence must decide on it.',
  approver_authored_suite: () =>
    'You published a test suite this evaluation uses. A reviewer who did not write the tests must decide on it.',
  approver_not_signed_in_via_oidc: () =>
    'This gate counts only decisions made after signing in through your organisation’s identity provider, and you signed in with an API token. Sign out, sign in with the identity provider button on the sign-in page, and decide here.',
  one_decision_per_reviewer: () =>
    'You have already decided on this evaluation. Each reviewer decides once; your decision stands.',
  signed_hash_matches: () =>
    'The evaluation you signed is not the one on this page. Read the evaluation below and decide again.',
  evaluation_current: ({ message }) => `${message} Decisions are made on the current evaluation only.`,
  evaluation_not_rejected: ({ message }) => message,
  evaluation_passed: ({ message }) => message,
  evaluation_approved: ({ message }) => message,
  promotion_by_owning_service_team: () =>
    'Only the service team that owns this AI use case can move it through a gate.',
  promotion_conflict: () =>
    'The AI use case changed while you were promoting it (someone else may have promoted it first). Reload the page to see where it is now.',
};

interface PageState {
  status?: number;
  /** Error summary entries. */
  errors?: { text: string; href: string }[];
  fieldErrors?: { decision?: string; reason?: string };
  values?: { decision?: string; reason?: string };
  /** A refused action, explained where the action is. */
  refusal?: { action: 'decide' | 'promote'; text: string; rule: string | null } | null;
}

/** The gate page: the rule-by-rule checklist, the reviewers' decisions, and promotion for the owning team. */
@ApiExcludeController()
@Public()
@UseGuards(WebSessionGuard)
@UseFilters(WebExceptionFilter)
@Controller('gate-evaluations')
export class GatePagesController {
  constructor(
    private readonly evaluations: GateEvaluationsService,
    private readonly decisions: GateDecisionsService,
    private readonly stageChanges: StageChangesService,
    private readonly aiUseCases: AiUseCasesService,
    private readonly identity: IdentityService,
    private readonly liveSettings: LiveSettingsService,
    private readonly renderer: WebRenderer,
  ) {}

  @Get(':id')
  async show(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.page(req, res, pageId(id, 'The gate evaluation'), {});
  }

  /** A reviewer approves or rejects the evaluation they read (its hash travels with the form). */
  @Post(':id/decisions')
  async decide(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const evaluationId = pageId(id, 'The gate evaluation');
    const body = req.body ?? {};
    const decision = typeof body['decision'] === 'string' ? body['decision'] : '';
    const reason = typeof body['reason'] === 'string' ? body['reason'] : '';
    const values = { decision, reason };
    const fieldErrors = formErrors(decision, reason);
    if (fieldErrors.decision || fieldErrors.reason) {
      await this.page(req, res, evaluationId, { status: 400, fieldErrors, values });
      return;
    }
    const hash = typeof body['evaluationHash'] === 'string' ? body['evaluationHash'] : '';
    try {
      await this.decisions.decide(webContext(req), evaluationId, {
        decision,
        reason: reason.trim(),
        // A form without the hash it was rendered with did not come from this page: it signs nothing.
        evaluationHash: HASH.test(hash) ? hash : '',
      });
    } catch (error) {
      if (!(error instanceof DomainError) || !(error.code in STATUS)) {
        throw error;
      }
      if (error.code === 'validation_failed') {
        const fields = new Set(error.problems.map((p) => p.field));
        await this.page(req, res, evaluationId, {
          status: 400,
          fieldErrors: formErrors(fields.has('decision') ? '' : decision, fields.has('reason') ? '' : reason),
          values,
        });
        return;
      }
      await this.refused(req, res, evaluationId, error, 'decide', values);
      return;
    }
    res.redirect(303, `/gate-evaluations/${evaluationId}?decided=${decision}`);
  }

  /** The owning service team moves the use case through the gate of this (passing, approved) evaluation. */
  @Post(':id/promotion')
  async promote(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const evaluationId = pageId(id, 'The gate evaluation');
    const context = webContext(req);
    const evaluation = await this.evaluations.get(context.actor, evaluationId);
    try {
      await this.stageChanges.promote(context, evaluation.aiUseCaseId, evaluationId);
    } catch (error) {
      if (!(error instanceof DomainError) || !(error.code in STATUS)) {
        throw error;
      }
      await this.refused(req, res, evaluationId, error, 'promote', {});
      return;
    }
    res.redirect(303, `/ai-use-cases/${evaluation.aiUseCaseId}?promoted=${evaluation.to}`);
  }

  /**
   * How the pilot (or wider use) this gate opens will be watched: the use case's live settings where they
   * watch less closely than Gatehouse's defaults, or store text with personal data in it. A team may set
   * them while at test, when nobody is told; the reviewers approving the move to learn or scale see them
   * here. Null when the actor may not read the live settings.
   */
  private async liveWatchPanel(actor: Actor, aiUseCaseId: string) {
    let settings;
    try {
      settings = await this.liveSettings.get(actor, aiUseCaseId);
    } catch (error) {
      if (error instanceof DomainError) {
        return null;
      }
      throw error;
    }
    const weaker = watchWeakeningToTell('learn', DEFAULT_LIVE_SETTINGS, settings);
    return {
      href: `/ai-use-cases/${aiUseCaseId}/live`,
      changes: weaker?.changes ?? [],
      redactionOff: weaker?.redactionOff ?? false,
    };
  }

  private async refused(
    req: WebRequest,
    res: Response,
    evaluationId: string,
    error: DomainError,
    action: 'decide' | 'promote',
    values: PageState['values'],
  ): Promise<void> {
    await this.page(req, res, evaluationId, {
      status: STATUS[error.code],
      values,
      refusal: { action, text: error.message, rule: error.rule ?? null },
    });
  }

  private async page(req: WebRequest, res: Response, id: string, state: PageState): Promise<void> {
    const actor = webContext(req).actor;
    const evaluation = await this.evaluations.get(actor, id);
    const [useCase, proposer, independence, liveWatch] = await Promise.all([
      this.aiUseCases.get(actor, evaluation.aiUseCaseId),
      this.identity.getUser(evaluation.createdBy).then(
        (user) => user.name,
        () => 'an unknown user',
      ),
      this.decisions.independenceRefusal(actor, id),
      evaluation.to === 'learn' || evaluation.to === 'scale'
        ? this.liveWatchPanel(actor, evaluation.aiUseCaseId)
        : null,
    ]);
    const team = useCase.ownerTeam.name;
    const explain = (rule: string | null, message: string) =>
      (rule && EXPLANATIONS[rule]?.({ team, message })) || message;

    const refusal = state.refusal
      ? { ...state.refusal, text: explain(state.refusal.rule, state.refusal.text) }
      : null;
    let decisionForm = decisionPanel(actor, evaluation, independence, explain);
    if (refusal?.action === 'decide' && !(decisionForm.allowed && refusal.rule === 'signed_hash_matches')) {
      // The service refused (a forged form, or a decision made in another tab): say why where the form was.
      decisionForm = { ...decisionForm, shown: true, allowed: false, why: refusal.text, rule: refusal.rule };
    }
    const promotion =
      promotionPanel(actor, evaluation, useCase) ??
      (refusal?.action === 'promote'
        ? { allowed: false, label: `Promote to ${evaluation.to}`, why: null }
        : null);
    const fieldErrors = state.fieldErrors ?? {};
    const errors = [
      ...(fieldErrors.decision ? [{ text: fieldErrors.decision, href: '#decision' }] : []),
      ...(fieldErrors.reason ? [{ text: fieldErrors.reason, href: '#reason' }] : []),
      ...(refusal
        ? [{ text: refusal.text, href: refusal.action === 'decide' ? '#decide' : '#promote' }]
        : []),
    ];
    const notPassing = evaluation.rules.filter((r) => r.verdict !== 'pass').length;
    const approvers = new Set(
      evaluation.approvals.decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId),
    );
    const rejection = evaluation.approvals.decisions.find((d) => d.decision === 'reject') ?? null;

    this.renderer.send(
      res,
      req,
      'gates/show.njk',
      {
        title: `${evaluation.kind === 'reapproval' ? 'Re-approval' : 'Gate'} to ${evaluation.to}: ${useCase.name}`,
        evaluation,
        useCase,
        liveWatch,
        proposer: evaluation.createdBy === actor.id ? `${proposer} (you)` : proposer,
        verdictTag: VERDICT_TAGS[evaluation.verdict],
        verdictText:
          notPassing === 0
            ? `All ${evaluation.rules.length} rules pass.`
            : `${notPassing} of ${evaluation.rules.length} rules do not pass.`,
        rules: evaluation.rules.map((rule) => ({
          title: rule.title,
          tag: RULE_TAGS[rule.verdict] ?? { text: rule.verdict, classes: 'govuk-tag--grey' },
          reason: rule.reason,
          actual: rule.actual,
          runId: rule.runId,
        })),
        approvalTag: APPROVAL_TAGS[evaluation.approvals.state],
        approvalCount: approvers.size,
        rejection,
        decisions: evaluation.approvals.decisions.map((d) => ({
          ...d,
          tag: DECISION_TAGS[d.decision],
          you: d.approverId === actor.id,
        })),
        decisionForm,
        promotion,
        errors,
        fieldErrors,
        values: state.values ?? {},
        refusal,
        ...banner(req.query['decided'], req.query['unchanged'] === '1' && evaluation.standing.current),
      },
      state.status ?? 200,
    );
  }
}

/** What the page says above the evaluation after a decision, or after a gate check that changed nothing. */
function banner(decided: unknown, unchanged: boolean): { banner: string | null; bannerType?: 'success' } {
  if (decided === 'approve' || decided === 'reject') {
    return {
      banner: `You ${decided === 'approve' ? 'approved' : 'rejected'} this evaluation. Your reason is recorded below.`,
      bannerType: 'success',
    };
  }
  return {
    banner: unchanged
      ? 'Nothing the gate reads has changed since this evaluation, so it still stands, with the reviewers’ decisions below. A change to the record, the target, the runs, the pilot data or the human reviews it reads gives a new evaluation.'
      : null,
  };
}

/** Whether the signed-in user may decide, on what, and if not, why: the domain's rules, before they try. */
function decisionPanel(
  actor: Actor,
  evaluation: GateEvaluationView,
  /** Why the actor may not approve on independence grounds, as the service checks it (the same rule). */
  independence: { rule: string; message: string } | null,
  explain: (rule: string | null, message: string) => string,
): {
  shown: boolean;
  allowed: boolean;
  options: Decision[];
  why: string | null;
  rule: string | null;
  hint: string | null;
} {
  const none = { shown: false, allowed: false, options: [] as Decision[], why: null, rule: null, hint: null };
  if (independence?.rule === 'approver_needs_reviewer_role') {
    return none; // the team and others see the decisions, not a form they could never use
  }
  const refuse = (rule: string, message: string) => ({
    ...none,
    shown: true,
    why: explain(rule, message),
    rule,
  });
  if (independence) {
    return refuse(independence.rule, independence.message);
  }
  const mine = evaluation.approvals.decisions.find((d) => d.approverId === actor.id);
  if (mine) {
    return {
      ...refuse('one_decision_per_reviewer', ''),
      why: `You ${mine.decision === 'approve' ? 'approved' : 'rejected'} this evaluation. Each reviewer decides once; your decision stands.`,
    };
  }
  const standing = decisionRefusal(
    evaluation.standing,
    evaluation.verdict,
    evaluation.approvals.state,
    'reject',
  );
  if (standing) {
    return refuse(standing.rule, standing.message);
  }
  const canApprove =
    decisionRefusal(evaluation.standing, evaluation.verdict, evaluation.approvals.state, 'approve') === null;
  return {
    shown: true,
    allowed: true,
    options: canApprove ? ['approve', 'reject'] : ['reject'],
    why: null,
    rule: null,
    hint: canApprove ? null : 'This evaluation failed its rules: you can reject it, not approve it.',
  };
}

/** The promotion form for the owning service team, or why the gate cannot be passed yet. */
function promotionPanel(actor: Actor, evaluation: GateEvaluationView, useCase: AiUseCaseView) {
  if (!allowedAiUseCaseActions(actor, { ownerTeamId: useCase.ownerTeam.id, stage: useCase.stage }).promote) {
    return null;
  }
  if (!evaluation.promotable && !evaluation.standing.current) {
    return null; // the warning at the top of the page already says it no longer counts
  }
  const approvers = new Set(
    evaluation.approvals.decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId),
  );
  const blocked = evaluation.promotable
    ? null
    : promotionRefusal(evaluation.standing, evaluation.verdict, evaluation.approvals.state, {
        have: approvers.size,
        need: evaluation.approvals.required,
      });
  return {
    allowed: evaluation.promotable,
    label:
      evaluation.kind === 'reapproval'
        ? `Confirm the change at ${evaluation.to}`
        : `Promote to ${evaluation.to}`,
    why: blocked?.message ?? null,
  };
}

function formErrors(decision: string, reason: string): { decision?: string; reason?: string } {
  const errors: { decision?: string; reason?: string } = {};
  if (decision !== 'approve' && decision !== 'reject') {
    errors.decision = 'Select whether you approve or reject this evaluation';
  }
  const trimmed = reason.trim();
  if (!trimmed) {
    errors.reason = 'Enter a reason: what you checked, or why you reject it';
  } else if (trimmed.length < 3) {
    errors.reason = 'The reason must be 3 characters or more';
  } else if (trimmed.length > REASON_MAX) {
    errors.reason = `The reason must be ${REASON_MAX} characters or fewer`;
  }
  return errors;
}
