/**
 * The aggregate result of an evaluation run: what reports show and what gate policies test. Every metric
 * carries its uncertainty and its unscored and errored counts; nothing here is a running counter, all of
 * it is derived from per-item results.
 */

/**
 * `normal`: the normal-theory interval of a mean, used instead of the bootstrap for large samples (above
 * LARGE_SAMPLE items), where the two agree and resampling would cost seconds.
 */
export type IntervalMethod = 'wilson' | 'bootstrap' | 'clopper_pearson' | 'newcombe' | 'normal';

export interface Interval {
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  method: IntervalMethod;
}

export interface GroupMetric {
  /** The group's value of the metadata key, e.g. `65+` for `age_band`. */
  group: string;
  n: number;
  value: number;
  interval: Interval;
}

export interface GroupBreakdown {
  /** The item metadata key the groups come from, e.g. `age_band`. */
  key: string;
  groups: GroupMetric[];
  /** Groups with fewer items than the suite's minimum group size: shown, but left out of the gap. */
  smallGroups: string[];
  /** Largest difference between two (large enough) groups, with its interval; null with fewer than two. */
  maxGap: { value: number; between: [string, string]; interval: Interval } | null;
}

export interface ClassificationReport {
  labels: string[];
  /** confusion[i][j]: items whose expected label is labels[i] and predicted label is labels[j]. */
  confusion: number[][];
  perClass: {
    label: string;
    precision: number | null;
    recall: number | null;
    f1: number | null;
    support: number;
  }[];
  macroF1: number | null;
}

export type MetricKind = 'pass_rate' | 'mean' | 'failure_rate';

export interface MetricSummary {
  /** The metric's name in the suite (what thresholds and gate rules refer to). */
  name: string;
  /** The scorer type that produced it, e.g. `equals`, `pii_leakage`, `rubric_judge`. */
  scorer: string;
  kind: MetricKind;
  /** Guardrail metrics count failures: their `value` is the failure rate and `upper95` its exact upper bound. */
  guardrail: boolean;
  value: number | null;
  interval: Interval | null;
  /** One-sided 95% upper bound of a failure rate (Clopper-Pearson; about 3/n with no failures). */
  upper95: number | null;
  /** Items scored (after epochs were reduced), the denominator of `value`. */
  n: number;
  passed: number | null;
  failed: number | null;
  /** Items the scorer could not grade (e.g. a judge that answered nonsense): never counted as zeros. */
  unscored: number;
  /** Items whose target call failed: counted apart, never as failures. */
  errored: number;
  groups: GroupBreakdown[];
  classification: ClassificationReport | null;
  /** Agreement between judges of a panel (Krippendorff's alpha, nominal), when the scorer is a panel. */
  agreement: { alpha: number | null; judges: number } | null;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

export interface RunSummary {
  items: { total: number; scored: number; errored: number; epochs: number };
  metrics: MetricSummary[];
  /**
   * The suite's scorers' weights applied to their metric values (pass rates and mean scores; guardrails
   * excluded, they count failures): one headline figure for the run. Null when no metric has a value.
   */
  weightedScore: number | null;
  operational: {
    /** Time inside the provider call that succeeded, excluding queueing and retry waits. */
    providerLatencyMs: Percentiles;
    /** Wall time per item, including retries and waits. */
    itemDurationMs: Percentiles;
    inputTokens: number;
    outputTokens: number;
    costUsd: number | null;
    retries: number;
    errorsByKind: Record<string, number>;
    /**
     * Why items errored: per error kind, how many item records (item × epoch) errored that way, their
     * share of all records, and the most common message (secrets removed). Most frequent kind first.
     * Absent in reports stored before it existed.
     */
    errors?: ErrorKindSummary[];
    /** Retries of target calls by the kind of error that caused them (`rate_limited`, `server_error`…). */
    retriesByKind?: Record<string, number>;
    /** Rate limiting: 429 answers waited out before a retry, and the seconds spent waiting for them. */
    rateLimit?: { pauses: number; pauseSeconds: number };
  };
}

/** One kind of error in a run: `{ kind: 'client_error', count: 20, share: 1, message: 'refused (401): …' }`. */
export interface ErrorKindSummary {
  kind: string;
  count: number;
  /** count / item records in the run (0–1). */
  share: number;
  /** The most common message of this kind, secrets removed. */
  message: string;
}

/** A paired comparison of two runs on the same items, for one metric (B, the candidate, against A). */
export interface MetricComparison {
  metric: string;
  test: 'mcnemar_exact' | 'paired_bootstrap';
  n: number;
  baseline: number | null;
  candidate: number | null;
  difference: number | null;
  interval: Interval | null;
  pValue: number;
  /** `worse` / `better` when the difference is significant at alpha 0.05, else `no_difference`. */
  verdict: 'worse' | 'better' | 'no_difference';
}
