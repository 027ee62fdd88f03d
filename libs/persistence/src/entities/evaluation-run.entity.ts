import { type RunStatus } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';
import { SuiteEntity } from './suite.entity';

/**
 * One evaluation run. The counters move only when a result row is really inserted, in the same
 * transaction; completion is a compare-and-set on `status`. Aggregates are computed from the rows.
 */
@Entity({ name: 'evaluation_runs' })
@Index('idx_evaluation_runs_status', ['status', 'updatedAt'])
export class EvaluationRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_evaluation_runs_suite')
  @Column({ name: 'suite_id', type: 'varchar', length: 36 })
  suiteId!: string;

  @ManyToOne(() => SuiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'suite_id' })
  suite?: SuiteEntity;

  @Index('idx_evaluation_runs_ai_use_case')
  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36, nullable: true })
  aiUseCaseId!: string | null;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ name: 'baseline_run_id', type: 'varchar', length: 36, nullable: true })
  baselineRunId!: string | null;

  /** RunStatus: the transitions are the domain's RUN_TRANSITIONS. */
  @Column({ type: 'varchar', length: 16 })
  status!: RunStatus;

  /** The target the run calls (the suite's unless overridden), secrets named, never stored. */
  @Column({ name: 'target_config', type: 'json' })
  targetConfig!: object;

  @Column({ name: 'target_hash', type: 'varchar', length: 64 })
  targetHash!: string;

  /** The provider queue the run's items go to. */
  @Column({ type: 'varchar', length: 200 })
  provider!: string;

  @Column({ type: 'integer' })
  total!: number;

  @Column({ type: 'integer' })
  completed!: number;

  @Column({ type: 'integer' })
  failed!: number;

  @Column({ type: 'integer' })
  errored!: number;

  /** Times a provider answered 429 and the run's queue was paused for it (every worker waits). */
  @Column({ name: 'rate_limit_pauses', type: 'integer', default: 0 })
  rateLimitPauses!: number;

  /** The waits those 429s asked for, added up (Retry-After, or backoff when none was given). */
  @Column({ name: 'rate_limited_ms', type: 'integer', default: 0 })
  rateLimitedMs!: number;

  /** RunManifest: every input hash. */
  @Column({ type: 'json' })
  manifest!: object;

  /** RunReport without failures (summary, thresholds, outcome), once aggregated. */
  @Column({ type: 'json', nullable: true })
  report!: object | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'started_at', type: TIMESTAMP, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: TIMESTAMP, nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'cancelled_at', type: TIMESTAMP, nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/** One result per (run, item, epoch), unique: a job delivered twice writes once. */
@Entity({ name: 'run_results' })
@Index('uq_run_results_item', ['runId', 'itemId', 'epoch'], { unique: true })
@Index('idx_run_results_run_seq', ['runId', 'seq'])
export class RunResultEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'run_id', type: 'varchar', length: 36 })
  runId!: string;

  @ManyToOne(() => EvaluationRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  run?: EvaluationRunEntity;

  @Column({ name: 'item_id', type: 'varchar', length: 200 })
  itemId!: string;

  /** The item's position in the dataset: results are aggregated in this order. */
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'integer' })
  epoch!: number;

  /** scored | errored */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  /** True when any scorer failed the item (for the `failed` filter and counter). */
  @Column({ name: 'any_failed', type: 'boolean' })
  anyFailed!: boolean;

  @Column({ type: 'text', nullable: true })
  output!: string | null;

  @Column({ type: 'json' })
  scores!: object;

  @Column({ type: 'json', nullable: true })
  error!: object | null;

  @Column({ type: 'json' })
  groups!: object;

  @Column({ name: 'latency_ms', type: 'double precision', nullable: true })
  latencyMs!: number | null;

  @Column({ name: 'duration_ms', type: 'double precision' })
  durationMs!: number;

  /** Time the job waited in the queue before a worker took it. */
  @Column({ name: 'queue_wait_ms', type: 'double precision', nullable: true })
  queueWaitMs!: number | null;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'input_tokens', type: 'integer', nullable: true })
  inputTokens!: number | null;

  @Column({ name: 'output_tokens', type: 'integer', nullable: true })
  outputTokens!: number | null;

  @Column({ name: 'cost_usd', type: 'double precision', nullable: true })
  costUsd!: number | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  worker!: string | null;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;
}
