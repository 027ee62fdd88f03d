import { type Score } from '../scorers/scorer';
import { type RetryStats } from '../targets/retry';
import { type TargetErrorKind } from '../targets/target';

/** Why an item errored: its target call failed (a TargetErrorKind), or its judge did (`judge_error`). */
export type ItemErrorKind = TargetErrorKind | 'judge_error';

/**
 * The result of one item in one epoch: the unit both engines store (the CLI in memory, the platform as a
 * row unique on run, item and epoch). Aggregates are always derived from these, never kept as counters.
 */
export interface ItemRecord {
  itemId: string;
  epoch: number;
  status: 'scored' | 'errored';
  output: string | null;
  /**
   * Why the item errored; `retryAfterMs` when a provider asked us to wait (a 429); the HTTP `status` or
   * the system error `code` (ECONNREFUSED…) when there was one (what fail-fast compares).
   */
  error: {
    kind: ItemErrorKind;
    message: string;
    retryAfterMs?: number;
    status?: number;
    code?: string;
  } | null;
  /** By metric name; only the scorers that apply to the item. */
  scores: Record<string, Score>;
  /** Group attribute values from the item's metadata, for the suite's `groupBy` keys. */
  groups: Record<string, string>;
  /** Provider time of the successful attempt. */
  latencyMs: number | null;
  /** Wall time for the item, including retries and waits. */
  durationMs: number;
  attempts: number;
  /** The target call's retries by cause and its 429 waits (absent where the engine did not say). */
  retries?: RetryStats;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}
