import { type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';

/** What a scorer sees of one answered item. */
export interface ScoreContext {
  item: DatasetItem;
  /** The rendered prompt the target received (the user message), for judges. */
  prompt: string;
  output: string;
  call: {
    latencyMs: number;
    inputTokens: number | null;
    outputTokens: number | null;
    costUsd: number | null;
  };
  signal: AbortSignal;
}

/**
 * One scorer's verdict on one item. `passed` null means unscored: the scorer could not grade (a judge
 * that failed, a reference that is missing); unscored items are counted apart, never as zeros.
 */
export interface Score {
  /** 1/0 for pass/fail scorers; a number for graded ones (similarity, judge score scaled to 0-1). */
  value: number | null;
  passed: boolean | null;
  explanation?: string;
  /** Classification scorers: the label found in the output, and the expected one. */
  label?: string | null;
  expectedLabel?: string | null;
  /** Judge panels: each judge's rating, for the agreement statistic. */
  ratings?: (number | null)[];
}

export type ScoreKind = 'pass_rate' | 'mean';

export interface Scorer {
  /** The metric name. */
  name: string;
  type: string;
  /** Bumped whenever the scorer's semantics change; recorded in every run manifest. */
  version: string;
  guardrail: boolean;
  weight: number;
  /** `pass_rate` scorers produce 1/0 values; `mean` scorers graded values in [0, 1] with a pass threshold. */
  kind: ScoreKind;
  /** What pins the scorer beyond its type and version (e.g. the judge model and its parameters). */
  fingerprint: Record<string, JsonValue>;
  /** Classification scorers list their labels (for the confusion matrix). */
  labels?: string[];
  /** Items outside the scorer's `where` filter are not applicable: neither scored nor unscored. */
  applies(item: DatasetItem): boolean;
  score(context: ScoreContext): Score | Promise<Score>;
  /** Releases what the scorer holds (a judge's recordings are written here). */
  close?(): Promise<void>;
}

export const pass = (explanation?: string): Score => ({ value: 1, passed: true, explanation });
export const fail = (explanation: string): Score => ({ value: 0, passed: false, explanation });
export const unscored = (explanation: string): Score => ({ value: null, passed: null, explanation });

/**
 * Thrown by a scorer whose grader failed (a judge's server error, timeout, refusal or unreadable verdict,
 * after the runner's retries): the item is then *errored* with kind `judge_error`, not unscored, so an
 * outage of the judge counts against `maxErroredShare` instead of reading as a model failure. `status`
 * and `code` are the failed call's (HTTP status, system error code), for fail-fast.
 */
export class JudgeError extends Error {
  constructor(
    message: string,
    readonly details: { status?: number; code?: string } = {},
  ) {
    super(message);
    this.name = 'JudgeError';
  }
}
