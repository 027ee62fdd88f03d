import {
  type GatePolicyDocument,
  type GateTarget,
  type GateVerdict,
  type MetricComparison,
  type RiskTier,
  type Stage,
  type TransparencyRecord,
} from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';

/** A gate policy version: every tier × transition. Versions are only ever added, never edited. */
@Entity({ name: 'gate_policies' })
export class GatePolicyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('uq_gate_policies_version', { unique: true })
  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'json' })
  document!: GatePolicyDocument;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** What a stored evaluation read, so it can be re-derived later from the stored rows alone. */
export interface GateEvaluationInputs {
  /** The completed runs of the use case that were considered (not only those used). */
  runIds: string[];
  /** The approved run per suite the no-regression rules compared against. */
  baselines: Record<string, string>;
  /** The pilot observations counted. */
  pilotObservationIds: string[];
  /** The registered target's hash at the time (runs against another target do not count). */
  targetHash: string | null;
  transparencyPublished: boolean;
  /**
   * The review samples read for the `human_review` and `judge_agreement` rules, each with the hash of the
   * independent reviewers' reviews counted (absent when the gate has no such rule, or none was read).
   * Re-derivation reads these samples' reviews as of the evaluation's time.
   */
  reviews?: { sampleId: string; runId: string; reviewsHash: string }[];
  /**
   * Present when the pilot rules read live use instead of typed observations: the window counted (entry into
   * learn, up to a closed UTC midnight). Re-derivation counts the same window again.
   */
  pilotLive?: { since: string; until: string };
}

/** One gate evaluation: the policy applied to the evidence at one moment. Immutable once written. */
@Entity({ name: 'gate_evaluations' })
@Index('uq_gate_evaluations_seq', ['aiUseCaseId', 'seq'], { unique: true })
export class GateEvaluationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** Orders evaluations of one use case: the highest is the latest (times can tie). */
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ name: 'from_stage', type: 'varchar', length: 16 })
  fromStage!: Stage;

  @Column({ name: 'to_stage', type: 'varchar', length: 16 })
  toStage!: GateTarget;

  @Column({ name: 'policy_id', type: 'varchar', length: 36 })
  policyId!: string;

  @ManyToOne(() => GatePolicyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'policy_id' })
  policy?: GatePolicyEntity;

  @Column({ name: 'policy_version', type: 'integer' })
  policyVersion!: number;

  @Column({ name: 'use_case_revision', type: 'integer' })
  useCaseRevision!: number;

  @Column({ name: 'risk_tier', type: 'varchar', length: 8 })
  riskTier!: RiskTier;

  @Column({ type: 'varchar', length: 8 })
  verdict!: 'pass' | 'fail';

  /** The whole domain verdict: rule verdicts with reasons and numbers, runs used, approvals needed. */
  @Column({ type: 'json' })
  result!: GateVerdict;

  @Column({ type: 'json' })
  inputs!: GateEvaluationInputs;

  @Column({ name: 'approvals_required', type: 'integer' })
  approvalsRequired!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'evaluated_at', type: TIMESTAMP })
  evaluatedAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** A reviewer's decision on one evaluation hash. One per reviewer and evaluation. */
@Entity({ name: 'gate_approvals' })
@Index('uq_gate_approvals_approver', ['evaluationId', 'approverId'], { unique: true })
export class GateApprovalEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'evaluation_id', type: 'varchar', length: 36 })
  evaluationId!: string;

  @ManyToOne(() => GateEvaluationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'evaluation_id' })
  evaluation?: GateEvaluationEntity;

  /** The hash the reviewer signed: must equal the evaluation's. */
  @Column({ name: 'evaluation_hash', type: 'varchar', length: 64 })
  evaluationHash!: string;

  @Column({ name: 'approver_id', type: 'varchar', length: 64 })
  approverId!: string;

  @Column({ type: 'varchar', length: 8 })
  decision!: 'approve' | 'reject';

  @Column({ type: 'text' })
  reason!: string;

  /**
   * How the reviewer was signed in when they decided (`oidc`: an identity-provider session; `api_token`:
   * an API token or a web session opened with one); null for decisions from before this was recorded.
   */
  @Column({ type: 'varchar', length: 16, nullable: true })
  via!: 'oidc' | 'api_token' | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** A stage change: a promotion through a gate, a re-approval after a change, a demotion or retirement. */
@Entity({ name: 'stage_changes' })
@Index('idx_stage_changes_use_case', ['aiUseCaseId', 'createdAt'])
export class StageChangeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'promotion' | 'reapproval' | 'demotion' | 'retirement';

  /** The evaluation a promotion or re-approval went through; one stage change per evaluation at most. */
  @Index('uq_stage_changes_evaluation', { unique: true })
  @Column({ name: 'evaluation_id', type: 'varchar', length: 36, nullable: true })
  evaluationId!: string | null;

  @Column({ name: 'from_stage', type: 'varchar', length: 16 })
  fromStage!: Stage;

  @Column({ name: 'to_stage', type: 'varchar', length: 16 })
  toStage!: Stage;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'changed_by', type: 'varchar', length: 64 })
  changedBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** What a pilot showed over one period (recorded while at `learn`). */
@Entity({ name: 'pilot_observations' })
@Index('idx_pilot_observations_use_case', ['aiUseCaseId', 'periodStart'])
export class PilotObservationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** ISO dates (YYYY-MM-DD), inclusive. */
  @Column({ name: 'period_start', type: 'varchar', length: 10 })
  periodStart!: string;

  @Column({ name: 'period_end', type: 'varchar', length: 10 })
  periodEnd!: string;

  @Column({ type: 'integer' })
  cases!: number;

  @Column({ type: 'integer' })
  overrides!: number;

  @Column({ type: 'integer' })
  undone!: number;

  @Column({ type: 'integer' })
  complaints!: number;

  @Column({ type: 'integer' })
  incidents!: number;

  @Column({ name: 'positive_feedback', type: 'integer' })
  positiveFeedback!: number;

  @Column({ name: 'negative_feedback', type: 'integer' })
  negativeFeedback!: number;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ name: 'recorded_by', type: 'varchar', length: 64 })
  recordedBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** A cached paired comparison of two completed runs (immutable inputs, so computed once). */
@Entity({ name: 'run_comparisons' })
export class RunComparisonEntity {
  @PrimaryColumn({ name: 'baseline_run_id', type: 'varchar', length: 36 })
  baselineRunId!: string;

  @PrimaryColumn({ name: 'candidate_run_id', type: 'varchar', length: 36 })
  candidateRunId!: string;

  @Column({ type: 'json' })
  metrics!: MetricComparison[];

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}

/** The published transparency record of a use case: what the public register shows. */
@Entity({ name: 'transparency_records' })
export class TransparencyRecordEntity {
  @PrimaryColumn({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ type: 'json' })
  record!: TransparencyRecord;

  /** Field paths withheld under the exemptions policy (the reason is in the record). */
  @Column({ type: 'json' })
  redactions!: string[];

  @Column({ name: 'redaction_reason', type: 'text', nullable: true })
  redactionReason!: string | null;

  @Column({ name: 'use_case_revision', type: 'integer' })
  useCaseRevision!: number;

  @Column({ name: 'evaluation_id', type: 'varchar', length: 36, nullable: true })
  evaluationId!: string | null;

  @Column({ name: 'published_by', type: 'varchar', length: 64 })
  publishedBy!: string;

  @Column({ name: 'published_at', type: TIMESTAMP })
  publishedAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}
