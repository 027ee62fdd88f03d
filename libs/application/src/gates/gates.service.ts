import {
  type Actor,
  approvalState,
  approvalsNeedReviewerGrantedByOther,
  assertCanPromote,
  assertCanRecordPilot,
  assertCanProposeGate,
  assertCanStepBack,
  assertCanViewAiUseCase,
  assertGateTransition,
  assertIndependentApprover,
  assertStepBack,
  decisionRefusal,
  DEFAULT_GATE_POLICY,
  DomainError,
  evaluateGate,
  evaluationStanding,
  type GateInput,
  type GatePolicyDocument,
  gateRules,
  type GateTarget,
  hasRole,
  isGateTarget,
  isStage,
  promotionRefusal,
  type RiskTier,
  sha256Hex,
  canonicalJson,
  type Stage,
} from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  AiUseCaseRevisionEntity,
  GateApprovalEntity,
  GateEvaluationEntity,
  GatePolicyEntity,
  isUniqueViolation,
  PilotObservationEntity,
  StageChangeEntity,
  TeamEntity,
  UnitOfWork,
  UserEntity,
  type TxManager,
} from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { type AiUseCaseView, toAiUseCaseView } from '../ai-use-cases/ai-use-case.views';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { zodProblems } from '../validation/zod-problems';
import { gatePolicyDocumentSchema } from './gate-policy.schema';
import {
  type GateEvaluationView,
  type GatePolicyView,
  type PilotObservationView,
  type StageChangeView,
  toGateEvaluationView,
  toGatePolicyView,
  toPilotObservationView,
  toStageChangeView,
} from './gate.views';
import { GateEvidenceService, type GateSnapshot, pilotEvidence } from './gate-evidence.service';
import { TransparencyService } from './transparency.service';

/** Advisory lock key for seeding the first policy version (any stable 32-bit number). */
const POLICY_SEED_LOCK = 0x6761_7465;

/** The use-case row lock an evaluation's write takes (SQLite's write mutex already excludes other writers). */
const LOCK_USE_CASE = 'SELECT id FROM ai_use_cases WHERE id = ?';
const LOCK_USE_CASE_PG = `${LOCK_USE_CASE} FOR UPDATE`;

/** An evaluation asked for: a new one (`created`), or the standing one when nothing it reads has changed. */
export interface GateEvaluationOutcome {
  evaluation: GateEvaluationView;
  created: boolean;
}

export interface PilotObservationInput {
  periodStart: string;
  periodEnd: string;
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  positiveFeedback?: number;
  negativeFeedback?: number;
  notes?: string;
}

/**
 * Stage gates: versioned policies, evaluations bound by hash to their evidence, independent approvals,
 * atomic promotion, demotion and retirement, and pilot observations. Every refused attempt is audited.
 */
@Injectable()
export class GatesService {
  private readonly logger = new Logger(GatesService.name);
  private policySeeded = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly evidence: GateEvidenceService,
    private readonly transparency: TransparencyService,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Policies

  async listPolicies(): Promise<GatePolicyView[]> {
    await this.ensurePolicy();
    return this.uow.read(async (m) => {
      const rows = await m.find(GatePolicyEntity, { order: { version: 'DESC' } });
      const current = rows[0]?.version ?? 0;
      return rows.map((row) => toGatePolicyView(row, current));
    });
  }

  async getPolicy(version: number): Promise<GatePolicyView> {
    await this.ensurePolicy();
    return this.uow.read(async (m) => {
      const row = await m.findOneBy(GatePolicyEntity, { version });
      if (!row) {
        throw DomainError.notFound(`Gate policy version ${version}`);
      }
      return toGatePolicyView(row, await this.currentPolicyVersion(m));
    });
  }

  /** Admins publish a new policy version (never an edit); every open evaluation stops counting. */
  async createPolicy(context: RequestContext, body: unknown): Promise<GatePolicyView> {
    await this.ensurePolicy();
    return this.refusalsAudited(context, 'gate_policy.create', 'gate_policy', 'new', async () => {
      if (!hasRole(context.actor, 'admin')) {
        throw DomainError.forbidden('Only admins publish gate policies.', 'role_admin');
      }
      const parsed = gatePolicyDocumentSchema.safeParse(body);
      if (!parsed.success) {
        throw DomainError.validation(zodProblems(parsed.error), 'The gate policy is not valid.');
      }
      const document = parsed.data as GatePolicyDocument;
      return this.uow.writeExclusive(POLICY_SEED_LOCK, async (m) => {
        const previous = await m.findOne(GatePolicyEntity, { where: {}, order: { version: 'DESC' } });
        const row = await this.insertPolicy(m, document, (previous?.version ?? 0) + 1, context.actor.id);
        await this.audit.record(m, context, {
          action: 'gate_policy.created',
          subjectType: 'gate_policy',
          subjectId: row.id,
          before: previous ? { version: previous.version, sha256: previous.sha256 } : undefined,
          after: { version: row.version, sha256: row.sha256, document },
        });
        return toGatePolicyView(row, row.version);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Evaluations

  /**
   * Evaluates the gate now. When nothing it reads has changed since the use case's latest evaluation (the
   * hash comes out the same: same policy version, revision, target, runs, pilot data and verdicts), that
   * evaluation still stands: it is returned with its reviewers' decisions (`created: false`) and nothing is
   * written, so a CI job re-checking the gate cannot void approvals. Otherwise a new evaluation is recorded,
   * which supersedes the earlier ones and their approvals.
   *
   * The evidence is gathered and judged outside any lock (see GateEvidenceService for what is read each
   * time and what is kept). The write then locks the use case to check that nothing it was judged on moved
   * (revision, stage, policy version, completed runs, pilot observations, publication: a slower request
   * must not record older evidence over newer) and that no equal evaluation was recorded meanwhile, then
   * numbers the evaluation and records it with its audit event. If something moved, it is judged again.
   */
  async evaluate(context: RequestContext, useCaseId: string, to: unknown): Promise<GateEvaluationOutcome> {
    await this.ensurePolicy();
    return this.refusalsAudited(context, 'gate.evaluate', 'ai_use_case', useCaseId, async () => {
      for (let attempt = 1; ; attempt++) {
        const judged = await this.uow.read(async (m) => {
          const snapshot = /^[0-9a-f-]{36}$/i.test(useCaseId)
            ? await this.evidence.snapshot(m, useCaseId)
            : null;
          if (!snapshot) {
            throw DomainError.notFound('The AI use case');
          }
          const { useCase } = snapshot;
          assertCanViewAiUseCase(context.actor, useCase);
          assertCanProposeGate(context.actor, useCase);
          if (!isGateTarget(to)) {
            throw DomainError.validation([
              { field: 'to', message: 'must be one of test, learn, scale', code: 'unknown_stage' },
            ]);
          }
          assertGateTransition(useCase.stage, to, useCase.underChangeSince !== null);
          if (!snapshot.policy) {
            throw new DomainError('invalid_state', 'No gate policy exists yet.', [], 'policy_exists');
          }
          const policy = await this.evidence.policy(m, snapshot.policy.id);
          const rules = gateRules(policy.document, useCase.riskTier, to) ?? [];
          const evidence = await this.evidence.gather(m, snapshot, to, rules, policy);
          const result = evaluateGate(evidence.input);
          const standing = await this.standingEvaluation(m, snapshot, result.hash);
          return { snapshot, policy, evidence, result, standing };
        });
        if (judged.standing) {
          return { evaluation: judged.standing, created: false };
        }
        const { snapshot, policy, evidence, result } = judged;
        const useCase = snapshot.useCase;
        const written = await this.uow.write(async (m) => {
          await this.uow.rows(m, this.uow.driver === 'postgres' ? LOCK_USE_CASE_PG : LOCK_USE_CASE, [
            useCaseId,
          ]);
          const now = await this.evidence.snapshot(m, useCaseId);
          if (
            !now ||
            now.useCase.revision !== useCase.revision ||
            now.useCase.stage !== useCase.stage ||
            now.policy?.version !== policy.version ||
            now.completedRuns !== evidence.basis.completedRuns ||
            now.pilotObservations !== evidence.basis.pilotObservations ||
            now.transparencyPublished !== snapshot.transparencyPublished
          ) {
            return null; // judged on something that has just changed: judge again
          }
          const standing = await this.standingEvaluation(m, now, result.hash);
          if (standing) {
            return { kind: 'standing' as const, standing }; // an equal evaluation was recorded meanwhile
          }
          const at = evidence.input.now;
          const row = Object.assign(new GateEvaluationEntity(), {
            id: randomUUID(),
            aiUseCaseId: useCaseId,
            seq: (now.latest?.seq ?? 0) + 1,
            fromStage: useCase.stage,
            toStage: to as GateTarget,
            policyId: policy.id,
            policyVersion: policy.version,
            useCaseRevision: useCase.revision,
            riskTier: useCase.riskTier,
            verdict: result.verdict,
            result: { ...result, from: useCase.stage },
            inputs: evidence.inputs,
            approvalsRequired: result.approvals.count,
            hash: result.hash,
            evaluatedAt: at,
            createdBy: context.actor.id,
            createdAt: at,
          });
          await m.insert(GateEvaluationEntity, row);
          await this.audit.record(m, context, {
            action: 'gate.evaluated',
            subjectType: 'ai_use_case',
            subjectId: useCaseId,
            after: {
              evaluationId: row.id,
              from: row.fromStage,
              to,
              verdict: result.verdict,
              hash: result.hash,
              policyVersion: policy.version,
              useCaseRevision: useCase.revision,
              runsUsed: result.runsUsed.map((run) => ({ id: run.id, resultsHash: run.resultsHash })),
              notPassing: result.rules
                .filter((rule) => rule.verdict !== 'pass')
                .map((rule) => ({ rule: rule.title, verdict: rule.verdict, reason: rule.reason })),
            },
          });
          return { kind: 'created' as const, row };
        });
        if (written?.kind === 'standing') {
          return { evaluation: written.standing, created: false };
        }
        if (written?.kind === 'created') {
          // Written under the lock that checked it is the latest, on the current revision and policy, unused.
          this.evidence.rememberEvaluation(written.row);
          return {
            evaluation: toGateEvaluationView(written.row, {
              decisions: [],
              state: approvalState([], written.row.approvalsRequired),
              standing: { current: true, voidedBecause: null },
              stageChangeId: null,
            }),
            created: true,
          };
        }
        if (attempt >= 3) {
          throw new DomainError(
            'conflict',
            'The AI use case kept changing while the gate was evaluated: try again.',
            [],
            'evaluation_raced',
          );
        }
      }
    });
  }

  /**
   * The use case's latest evaluation, as a view, if it has this hash and still counts (nothing it stood on
   * has changed, and no stage change used it); else null.
   */
  private async standingEvaluation(
    m: TxManager,
    snapshot: GateSnapshot,
    hash: string,
  ): Promise<GateEvaluationView | null> {
    const latest = snapshot.latest;
    if (!latest || latest.hash !== hash || latest.usedBy !== null || !snapshot.policy) {
      return null;
    }
    const entity = await this.evidence.evaluation(m, latest.id);
    if (!entity) {
      return null;
    }
    const decisions = latest.decisions;
    const standing = evaluationStanding({
      seq: entity.seq,
      latestSeq: latest.seq,
      useCaseRevision: entity.useCaseRevision,
      currentRevision: snapshot.useCase.revision,
      policyVersion: entity.policyVersion,
      currentPolicyVersion: snapshot.policy.version,
      usedBy: null,
    });
    return standing.current
      ? toGateEvaluationView(entity, {
          decisions,
          state: approvalState(decisions, entity.approvalsRequired),
          standing,
          stageChangeId: null,
        })
      : null;
  }

  async getEvaluation(actor: Actor, id: string): Promise<GateEvaluationView> {
    return this.uow.read(async (m) => {
      const entity = await this.loadEvaluation(m, actor, id);
      return this.view(m, entity);
    });
  }

  async listEvaluations(actor: Actor, useCaseId: string): Promise<GateEvaluationView[]> {
    return this.uow.read(async (m) => {
      const useCase = await this.loadUseCase(m, actor, useCaseId);
      const rows = await m.find(GateEvaluationEntity, {
        where: { aiUseCaseId: useCaseId },
        order: { seq: 'DESC' },
        take: 100,
      });
      const views: GateEvaluationView[] = [];
      for (const row of rows) {
        views.push(await this.view(m, row, useCase));
      }
      return views;
    });
  }

  /**
   * Re-derives a stored evaluation from the stored rows alone (the policy version, the record at that
   * revision, the runs' summaries, the cached comparisons, the pilot observations) and compares hashes.
   */
  async verifyEvaluation(
    actor: Actor,
    id: string,
  ): Promise<{ id: string; hash: string; rederivedHash: string; matches: boolean; differences: string[] }> {
    return this.uow.read(async (m) => {
      const entity = await this.loadEvaluation(m, actor, id);
      const policy = await m.findOneByOrFail(GatePolicyEntity, { id: entity.policyId });
      const revision = await m.findOneByOrFail(AiUseCaseRevisionEntity, {
        aiUseCaseId: entity.aiUseCaseId,
        revision: entity.useCaseRevision,
      });
      const rules = gateRules(policy.document, entity.riskTier as RiskTier, entity.toStage) ?? [];
      const runs = await this.evidence.runEvidence(m, { ids: entity.inputs.runIds });
      const comparisons = await this.evidence.storedComparisons(m, entity.inputs.baselines, runs);
      const observations = entity.inputs.pilotObservationIds.length
        ? await m.findBy(PilotObservationEntity, { id: In(entity.inputs.pilotObservationIds) })
        : [];
      const input: GateInput = {
        useCase: {
          id: entity.aiUseCaseId,
          revision: entity.useCaseRevision,
          stage: entity.fromStage,
          tier: entity.riskTier as RiskTier,
          record: revision.record,
          targetHash: entity.inputs.targetHash,
          transparencyPublished: entity.inputs.transparencyPublished,
        },
        to: entity.toStage,
        policy: { id: policy.id, version: policy.version, rules },
        runs,
        baselines: entity.inputs.baselines,
        comparisons,
        pilot: pilotEvidence(observations),
        now: entity.evaluatedAt,
      };
      const again = evaluateGate(input);
      const differences = again.rules
        .filter((rule, i) => {
          const stored = entity.result.rules[i];
          return !stored || stored.verdict !== rule.verdict || stored.actual !== rule.actual;
        })
        .map((rule) => rule.title);
      return {
        id: entity.id,
        hash: entity.hash,
        rederivedHash: again.hash,
        matches: again.hash === entity.hash,
        differences,
      };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Approvals

  async decide(
    context: RequestContext,
    evaluationId: string,
    input: { decision: unknown; reason: unknown; evaluationHash?: string },
  ): Promise<GateEvaluationView> {
    return this.refusalsAudited(context, 'gate.decide', 'gate_evaluation', evaluationId, () =>
      this.uow.write(async (m) => {
        const entity = await this.loadEvaluation(m, context.actor, evaluationId);
        const useCase = await this.loadUseCase(m, context.actor, entity.aiUseCaseId, true);
        const decision = input.decision;
        const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
        const problems = [
          decision === 'approve' || decision === 'reject'
            ? null
            : { field: 'decision', message: 'must be approve or reject', code: 'invalid_value' },
          reason.length >= 3
            ? null
            : {
                field: 'reason',
                message: 'a reason is required (what you checked, or why not)',
                code: 'required',
              },
        ].filter((p): p is { field: string; message: string; code: string } => p !== null);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const verdictDecision = decision as 'approve' | 'reject';
        const grantedByOther = await this.approvalsNeedGrantByOther(m, entity);
        assertIndependentApprover(context.actor, {
          ownerTeamId: useCase.ownerTeamId,
          proposedBy: entity.createdBy,
          runStarters: entity.result.runsUsed.map((run) => run.startedBy),
          suiteAuthors: entity.result.runsUsed.map((run) => run.suiteAuthorId),
          requireReviewerRoleGrantedByOther: grantedByOther,
          reviewerRoleGrantedBy: grantedByOther
            ? ((await m.findOneBy(UserEntity, { id: context.actor.id }))?.rolesGrantedBy?.reviewer ?? null)
            : undefined,
        });
        if (input.evaluationHash !== undefined && input.evaluationHash !== entity.hash) {
          throw new DomainError(
            'conflict',
            'The evaluation hash you signed is not this evaluation’s: reload it and read it again.',
            [
              {
                field: 'evaluationHash',
                // Never the right hash: copying it from here would sign what the reviewer has not read.
                message: `does not match: read the evaluation again (GET /v1/gate-evaluations/${entity.id}, or its page) and sign the hash shown there`,
                code: 'hash_mismatch',
              },
            ],
            'signed_hash_matches',
          );
        }
        const decisions = await m.findBy(GateApprovalEntity, { evaluationId });
        const { standing } = await this.standing(m, entity, useCase);
        const refusal = decisionRefusal(
          standing,
          entity.verdict,
          approvalState(decisions, entity.approvalsRequired),
          verdictDecision,
        );
        if (refusal) {
          throw new DomainError('invalid_state', refusal.message, [], refusal.rule);
        }
        if (decisions.some((d) => d.approverId === context.actor.id)) {
          throw new DomainError(
            'conflict',
            'You already decided on this evaluation; one decision per reviewer.',
            [],
            'one_decision_per_reviewer',
          );
        }
        const approval = Object.assign(new GateApprovalEntity(), {
          id: randomUUID(),
          evaluationId,
          evaluationHash: entity.hash,
          approverId: context.actor.id,
          decision: verdictDecision,
          reason,
          createdAt: new Date(),
        });
        await m.insert(GateApprovalEntity, approval).catch((error: unknown) => {
          throw isUniqueViolation(error)
            ? new DomainError(
                'conflict',
                'You already decided on this evaluation.',
                [],
                'one_decision_per_reviewer',
              )
            : error;
        });
        await this.audit.record(m, context, {
          action: verdictDecision === 'approve' ? 'gate.approved' : 'gate.rejected',
          subjectType: 'gate_evaluation',
          subjectId: evaluationId,
          after: {
            aiUseCaseId: useCase.id,
            to: entity.toStage,
            evaluationHash: entity.hash,
            decision: verdictDecision,
          },
          reason,
        });
        return this.view(m, entity, useCase);
      }),
    );
  }

  /** Whether the evaluation's gate (in its policy version) asks for reviewers granted by someone else. */
  private async approvalsNeedGrantByOther(m: TxManager, entity: GateEvaluationEntity): Promise<boolean> {
    const policy = await m.findOneBy(GatePolicyEntity, { id: entity.policyId });
    const rules = policy ? gateRules(policy.document, entity.riskTier as RiskTier, entity.toStage) : null;
    return approvalsNeedReviewerGrantedByOther(rules ?? []);
  }

  // ---------------------------------------------------------------------------------------------
  // Stage changes

  /**
   * Moves the use case through the gate of a current, passing, fully approved evaluation. Atomic: the
   * stage moves by compare-and-set on (stage, revision), so of two concurrent promotions one wins and the
   * other is refused with 409; nothing else changes for the loser.
   */
  async promote(
    context: RequestContext,
    useCaseId: string,
    evaluationId: unknown,
  ): Promise<{ stageChange: StageChangeView; aiUseCase: AiUseCaseView }> {
    return this.refusalsAudited(context, 'gate.promote', 'ai_use_case', useCaseId, () =>
      this.uow.write(async (m) => {
        const useCase = await this.loadUseCase(m, context.actor, useCaseId, true);
        assertCanPromote(context.actor, useCase);
        const entity =
          typeof evaluationId === 'string' && /^[0-9a-f-]{36}$/i.test(evaluationId)
            ? await m.findOneBy(GateEvaluationEntity, { id: evaluationId, aiUseCaseId: useCaseId })
            : null;
        if (!entity) {
          throw DomainError.validation([
            {
              field: 'evaluationId',
              message: 'is not a gate evaluation of this AI use case',
              code: 'unknown_reference',
            },
          ]);
        }
        const decisions = await m.findBy(GateApprovalEntity, { evaluationId: entity.id });
        const { standing } = await this.standing(m, entity, useCase);
        const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId));
        const refusal = promotionRefusal(
          standing,
          entity.verdict,
          approvalState(decisions, entity.approvalsRequired),
          { have: approvers.size, need: entity.approvalsRequired },
        );
        if (refusal) {
          throw new DomainError('invalid_state', refusal.message, [], refusal.rule);
        }
        const kind = entity.fromStage === entity.toStage ? 'reapproval' : 'promotion';
        const change = await this.moveStage(m, context, useCase, {
          kind,
          to: entity.toStage,
          evaluationId: entity.id,
          reason: null,
        });
        await this.audit.record(m, context, {
          action: kind === 'promotion' ? 'ai_use_case.promoted' : 'ai_use_case.change_approved',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          before: { stage: change.fromStage, revision: useCase.revision - 1 },
          after: {
            stage: change.toStage,
            revision: useCase.revision,
            evaluationId: entity.id,
            evaluationHash: entity.hash,
            approvers: [...approvers],
          },
        });
        return {
          stageChange: toStageChangeView(change),
          aiUseCase: toAiUseCaseView(useCase, useCase.ownerTeam?.name ?? ''),
        };
      }),
    );
  }

  /** Demotion to an earlier stage or retirement: a safety action, always with a reason, audited. */
  async stepBack(
    context: RequestContext,
    useCaseId: string,
    input: { to: unknown; reason: unknown },
  ): Promise<{ stageChange: StageChangeView; aiUseCase: AiUseCaseView }> {
    return this.refusalsAudited(context, 'stage.step_back', 'ai_use_case', useCaseId, () =>
      this.uow.write(async (m) => {
        const useCase = await this.loadUseCase(m, context.actor, useCaseId, true);
        assertCanStepBack(context.actor, useCase);
        const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
        const problems = [
          isStage(input.to) ? null : { field: 'to', message: 'must be a stage', code: 'unknown_stage' },
          reason.length >= 3 ? null : { field: 'reason', message: 'a reason is required', code: 'required' },
        ].filter((p): p is { field: string; message: string; code: string } => p !== null);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const to = input.to as Stage;
        const kind = assertStepBack(useCase.stage, to);
        const change = await this.moveStage(m, context, useCase, { kind, to, evaluationId: null, reason });
        await this.audit.record(m, context, {
          action: kind === 'retirement' ? 'ai_use_case.retired' : 'ai_use_case.demoted',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          before: { stage: change.fromStage },
          after: { stage: change.toStage, revision: useCase.revision },
          reason,
        });
        return {
          stageChange: toStageChangeView(change),
          aiUseCase: toAiUseCaseView(useCase, useCase.ownerTeam?.name ?? ''),
        };
      }),
    );
  }

  async listStageChanges(actor: Actor, useCaseId: string): Promise<StageChangeView[]> {
    return this.uow.read(async (m) => {
      await this.loadUseCase(m, actor, useCaseId);
      const rows = await m.find(StageChangeEntity, {
        where: { aiUseCaseId: useCaseId },
        order: { createdAt: 'DESC' },
      });
      return rows.map(toStageChangeView);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Pilot observations

  async recordPilot(
    context: RequestContext,
    useCaseId: string,
    input: PilotObservationInput,
  ): Promise<PilotObservationView> {
    return this.refusalsAudited(context, 'pilot.record', 'ai_use_case', useCaseId, () =>
      this.uow.write(async (m) => {
        const useCase = await this.loadUseCase(m, context.actor, useCaseId, true);
        assertCanRecordPilot(context.actor, useCase);
        const problems = pilotProblems(input);
        if (problems.length > 0) {
          throw DomainError.validation(problems);
        }
        const entity = Object.assign(new PilotObservationEntity(), {
          id: randomUUID(),
          aiUseCaseId: useCaseId,
          periodStart: input.periodStart,
          periodEnd: input.periodEnd,
          cases: input.cases,
          overrides: input.overrides,
          undone: input.undone,
          complaints: input.complaints,
          incidents: input.incidents,
          positiveFeedback: input.positiveFeedback ?? 0,
          negativeFeedback: input.negativeFeedback ?? 0,
          notes: input.notes ?? null,
          recordedBy: context.actor.id,
          createdAt: new Date(),
        });
        await m.insert(PilotObservationEntity, entity);
        const view = toPilotObservationView(entity);
        await this.audit.record(m, context, {
          action: 'pilot.observation_recorded',
          subjectType: 'ai_use_case',
          subjectId: useCaseId,
          after: view,
        });
        return view;
      }),
    );
  }

  async listPilot(actor: Actor, useCaseId: string): Promise<PilotObservationView[]> {
    return this.uow.read(async (m) => {
      await this.loadUseCase(m, actor, useCaseId);
      const rows = await m.find(PilotObservationEntity, {
        where: { aiUseCaseId: useCaseId },
        order: { periodStart: 'ASC', createdAt: 'ASC' },
      });
      return rows.map(toPilotObservationView);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Seeds version 1 from the shipped defaults once, whichever replica gets there first. */
  private async ensurePolicy(): Promise<void> {
    if (this.policySeeded) {
      return;
    }
    const exists = await this.uow.read((m) => m.exists(GatePolicyEntity));
    if (!exists) {
      await this.uow.writeExclusive(POLICY_SEED_LOCK, async (m) => {
        if (await m.exists(GatePolicyEntity)) {
          return;
        }
        const row = await this.insertPolicy(m, DEFAULT_GATE_POLICY, 1, 'system');
        await this.audit.record(
          m,
          { actor: { id: 'system', name: 'Gatehouse', teamId: null, roles: [] }, requestId: null },
          {
            action: 'gate_policy.created',
            subjectType: 'gate_policy',
            subjectId: row.id,
            after: { version: 1, sha256: row.sha256, seeded: 'the shipped defaults' },
          },
        );
        this.logger.log('Seeded gate policy version 1 from the shipped defaults.');
      });
    }
    this.policySeeded = true;
  }

  private async insertPolicy(
    m: TxManager,
    document: GatePolicyDocument,
    version: number,
    createdBy: string,
  ): Promise<GatePolicyEntity> {
    const row = Object.assign(new GatePolicyEntity(), {
      id: randomUUID(),
      version,
      document,
      sha256: sha256Hex(canonicalJson(document)),
      createdBy,
      createdAt: new Date(),
    });
    await m.insert(GatePolicyEntity, row);
    return row;
  }

  private async currentPolicyVersion(m: TxManager): Promise<number> {
    const row = await m.findOne(GatePolicyEntity, {
      where: {},
      order: { version: 'DESC' },
      select: { version: true },
    });
    return row?.version ?? 0;
  }

  private async loadUseCase(
    m: TxManager,
    actor: Actor,
    id: string,
    forUpdate = false,
  ): Promise<AiUseCaseEntity> {
    const useCase = /^[0-9a-f-]{36}$/i.test(id)
      ? await m.findOne(AiUseCaseEntity, { where: { id }, lock: forUpdate ? this.uow.forUpdate : undefined })
      : null;
    if (!useCase) {
      throw DomainError.notFound('The AI use case');
    }
    assertCanViewAiUseCase(actor, useCase);
    useCase.ownerTeam = (await m.findOneBy(TeamEntity, { id: useCase.ownerTeamId })) ?? undefined;
    return useCase;
  }

  private async loadEvaluation(m: TxManager, actor: Actor, id: string): Promise<GateEvaluationEntity> {
    const entity = /^[0-9a-f-]{36}$/i.test(id) ? await m.findOneBy(GateEvaluationEntity, { id }) : null;
    if (!entity) {
      throw DomainError.notFound('The gate evaluation');
    }
    const useCase = await m.findOneBy(AiUseCaseEntity, { id: entity.aiUseCaseId });
    if (!useCase) {
      throw DomainError.notFound('The gate evaluation');
    }
    assertCanViewAiUseCase(actor, useCase);
    return entity;
  }

  private async standing(m: TxManager, entity: GateEvaluationEntity, useCase: AiUseCaseEntity) {
    const latest = await m.findOne(GateEvaluationEntity, {
      where: { aiUseCaseId: entity.aiUseCaseId },
      order: { seq: 'DESC' },
      select: { seq: true },
    });
    const used = await m.findOne(StageChangeEntity, {
      where: { evaluationId: entity.id },
      select: { id: true, kind: true },
    });
    return {
      standing: evaluationStanding({
        seq: entity.seq,
        latestSeq: latest?.seq ?? entity.seq,
        useCaseRevision: entity.useCaseRevision,
        currentRevision: useCase.revision,
        policyVersion: entity.policyVersion,
        currentPolicyVersion: await this.currentPolicyVersion(m),
        usedBy: used ? `${used.kind} ${used.id}` : null,
      }),
      stageChangeId: used?.id ?? null,
    };
  }

  private async view(
    m: TxManager,
    entity: GateEvaluationEntity,
    useCase?: AiUseCaseEntity,
  ): Promise<GateEvaluationView> {
    const owner = useCase ?? (await m.findOneByOrFail(AiUseCaseEntity, { id: entity.aiUseCaseId }));
    const decisions = await m.find(GateApprovalEntity, {
      where: { evaluationId: entity.id },
      order: { createdAt: 'ASC' },
    });
    const users = decisions.length
      ? await m.find(UserEntity, {
          where: { id: In(decisions.map((d) => d.approverId)) },
          select: { id: true, name: true },
        })
      : [];
    const names = new Map(users.map((u) => [u.id, u.name]));
    const { standing, stageChangeId } = await this.standing(m, entity, owner);
    return toGateEvaluationView(entity, {
      decisions: decisions.map((d) =>
        Object.assign(d, { approverName: names.get(d.approverId) ?? d.approverId }),
      ),
      state: approvalState(decisions, entity.approvalsRequired),
      standing,
      stageChangeId,
    });
  }

  /** Moves the stage by compare-and-set on (stage, revision), writes the revision and the stage change. */
  private async moveStage(
    m: TxManager,
    context: RequestContext,
    useCase: AiUseCaseEntity,
    change: {
      kind: StageChangeEntity['kind'];
      to: Stage;
      evaluationId: string | null;
      reason: string | null;
    },
  ): Promise<StageChangeEntity> {
    const now = new Date();
    const from = useCase.stage;
    const { affected } = await m
      .createQueryBuilder()
      .update(AiUseCaseEntity)
      .set({ stage: change.to, revision: useCase.revision + 1, underChangeSince: null, updatedAt: now })
      .where('id = :id AND stage = :stage AND revision = :revision', {
        id: useCase.id,
        stage: from,
        revision: useCase.revision,
      })
      .execute();
    if (affected !== 1) {
      throw new DomainError(
        'conflict',
        'The AI use case changed while this request ran (another promotion won): reload it.',
        [],
        'promotion_conflict',
      );
    }
    Object.assign(useCase, {
      stage: change.to,
      revision: useCase.revision + 1,
      underChangeSince: null,
      updatedAt: now,
    });
    await m.insert(AiUseCaseRevisionEntity, {
      id: randomUUID(),
      aiUseCaseId: useCase.id,
      revision: useCase.revision,
      record: useCase.record,
      stage: useCase.stage,
      derivedRiskTier: useCase.derivedRiskTier,
      riskTier: useCase.riskTier,
      changedPaths: ['stage'],
      changeReason: change.reason ?? `${change.kind} through gate evaluation ${change.evaluationId}`,
      changedBy: context.actor.id,
      createdAt: now,
    } as never);
    const entity = Object.assign(new StageChangeEntity(), {
      id: randomUUID(),
      aiUseCaseId: useCase.id,
      kind: change.kind,
      evaluationId: change.evaluationId,
      fromStage: from,
      toStage: change.to,
      reason: change.reason,
      changedBy: context.actor.id,
      createdAt: now,
    });
    await m.insert(StageChangeEntity, entity).catch((error: unknown) => {
      throw isUniqueViolation(error)
        ? new DomainError(
            'conflict',
            'This evaluation was already used for a stage change.',
            [],
            'promotion_conflict',
          )
        : error;
    });
    await this.transparency.refreshIfPublished(m, context, useCase);
    return entity;
  }

  /**
   * Runs a gate action; when a business rule refuses it, records the refused attempt in the audit log (in
   * a transaction of its own: the action's own rolled back) and rethrows. "Not found" is not recorded.
   */
  private async refusalsAudited<T>(
    context: RequestContext,
    attempted: string,
    subjectType: string,
    subjectId: string,
    action: () => Promise<T>,
  ): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'not_found') {
        await this.uow
          .write((m) =>
            this.audit.record(m, context, {
              action: 'gate.refused',
              subjectType,
              subjectId,
              after: {
                attempted,
                code: error.code,
                rule: error.rule ?? null,
                message: error.message,
                problems: error.problems,
              },
            }),
          )
          .catch((auditError: unknown) => {
            this.logger.error(`Could not audit a refused ${attempted}: ${String(auditError)}`);
          });
      }
      throw error;
    }
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function pilotProblems(input: PilotObservationInput): { field: string; message: string; code: string }[] {
  const problems: { field: string; message: string; code: string }[] = [];
  const validDate = (value: string) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  for (const field of ['periodStart', 'periodEnd'] as const) {
    if (!validDate(input[field])) {
      problems.push({ field, message: 'must be a date YYYY-MM-DD', code: 'invalid_date' });
    }
  }
  if (problems.length === 0 && input.periodEnd < input.periodStart) {
    problems.push({ field: 'periodEnd', message: 'must not be before periodStart', code: 'invalid_range' });
  }
  if (problems.length === 0 && input.periodEnd > new Date().toISOString().slice(0, 10)) {
    problems.push({ field: 'periodEnd', message: 'must not be in the future', code: 'invalid_range' });
  }
  for (const field of ['overrides', 'undone'] as const) {
    if (input[field] > input.cases) {
      problems.push({ field, message: `must not exceed cases (${input.cases})`, code: 'invalid_count' });
    }
  }
  return problems;
}
