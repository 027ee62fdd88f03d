import { type LiveDriftPolicy } from '@gatehouse/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../column-types';
import { AiUseCaseEntity } from './ai-use-case.entity';

/**
 * A use case's ingest token: what its live service sends traces, feedback and heartbeats with. Only the
 * sha256 is stored; the token is shown once. It can write live data of its one use case and read nothing.
 */
@Entity({ name: 'ingest_tokens' })
export class IngestTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_ingest_tokens_use_case')
  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'display_prefix', type: 'varchar', length: 16 })
  displayPrefix!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMP })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: TIMESTAMP, nullable: true })
  revokedAt!: Date | null;
}

/** How a use case's live traffic is captured, sampled, scored and kept (defaults until a team sets them). */
@Entity({ name: 'live_settings' })
export class LiveSettingsEntity {
  @PrimaryColumn({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** Share of traces scored online, 0–1 (decided per trace id, so a trace's spans go together). */
  @Column({ name: 'sample_rate', type: 'double precision' })
  sampleRate!: number;

  /** Whether prompts and completions are kept at all (off: only counts, lengths and scores). */
  @Column({ name: 'capture_text', type: 'boolean' })
  captureText!: boolean;

  /** Whether UK personal data is redacted from captured text before it is stored. */
  @Column({ name: 'redact_pii', type: 'boolean' })
  redactPii!: boolean;

  /** Days captured text is kept; then it is deleted and only scores and counts remain. */
  @Column({ name: 'retention_days', type: 'integer' })
  retentionDays!: number;

  /** Judge calls per day the online scoring may spend (0: deterministic scorers only). */
  @Column({ name: 'judge_calls_per_day', type: 'integer' })
  judgeCallsPerDay!: number;

  /** Re-run the gate's suites against the registered target every this many days (null: never). */
  @Column({ name: 'reevaluate_every_days', type: 'integer', nullable: true })
  reevaluateEveryDays!: number | null;

  /** The drift watch's thresholds (see the domain's LiveDriftPolicy). */
  @Column({ type: 'json' })
  drift!: LiveDriftPolicy;

  @Column({ name: 'updated_by', type: 'varchar', length: 64 })
  updatedBy!: string;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/** One model call seen in live traffic (a GenAI span, or one JSON record). Only ever added; text expires. */
@Entity({ name: 'live_interactions' })
@Index('uq_live_interactions_span', ['aiUseCaseId', 'traceId', 'spanId'], { unique: true })
@Index('idx_live_interactions_started', ['aiUseCaseId', 'startedAt'])
export class LiveInteractionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** 32 lowercase hex digits (W3C trace context). */
  @Column({ name: 'trace_id', type: 'varchar', length: 32 })
  traceId!: string;

  /** 16 lowercase hex digits. */
  @Column({ name: 'span_id', type: 'varchar', length: 16 })
  spanId!: string;

  /** The request that brought it: the scoring job reads its batch (indexed while sampled and unscored). */
  @Index('idx_live_interactions_unscored', { where: '"sampled" = true AND "scored_at" IS NULL' })
  @Column({ name: 'batch_id', type: 'varchar', length: 36 })
  batchId!: string;

  /** `otlp` or `json`. */
  @Column({ type: 'varchar', length: 8 })
  source!: string;

  @Column({ name: 'started_at', type: TIMESTAMP })
  startedAt!: Date;

  @Column({ name: 'received_at', type: TIMESTAMP })
  receivedAt!: Date;

  @Column({ name: 'duration_ms', type: 'double precision', nullable: true })
  durationMs!: number | null;

  /** `gen_ai.operation.name` (chat, text_completion, embeddings, …). */
  @Column({ type: 'varchar', length: 60, nullable: true })
  operation!: string | null;

  /** `gen_ai.response.model`, else `gen_ai.request.model`. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  @Column({ name: 'input_tokens', type: 'integer', nullable: true })
  inputTokens!: number | null;

  @Column({ name: 'output_tokens', type: 'integer', nullable: true })
  outputTokens!: number | null;

  @Column({ name: 'cost_usd', type: 'double precision', nullable: true })
  costUsd!: number | null;

  /** The running configuration's hash the service attested (`gatehouse.config.hash`), if it sent one. */
  @Column({ name: 'config_hash', type: 'varchar', length: 64, nullable: true })
  configHash!: string | null;

  /** The span's status was an error. */
  @Column({ type: 'boolean' })
  errored!: boolean;

  /** Lengths of the prompt and completion as received (kept after the text is deleted; drift reads them). */
  @Column({ name: 'input_chars', type: 'integer' })
  inputChars!: number;

  @Column({ name: 'output_chars', type: 'integer' })
  outputChars!: number;

  /**
   * UK personal data found before redaction, by kind and side: `{ input: {email: 2}, output: {} }`. The
   * online PII guardrail reads the output's counts, since the stored text no longer holds what was found.
   */
  @Column({ name: 'pii_found', type: 'json', nullable: true })
  piiFound!: { input: Record<string, number>; output: Record<string, number> } | null;

  /** Redacted prompt (only when the team captures text), null after retention. */
  @Column({ name: 'input_text', type: 'text', nullable: true })
  inputText!: string | null;

  @Column({ name: 'output_text', type: 'text', nullable: true })
  outputText!: string | null;

  /** When the text is deleted (null when there is none). */
  @Index('idx_live_interactions_text_expiry', { where: '"text_expires_at" IS NOT NULL' })
  @Column({ name: 'text_expires_at', type: TIMESTAMP, nullable: true })
  textExpiresAt!: Date | null;

  /** In the online-scoring sample (decided from the trace id and the sample rate at ingest). */
  @Column({ type: 'boolean' })
  sampled!: boolean;

  @Column({ name: 'scored_at', type: TIMESTAMP, nullable: true })
  scoredAt!: Date | null;
}

/** One online scorer's verdict on one sampled interaction. */
@Entity({ name: 'live_scores' })
@Index('idx_live_scores_started', ['aiUseCaseId', 'startedAt'])
export class LiveScoreEntity {
  @PrimaryColumn({ name: 'interaction_id', type: 'varchar', length: 36 })
  interactionId!: string;

  @ManyToOne(() => LiveInteractionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'interaction_id' })
  interaction?: LiveInteractionEntity;

  /** The scorer's metric name in its suite. */
  @PrimaryColumn({ type: 'varchar', length: 120 })
  scorer!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @Column({ name: 'scorer_type', type: 'varchar', length: 40 })
  scorerType!: string;

  /** The interaction's start, copied so daily rates read this table alone. */
  @Column({ name: 'started_at', type: TIMESTAMP })
  startedAt!: Date;

  @Column({ type: 'boolean', nullable: true })
  passed!: boolean | null;

  @Column({ type: 'double precision', nullable: true })
  value!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  explanation!: string | null;

  @Column({ name: 'scored_at', type: TIMESTAMP })
  scoredAt!: Date;
}

/**
 * Model-judge calls online scoring spent for a use case on one UTC day. Reserved before each call by one
 * conditional upsert (`calls + n <= budget`), so concurrent workers never spend past the day's budget.
 */
@Entity({ name: 'live_judge_budgets' })
export class LiveJudgeBudgetEntity {
  @PrimaryColumn({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** `YYYY-MM-DD` (UTC) of the calls. */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'integer' })
  calls!: number;

  @Column({ name: 'updated_at', type: TIMESTAMP })
  updatedAt!: Date;
}

/** A feedback event from the live service: a caseworker overrode, a citizen complained, an answer was undone. */
@Entity({ name: 'live_feedback' })
@Index('uq_live_feedback_event', ['aiUseCaseId', 'eventKey'], { unique: true })
@Index('idx_live_feedback_occurred', ['aiUseCaseId', 'occurredAt'])
export class LiveFeedbackEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** The sender's id for the event (retries are one event), or one the server made. */
  @Column({ name: 'event_key', type: 'varchar', length: 200 })
  eventKey!: string;

  @Column({ name: 'trace_id', type: 'varchar', length: 32, nullable: true })
  traceId!: string | null;

  /** override, undo, complaint, incident, positive, negative. */
  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  @Column({ name: 'occurred_at', type: TIMESTAMP })
  occurredAt!: Date;

  @Column({ name: 'received_at', type: TIMESTAMP })
  receivedAt!: Date;

  /** Redacted like captured text; only kept when the team captures text. */
  @Column({ type: 'text', nullable: true })
  note!: string | null;
}

/**
 * Something the watch found in live use: a configuration the reviewers did not approve, a rate that drifted,
 * a scheduled re-evaluation that regressed, evidence about to expire. Open until resolved; one open alert per
 * use case and key (`open_key` is the key while open, null once resolved).
 */
@Entity({ name: 'watch_alerts' })
@Index('uq_watch_alerts_open', ['aiUseCaseId', 'openKey'], { unique: true })
@Index('idx_watch_alerts_status', ['status', 'openedAt'])
export class WatchAlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ai_use_case_id', type: 'varchar', length: 36 })
  aiUseCaseId!: string;

  @ManyToOne(() => AiUseCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ai_use_case_id' })
  aiUseCase?: AiUseCaseEntity;

  /** config_mismatch, drift, regression, evidence_expiring. */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 200 })
  dedupeKey!: string;

  @Column({ name: 'open_key', type: 'varchar', length: 200, nullable: true })
  openKey!: string | null;

  /** open or resolved. */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ type: 'varchar', length: 500 })
  summary!: string;

  @Column({ type: 'json' })
  details!: Record<string, unknown>;

  @Column({ name: 'opened_at', type: TIMESTAMP })
  openedAt!: Date;

  @Column({ name: 'resolved_at', type: TIMESTAMP, nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 64, nullable: true })
  resolvedBy!: string | null;
}
