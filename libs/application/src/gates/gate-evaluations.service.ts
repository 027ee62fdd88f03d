import {
  type Actor,
  approvalState,
  assertCanProposeGate,
  assertCanViewAiUseCase,
  assertGateTransition,
  reapprovalOffered,
  DomainError,
  evaluateGate,
  evaluationStanding,
  GATE_TARGETS,
  type GateInput,
  type GateTarget,
  type GateVerdict,
  gateRules,
  type ReviewEvidence,
} from '@gatehouse/domain';
import {
  type GateEvaluationEntity,
  GatePolicyRepository,
  GateRepository,
  type GateSnapshot,
  PilotObservationRepository,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { ReviewEvidenceService } from '../reviews/review-evidence.service';
import { awaitingApproval } from '../notifications/notification-builders';
import { NotificationsService } from '../notifications/notifications.service';
import { type RequestContext } from '../request-context';
import {
  GateEvidenceService,
  type GatheredEvidence,
  pilotEvidence,
  type PolicyVersion,
} from './gate-evidence.service';
import { GatePoliciesService } from './gate-policies.service';
import { GateReads, isIdLike } from './gate-reads';
import { type GateEvaluationView, toGateEvaluationView } from './gate.views';
import { RefusalAudit } from './refusals-audited';

/** An evaluation asked for: a new one (`created`), or the standing one when nothing it reads has changed. */
export interface GateEvaluationOutcome {
  evaluation: GateEvaluationView;
  created: boolean;
}

/** A stored evaluation re-derived from the stored rows alone. */
export interface GateEvaluationVerification {
  id: string;
  hash: string;
  rederivedHash: string;
  matches: boolean;
  differences: string[];
}

/** The gate judged on the evidence read at one moment, and the standing evaluation it matches, if any. */
interface Judgement {
  snapshot: GateSnapshot;
  to: GateTarget;
  policy: PolicyVersion;
  evidence: GatheredEvidence;
  result: GateVerdict;
  standing: GateEvaluationView | null;
}

/** How many times an evaluation is judged again when what it read keeps changing under it. */
const ATTEMPTS = 3;

/** Gate evaluations: evaluated now, bound by hash to their evidence, read back and re-derived. */
@Injectable()
export class GateEvaluationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly gates: GateRepository,
    private readonly policies: GatePolicyRepository,
    private readonly pilots: PilotObservationRepository,
    private readonly evidence: GateEvidenceService,
    private readonly policySeed: GatePoliciesService,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAudit,
    private readonly notifications: NotificationsService,
    private readonly reviewEvidence: ReviewEvidenceService,
  ) {}

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
  async evaluate(context: RequestContext, useCaseId: string, to: GateTarget): Promise<GateEvaluationOutcome> {
    await this.policySeed.ensureSeeded();
    const on = { attempted: 'gate.evaluate', subjectType: 'ai_use_case', subjectId: useCaseId };
    try {
      for (let attempt = 1; ; attempt++) {
        const judged = await this.uow.read((tx) => this.judge(tx, context.actor, useCaseId, to));
        if (judged.standing) {
          return { evaluation: judged.standing, created: false };
        }
        // Through the outbox: the approval requests recorded with the evaluation are sent once it commits.
        const written = await this.notifications.write((tx) => this.recordIfUnchanged(tx, context, judged));
        if (written?.kind === 'standing') {
          return { evaluation: written.standing, created: false };
        }
        if (written?.kind === 'created') {
          // Written under the lock that checked it is the latest, on the current revision and policy, unused.
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
        if (attempt >= ATTEMPTS) {
          throw new DomainError(
            'conflict',
            'The AI use case kept changing while the gate was evaluated: try again.',
            [],
            'evaluation_raced',
          );
        }
      }
    } catch (error) {
      await this.refusals.record(context, on, error);
      throw error;
    }
  }

  /**
   * For a caller whose `to` came from a free field (a page's form) and is not a gate target: refuses it as
   * `evaluate` refuses what it is given. Not found and forbidden first, as for any evaluation; then the
   * target, with the refusal audited. (The JSON API refuses it in its DTO and audits that.)
   */
  async refuseUnknownTarget(context: RequestContext, useCaseId: string): Promise<never> {
    await this.policySeed.ensureSeeded();
    const on = { attempted: 'gate.evaluate', subjectType: 'ai_use_case', subjectId: useCaseId };
    try {
      await this.uow.read((tx) => this.proposable(tx, context.actor, useCaseId));
      throw DomainError.validation([
        { field: 'to', message: `must be one of ${GATE_TARGETS.join(', ')}`, code: 'unknown_stage' },
      ]);
    } catch (error) {
      await this.refusals.record(context, on, error);
      throw error;
    }
  }

  /** The use case as an evaluation reads it now, if the actor may see it and ask for its gate. */
  private async proposable(tx: Tx, actor: Actor, useCaseId: string): Promise<GateSnapshot> {
    const snapshot = isIdLike(useCaseId) ? await this.gates.snapshot(tx, useCaseId) : null;
    if (!snapshot) {
      throw DomainError.notFound('The AI use case');
    }
    assertCanViewAiUseCase(actor, snapshot.useCase);
    assertCanProposeGate(actor, snapshot.useCase);
    return snapshot;
  }

  /** Judges the gate on the evidence as it is now, outside any lock; refuses what the actor may not ask. */
  private async judge(tx: Tx, actor: Actor, useCaseId: string, to: GateTarget): Promise<Judgement> {
    const snapshot = await this.proposable(tx, actor, useCaseId);
    const { useCase } = snapshot;
    assertGateTransition(useCase.stage, to, reapprovalOffered(useCase));
    if (!snapshot.policy) {
      throw new DomainError('invalid_state', 'No gate policy exists yet.', [], 'policy_exists');
    }
    const evidence = await this.evidence.gather(tx, snapshot, snapshot.policy.id, to);
    const result = evaluateGate(evidence.input);
    const standing = await this.standingEvaluation(tx, snapshot, result.hash);
    return { snapshot, to, policy: evidence.policy, evidence, result, standing };
  }

  /**
   * Inside `write`: locks the use case and reads it again. Null when something the judgement read has moved
   * since (judge again); the standing evaluation when an equal one was recorded meanwhile; else the new
   * evaluation, numbered after the latest and recorded with its audit event.
   */
  private async recordIfUnchanged(
    tx: Tx,
    context: RequestContext,
    judged: Judgement,
  ): Promise<
    { kind: 'standing'; standing: GateEvaluationView } | { kind: 'created'; row: GateEvaluationEntity } | null
  > {
    const { snapshot, policy, evidence, result } = judged;
    const useCase = snapshot.useCase;
    await this.gates.lockUseCase(tx, useCase.id);
    const now = await this.gates.snapshot(tx, useCase.id);
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
    const standing = await this.standingEvaluation(tx, now, result.hash);
    if (standing) {
      return { kind: 'standing', standing }; // an equal evaluation was recorded meanwhile
    }
    const row = await this.gates.insertEvaluation(tx, {
      aiUseCaseId: useCase.id,
      seq: (now.latest?.seq ?? 0) + 1,
      fromStage: useCase.stage,
      toStage: judged.to,
      policyId: policy.id,
      policyVersion: policy.version,
      useCaseRevision: useCase.revision,
      riskTier: useCase.riskTier,
      verdict: result.verdict,
      result: { ...result, from: useCase.stage },
      inputs: evidence.inputs,
      approvalsRequired: result.approvals.count,
      hash: result.hash,
      evaluatedAt: evidence.input.now,
      createdBy: context.actor.id,
    });
    await this.audit.record(tx, context, {
      action: 'gate.evaluated',
      subjectType: 'ai_use_case',
      subjectId: useCase.id,
      after: {
        evaluationId: row.id,
        from: row.fromStage,
        to: row.toStage,
        verdict: result.verdict,
        hash: result.hash,
        policyVersion: policy.version,
        useCaseRevision: useCase.revision,
        runsUsed: result.runsUsed.map((run) => ({ id: run.id, resultsHash: run.resultsHash })),
        ...(result.reviewsUsed.length > 0
          ? {
              reviewsUsed: result.reviewsUsed.map((r) => ({
                sampleId: r.sampleId,
                sampleHash: r.sampleHash,
                reviewsHash: r.reviewsHash,
              })),
            }
          : {}),
        notPassing: result.rules
          .filter((rule) => rule.verdict !== 'pass')
          .map((rule) => ({ rule: rule.title, verdict: rule.verdict, reason: rule.reason })),
      },
    });
    if (row.verdict === 'pass' && row.approvalsRequired > 0) {
      const facts = {
        id: useCase.id,
        name: useCase.record.name,
        stage: useCase.stage,
        ownerTeamId: useCase.ownerTeamId,
      };
      await this.notifications.record(tx, awaitingApproval(facts, row));
    }
    return { kind: 'created', row };
  }

  /**
   * The use case's latest evaluation, as a view, if it has this hash and still counts (nothing it stood on
   * has changed, and no stage change used it); else null.
   */
  private async standingEvaluation(
    tx: Tx,
    snapshot: GateSnapshot,
    hash: string,
  ): Promise<GateEvaluationView | null> {
    const latest = snapshot.latest;
    if (!latest || latest.hash !== hash || latest.usedBy !== null || !snapshot.policy) {
      return null;
    }
    const entity = await this.evidence.evaluation(tx, latest.id);
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

  /**
   * The review evidence the evaluation read: the samples it stored, with the reviews written up to its
   * time (reviews are only ever added, so this is what it counted), independent reviewers only. Samples
   * drawn since are left out.
   */
  private async reviewsRead(tx: Tx, entity: GateEvaluationEntity): Promise<ReviewEvidence[]> {
    const stored = entity.inputs.reviews ?? [];
    if (stored.length === 0) {
      return [];
    }
    const sampleIds = new Set(stored.map((r) => r.sampleId));
    const runIds = [...new Set(stored.map((r) => r.runId))].sort();
    const read = await this.reviewEvidence.ofRuns(tx, runIds, {
      independentOnly: true,
      asOf: entity.evaluatedAt,
    });
    return read.filter((r) => sampleIds.has(r.sampleId));
  }

  async get(actor: Actor, id: string): Promise<GateEvaluationView> {
    return this.uow.read(async (tx) => this.reads.view(tx, await this.reads.evaluation(tx, actor, id)));
  }

  /** The use case's evaluations, newest first (at most 100). */
  async list(actor: Actor, useCaseId: string): Promise<GateEvaluationView[]> {
    return this.uow.read(async (tx) => {
      const useCase = await this.reads.useCase(tx, actor, useCaseId);
      const views: GateEvaluationView[] = [];
      for (const row of await this.gates.evaluations(tx, useCaseId, 100)) {
        views.push(await this.reads.view(tx, row, useCase));
      }
      return views;
    });
  }

  /**
   * Re-derives a stored evaluation from the stored rows alone (the policy version, the record at that
   * revision, the runs' summaries, the cached comparisons, the pilot observations) and compares hashes.
   */
  async verify(actor: Actor, id: string): Promise<GateEvaluationVerification> {
    return this.uow.read(async (tx) => {
      const entity = await this.reads.evaluation(tx, actor, id);
      const policy = await this.policies.byId(tx, entity.policyId);
      const record = await this.gates.recordAt(tx, entity.aiUseCaseId, entity.useCaseRevision);
      if (!policy || !record) {
        throw new Error(`Gate evaluation ${entity.id}: its policy or use-case revision is gone`);
      }
      const rules = gateRules(policy.document, entity.riskTier, entity.toStage) ?? [];
      const runs = await this.evidence.runEvidence(tx, { ids: entity.inputs.runIds });
      const comparisons = await this.evidence.storedComparisons(tx, entity.inputs.baselines, runs);
      const observations = await this.pilots.byIds(tx, entity.inputs.pilotObservationIds);
      const reviews = await this.reviewsRead(tx, entity);
      const input: GateInput = {
        useCase: {
          id: entity.aiUseCaseId,
          revision: entity.useCaseRevision,
          stage: entity.fromStage,
          tier: entity.riskTier,
          record,
          targetHash: entity.inputs.targetHash,
          transparencyPublished: entity.inputs.transparencyPublished,
        },
        to: entity.toStage,
        policy: { id: policy.id, version: policy.version, rules },
        runs,
        baselines: entity.inputs.baselines,
        comparisons,
        pilot: entity.inputs.pilotLive
          ? await this.evidence.livePilotOver(tx, entity.aiUseCaseId, entity.inputs.pilotLive)
          : pilotEvidence(observations),
        reviews,
        now: entity.evaluatedAt,
      };
      const again = evaluateGate(input);
      const differences = again.rules
        .filter((rule, i) => {
          const stored = entity.result.rules[i];
          return !stored || stored.verdict !== rule.verdict || stored.actual !== rule.actual;
        })
        .map((rule) => rule.title);
      // A review sample whose counted reviews differ now (a reviewer has since joined the team, say).
      for (const stored of entity.inputs.reviews ?? []) {
        const now = reviews.find((r) => r.sampleId === stored.sampleId);
        if (now?.reviewsHash !== stored.reviewsHash) {
          differences.push(`the independent reviews of review sample ${stored.sampleId}`);
        }
      }
      return {
        id: entity.id,
        hash: entity.hash,
        rederivedHash: again.hash,
        matches: again.hash === entity.hash,
        differences,
      };
    });
  }
}
