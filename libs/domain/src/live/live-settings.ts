/** How a use case's live traffic is captured, sampled, scored, kept and watched. */
export interface LiveSettings {
  /** Share of traces scored online, 0–1. */
  sampleRate: number;
  /** Keep prompts and completions at all (off: counts, lengths and scores only). */
  captureText: boolean;
  /** Redact UK personal data from captured text before it is stored. */
  redactPii: boolean;
  /** Days captured text is kept (1–365); then only scores and counts remain. */
  retentionDays: number;
  /** Judge calls per day online scoring may spend (0: deterministic scorers only). */
  judgeCallsPerDay: number;
  /** Re-run the gate's suites against the registered target every this many days (null: never). */
  reevaluateEveryDays: number | null;
  drift: LiveDriftPolicy;
}

/**
 * When the drift watch alerts: a live guardrail failure rate whose lower 95% bound is above the
 * evaluation-time rate plus `rateMargin`, or a median input length that moved by more than `lengthRatio`
 * (either way), once at least `minCases` live interactions were scored in the window of `windowDays`.
 */
export interface LiveDriftPolicy {
  windowDays: number;
  minCases: number;
  rateMargin: number;
  lengthRatio: number;
}

export const DEFAULT_DRIFT_POLICY: LiveDriftPolicy = {
  windowDays: 7,
  minCases: 100,
  rateMargin: 0.02,
  lengthRatio: 2,
};

export const DEFAULT_LIVE_SETTINGS: LiveSettings = {
  sampleRate: 0.1,
  captureText: false,
  redactPii: true,
  retentionDays: 30,
  judgeCallsPerDay: 0,
  reevaluateEveryDays: null,
  drift: DEFAULT_DRIFT_POLICY,
};
