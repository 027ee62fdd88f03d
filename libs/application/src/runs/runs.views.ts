import { type RunStatus, type StoredManifest, type StoredRunReport } from '@gatehouse/domain';
import {
  type EvaluationRunEntity,
  type StoredRunResult,
  type StoredScore,
  storedManifest,
  storedReport,
} from '@gatehouse/persistence';

export type { StoredManifest, StoredRunReport } from '@gatehouse/domain';

export interface RunView {
  id: string;
  status: RunStatus;
  suite: { id: string; name: string; version: number };
  aiUseCaseId: string | null;
  baselineRunId: string | null;
  target: Record<string, unknown>;
  provider: string;
  progress: { total: number; completed: number; failed: number; errored: number; remaining: number };
  /** 429s: how often the provider's queue was paused for this run, and the waits they asked for. */
  rateLimits: { pauses: number; waitedSeconds: number };
  manifest: StoredManifest;
  outcome: string | null;
  /** Metrics with intervals, thresholds and failure examples, once aggregated (partial when cancelled). */
  report: StoredRunReport | null;
  error: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
}

export interface RunResultView {
  itemId: string;
  seq: number;
  epoch: number;
  status: string;
  failed: boolean;
  output: string | null;
  scores: Record<string, StoredScore>;
  error: { kind: string; message: string } | null;
  groups: Record<string, string>;
  latencyMs: number | null;
  queueWaitMs: number | null;
  attempts: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  worker: string | null;
  createdAt: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toRunView(run: EvaluationRunEntity): RunView {
  const suite = run.suite;
  return {
    id: run.id,
    status: run.status,
    suite: { id: run.suiteId, name: suite?.name ?? '', version: suite?.version ?? 0 },
    aiUseCaseId: run.aiUseCaseId,
    baselineRunId: run.baselineRunId,
    target: run.targetConfig as Record<string, unknown>,
    provider: run.provider,
    progress: {
      total: run.total,
      completed: run.completed,
      failed: run.failed,
      errored: run.errored,
      remaining: Math.max(0, run.total - run.completed),
    },
    rateLimits: {
      pauses: run.rateLimitPauses ?? 0,
      waitedSeconds: Math.round((run.rateLimitedMs ?? 0) / 100) / 10,
    },
    manifest: storedManifest(run),
    outcome: run.outcome,
    report: storedReport(run),
    error: run.error,
    createdBy: run.createdBy,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
    cancelledAt: iso(run.cancelledAt),
  };
}

export function toRunResultView(row: StoredRunResult): RunResultView {
  return {
    itemId: row.itemId,
    seq: row.seq,
    epoch: row.epoch,
    status: row.status,
    failed: row.anyFailed,
    output: row.output,
    scores: row.scores,
    error: row.error,
    groups: row.groups,
    latencyMs: row.latencyMs,
    queueWaitMs: row.queueWaitMs,
    attempts: row.attempts,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costUsd: row.costUsd,
    worker: row.worker,
    createdAt: row.createdAt.toISOString(),
  };
}
