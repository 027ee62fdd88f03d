import {
  type Actor,
  approvalState,
  canViewAiUseCase,
  daysUntil,
  decisionRefusal,
  DomainError,
  hasRole,
} from '@gatehouse/domain';
import {
  GateRepository,
  type GateEvaluationEntity,
  TeamRepository,
  type Tx,
  UnitOfWork,
  WorkRepository,
  type WorkUseCase,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { ApprovalEligibility } from '../gates/approval-eligibility';
import { GateReads } from '../gates/gate-reads';
import { EvidenceExpiry } from './evidence-expiry';
import {
  type AwaitingDecisionView,
  type EvidenceExpiringView,
  type TeamFailedRunView,
  type TeamRejectionView,
  type WorkListView,
  type WorkView,
} from './work.views';

const DAY_MS = 86_400_000;
/** Each list shows at most this many items and says when there are more. */
export const WORK_LIST_LIMIT = 100;
/** Pending evaluations read to find the ones this reviewer may decide: a bound on the work one page does. */
const CANDIDATE_LIMIT = 500;
export const WORK_WITHIN_DAYS = { default: 14, min: 1, max: 365 } as const;
const REJECTED_LOOK_BACK_DAYS = 30;
const FAILED_RUNS_LOOK_BACK_DAYS = 14;
const REASON_MAX = 500;

/** The one independence refusal that does not hide an evaluation: the reviewer can sign in another way. */
const SIGN_IN_VIA_IDP = 'approver_not_signed_in_via_oidc';

/**
 * "Waiting for me": the evaluations a reviewer may decide (separation of duties applied: nobody is shown
 * what they may not approve), the use cases whose approving evidence goes stale soon, and for a team its
 * rejected evaluations and failed runs. Reads only; audits nothing.
 */
@Injectable()
export class WorkService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly work: WorkRepository,
    private readonly gates: GateRepository,
    private readonly teams: TeamRepository,
    private readonly reads: GateReads,
    private readonly eligibility: ApprovalEligibility,
    private readonly expiry: EvidenceExpiry,
  ) {}

  async forActor(actor: Actor, options: { withinDays?: number; now?: Date } = {}): Promise<WorkView> {
    const withinDays = options.withinDays ?? WORK_WITHIN_DAYS.default;
    if (
      !Number.isInteger(withinDays) ||
      withinDays < WORK_WITHIN_DAYS.min ||
      withinDays > WORK_WITHIN_DAYS.max
    ) {
      throw DomainError.validation([
        {
          field: 'withinDays',
          message: `must be a whole number of days from ${WORK_WITHIN_DAYS.min} to ${WORK_WITHIN_DAYS.max}`,
          code: 'out_of_range',
        },
      ]);
    }
    const now = options.now ?? new Date();
    return this.uow.read(async (tx) => {
      const team = actor.teamId ? await this.teams.findById(tx, actor.teamId) : null;
      return {
        generatedAt: now.toISOString(),
        withinDays,
        lookBack: { rejectedDays: REJECTED_LOOK_BACK_DAYS, failedRunsDays: FAILED_RUNS_LOOK_BACK_DAYS },
        awaitingMyDecision: await this.awaitingDecision(tx, actor),
        evidenceExpiring: await this.evidenceExpiring(tx, actor, withinDays, now),
        team: team ? { id: team.id, name: team.name } : null,
        teamRejected: team ? await this.rejected(tx, team.id, now) : empty(),
        teamFailedRuns: team ? await this.failedRuns(tx, team.id, now) : empty(),
      };
    });
  }

  private async awaitingDecision(tx: Tx, actor: Actor): Promise<WorkListView<AwaitingDecisionView>> {
    if (!hasRole(actor, 'reviewer')) {
      return empty();
    }
    const candidates = await this.work.pendingEvaluations(tx, CANDIDATE_LIMIT);
    const useCases = await this.work.useCases(
      tx,
      candidates.map((c) => c.aiUseCaseId),
    );
    const items: AwaitingDecisionView[] = [];
    for (const entity of candidates) {
      const useCase = useCases.get(entity.aiUseCaseId);
      if (!useCase || !canViewAiUseCase(actor, useCase)) {
        continue;
      }
      const item = await this.awaiting(tx, actor, entity, useCase);
      if (item) {
        items.push(item);
        if (items.length > WORK_LIST_LIMIT) {
          break;
        }
      }
    }
    return bounded(items, candidates.length >= CANDIDATE_LIMIT);
  }

  /** The evaluation as a work item when this reviewer may decide it now, else null. */
  private async awaiting(
    tx: Tx,
    actor: Actor,
    entity: GateEvaluationEntity,
    useCase: WorkUseCase,
  ): Promise<AwaitingDecisionView | null> {
    const decisions = await this.gates.decisions(tx, entity.id);
    if (decisions.some((d) => d.approverId === actor.id)) {
      return null;
    }
    const state = approvalState(decisions, entity.approvalsRequired);
    if (state !== 'pending') {
      return null;
    }
    const owner = await this.gates.useCaseOnly(tx, entity.aiUseCaseId);
    if (!owner) {
      return null;
    }
    const { standing } = await this.reads.standing(tx, entity, owner);
    if (decisionRefusal(standing, entity.verdict, state, 'approve') !== null) {
      return null;
    }
    const refusal = await this.eligibility.refusal(tx, actor, entity, useCase.ownerTeamId);
    if (refusal && refusal.rule !== SIGN_IN_VIA_IDP) {
      return null;
    }
    const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId));
    return {
      evaluationId: entity.id,
      kind: entity.fromStage === entity.toStage ? 'reapproval' : 'promotion',
      aiUseCase: { id: useCase.id, name: useCase.name, ownerTeamName: useCase.ownerTeamName },
      from: entity.fromStage,
      to: entity.toStage,
      riskTier: entity.riskTier,
      approvals: { have: approvers.size, need: entity.approvalsRequired },
      createdAt: entity.createdAt.toISOString(),
      link: `/gate-evaluations/${entity.id}`,
      note: refusal ? 'Sign in through your identity provider to decide.' : null,
    };
  }

  private async evidenceExpiring(
    tx: Tx,
    actor: Actor,
    withinDays: number,
    now: Date,
  ): Promise<WorkListView<EvidenceExpiringView>> {
    const seesAll = hasRole(actor, 'admin', 'reviewer');
    const visible = (await this.expiry.expiringWithin(tx, withinDays, now)).filter((e) =>
      seesAll ? canViewAiUseCase(actor, e) : actor.teamId !== null && e.ownerTeamId === actor.teamId,
    );
    const shown = visible.slice(0, WORK_LIST_LIMIT + 1);
    const useCases = await this.work.useCases(
      tx,
      shown.map((e) => e.aiUseCaseId),
    );
    return bounded(
      shown.map((e) => ({
        aiUseCase: {
          id: e.aiUseCaseId,
          name: e.name,
          ownerTeamName: useCases.get(e.aiUseCaseId)?.ownerTeamName ?? '',
        },
        stage: e.stage,
        evaluationId: e.evaluationId,
        runId: e.runId,
        suite: e.suite,
        maxAgeDays: e.maxAgeDays,
        expiresAt: e.expiresAt.toISOString(),
        daysLeft: daysUntil(e.expiresAt, now),
        link: `/ai-use-cases/${e.aiUseCaseId}`,
      })),
    );
  }

  private async rejected(tx: Tx, teamId: string, now: Date): Promise<WorkListView<TeamRejectionView>> {
    const since = new Date(now.getTime() - REJECTED_LOOK_BACK_DAYS * DAY_MS);
    const rows = await this.work.rejectionsOfTeam(tx, teamId, since, WORK_LIST_LIMIT + 1);
    return bounded(
      rows.map((row) => ({
        evaluationId: row.evaluationId,
        aiUseCase: { id: row.aiUseCaseId, name: row.aiUseCaseName },
        from: row.fromStage,
        to: row.toStage,
        reviewerName: row.reviewerName,
        reason: row.reason,
        rejectedAt: row.rejectedAt.toISOString(),
        link: `/gate-evaluations/${row.evaluationId}`,
      })),
    );
  }

  private async failedRuns(tx: Tx, teamId: string, now: Date): Promise<WorkListView<TeamFailedRunView>> {
    const since = new Date(now.getTime() - FAILED_RUNS_LOOK_BACK_DAYS * DAY_MS);
    const rows = await this.work.failedRunsOfTeam(tx, teamId, since, WORK_LIST_LIMIT + 1);
    return bounded(
      rows.map((row) => ({
        runId: row.runId,
        suite: `${row.suite}@${row.suiteVersion}`,
        aiUseCase: { id: row.aiUseCaseId, name: row.aiUseCaseName },
        status: row.status,
        outcome: row.outcome,
        reason: failureReason(row),
        at: row.at.toISOString(),
        link: `/runs/${row.runId}`,
      })),
    );
  }
}

function failureReason(row: { status: string; outcome: string | null; error: string | null }): string {
  if (row.status === 'failed') {
    const error = (row.error ?? '').trim() || 'the run failed without a recorded reason';
    return error.length > REASON_MAX ? `${error.slice(0, REASON_MAX - 1)}…` : error;
  }
  return row.outcome === 'errored'
    ? 'its thresholds could not be judged (too many errored items)'
    : 'its thresholds failed';
}

function empty<T>(): WorkListView<T> {
  return { items: [], limit: WORK_LIST_LIMIT, truncated: false };
}

/** The first `WORK_LIST_LIMIT` items; truncated when there were more (or the reading stopped early). */
function bounded<T>(items: T[], stoppedEarly = false): WorkListView<T> {
  return {
    items: items.slice(0, WORK_LIST_LIMIT),
    limit: WORK_LIST_LIMIT,
    truncated: stoppedEarly || items.length > WORK_LIST_LIMIT,
  };
}
