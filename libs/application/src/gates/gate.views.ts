import {
  type ApprovalState,
  type EvaluationStanding,
  type GatePolicyDocument,
  type GateTarget,
  type GateVerdict,
  type RuleVerdict,
  type Stage,
} from '@gatehouse/domain';
import {
  type GateApprovalEntity,
  type GateEvaluationEntity,
  type GatePolicyEntity,
  type PilotObservationEntity,
  type StageChangeEntity,
} from '@gatehouse/persistence';

export interface GatePolicyView {
  id: string;
  version: number;
  sha256: string;
  document: GatePolicyDocument;
  /** True for the newest version: the one gate evaluations use. */
  current: boolean;
  createdBy: string;
  createdAt: string;
}

export interface GateDecisionView {
  approverId: string;
  approverName: string;
  decision: 'approve' | 'reject';
  reason: string;
  evaluationHash: string;
  /** How the reviewer had signed in when deciding: `oidc` (identity provider), `api_token`, or null (not recorded). */
  via: 'oidc' | 'api_token' | null;
  createdAt: string;
}

export interface GateEvaluationView {
  id: string;
  aiUseCaseId: string;
  /** `promotion` to the next stage, or `reapproval` of the current stage after a target change. */
  kind: 'promotion' | 'reapproval';
  from: Stage;
  to: GateTarget;
  verdict: 'pass' | 'fail';
  rules: RuleVerdict[];
  runsUsed: GateVerdict['runsUsed'];
  /** The review samples the review rules read, with the hash of the reviews counted (empty when none). */
  reviewsUsed: GateVerdict['reviewsUsed'];
  policy: { id: string; version: number };
  riskTier: string;
  useCaseRevision: number;
  hash: string;
  evaluatedAt: string;
  createdBy: string;
  approvals: { required: number; state: ApprovalState; decisions: GateDecisionView[] };
  standing: EvaluationStanding;
  /** The stage change that went through this evaluation, if any. */
  stageChangeId: string | null;
  /** Everything a promotion needs is there: current, passing, approved. */
  promotable: boolean;
  /**
   * Where the pilot evidence came from: `live` (measured from live use over `window`), `recorded` (the
   * observations the team typed), or null when the evaluation read none.
   */
  pilot: { source: 'live' | 'recorded'; window: { since: string; until: string } | null } | null;
}

export interface StageChangeView {
  id: string;
  aiUseCaseId: string;
  kind: StageChangeEntity['kind'];
  evaluationId: string | null;
  from: Stage;
  to: Stage;
  reason: string | null;
  changedBy: string;
  createdAt: string;
}

export interface PilotObservationView {
  id: string;
  aiUseCaseId: string;
  periodStart: string;
  periodEnd: string;
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  positiveFeedback: number;
  negativeFeedback: number;
  notes: string | null;
  recordedBy: string;
  createdAt: string;
}

export function toGatePolicyView(entity: GatePolicyEntity, currentVersion: number): GatePolicyView {
  return {
    id: entity.id,
    version: entity.version,
    sha256: entity.sha256,
    document: entity.document,
    current: entity.version === currentVersion,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt.toISOString(),
  };
}

export function toGateEvaluationView(
  entity: GateEvaluationEntity,
  extra: {
    decisions: (Pick<
      GateApprovalEntity,
      'approverId' | 'decision' | 'reason' | 'evaluationHash' | 'createdAt'
    > & {
      via?: 'oidc' | 'api_token' | null;
      approverName: string;
    })[];
    state: ApprovalState;
    standing: EvaluationStanding;
    stageChangeId: string | null;
  },
): GateEvaluationView {
  return {
    id: entity.id,
    aiUseCaseId: entity.aiUseCaseId,
    kind: entity.fromStage === entity.toStage ? 'reapproval' : 'promotion',
    from: entity.fromStage,
    to: entity.toStage,
    verdict: entity.verdict,
    rules: entity.result.rules,
    runsUsed: entity.result.runsUsed,
    // Evaluations stored before the review rules existed have no such list.
    reviewsUsed: entity.result.reviewsUsed ?? [],
    policy: { id: entity.policyId, version: entity.policyVersion },
    riskTier: entity.riskTier,
    useCaseRevision: entity.useCaseRevision,
    hash: entity.hash,
    evaluatedAt: entity.evaluatedAt.toISOString(),
    createdBy: entity.createdBy,
    approvals: {
      required: entity.approvalsRequired,
      state: extra.state,
      decisions: extra.decisions.map((d) => ({
        approverId: d.approverId,
        approverName: d.approverName,
        decision: d.decision,
        reason: d.reason,
        evaluationHash: d.evaluationHash,
        via: d.via ?? null,
        createdAt: d.createdAt.toISOString(),
      })),
    },
    standing: extra.standing,
    pilot: entity.inputs.pilotLive
      ? { source: 'live', window: entity.inputs.pilotLive }
      : entity.inputs.pilotObservationIds.length > 0
        ? { source: 'recorded', window: null }
        : null,
    stageChangeId: extra.stageChangeId,
    promotable:
      extra.standing.current &&
      entity.verdict === 'pass' &&
      extra.state === 'approved' &&
      !extra.stageChangeId,
  };
}

export function toStageChangeView(entity: StageChangeEntity): StageChangeView {
  return {
    id: entity.id,
    aiUseCaseId: entity.aiUseCaseId,
    kind: entity.kind,
    evaluationId: entity.evaluationId,
    from: entity.fromStage,
    to: entity.toStage,
    reason: entity.reason,
    changedBy: entity.changedBy,
    createdAt: entity.createdAt.toISOString(),
  };
}

export function toPilotObservationView(entity: PilotObservationEntity): PilotObservationView {
  return {
    id: entity.id,
    aiUseCaseId: entity.aiUseCaseId,
    periodStart: entity.periodStart,
    periodEnd: entity.periodEnd,
    cases: entity.cases,
    overrides: entity.overrides,
    undone: entity.undone,
    complaints: entity.complaints,
    incidents: entity.incidents,
    positiveFeedback: entity.positiveFeedback,
    negativeFeedback: entity.negativeFeedback,
    notes: entity.notes,
    recordedBy: entity.recordedBy,
    createdAt: entity.createdAt.toISOString(),
  };
}
