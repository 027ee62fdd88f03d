import { type Score } from '../scorers/scorer';
import { type TargetErrorKind } from '../targets/target';

/**
 * The result of one item in one epoch: the unit both engines store (the CLI in memory, the platform as a
 * row unique on run, item and epoch). Aggregates are always derived from these, never kept as counters.
 */
export interface ItemRecord {
  itemId: string;
  epoch: number;
  status: 'scored' | 'errored';
  output: string | null;
  /** Why the item errored; `retryAfterMs` when a provider asked us to wait (a 429). */
  error: { kind: TargetErrorKind; message: string; retryAfterMs?: number } | null;
  /** By metric name; only the scorers that apply to the item. */
  scores: Record<string, Score>;
  /** Group attribute values from the item's metadata, for the suite's `groupBy` keys. */
  groups: Record<string, string>;
  /** Provider time of the successful attempt. */
  latencyMs: number | null;
  /** Wall time for the item, including retries and waits. */
  durationMs: number;
  attempts: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}
