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

/** The bounds each setting must keep to (integers where `integer`). */
export const LIVE_SETTINGS_LIMITS = {
  sampleRate: { min: 0, max: 1, integer: false },
  retentionDays: { min: 1, max: 365, integer: true },
  judgeCallsPerDay: { min: 0, max: 10_000, integer: true },
  reevaluateEveryDays: { min: 1, max: 365, integer: true },
  windowDays: { min: 1, max: 90, integer: true },
  // Drift thresholds a team may set stay ones that can fire on a real pilot.
  minCases: { min: 10, max: 10_000, integer: true },
  rateMargin: { min: 0, max: 0.2, integer: false },
  lengthRatio: { min: 1.1, max: 10, integer: false },
} as const;

type Limit = { min: number; max: number; integer: boolean };
type Problem = { field: string; message: string; code: string };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function numberProblem(field: string, value: unknown, limit: Limit): Problem | null {
  if (value === undefined) {
    return { field, message: 'is required', code: 'required' };
  }
  const kind = limit.integer ? 'a whole number' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { field, message: `must be ${kind}`, code: 'invalid_type' };
  }
  if (limit.integer && !Number.isInteger(value)) {
    return { field, message: 'must be a whole number', code: 'invalid_type' };
  }
  if (value < limit.min || value > limit.max) {
    return { field, message: `must be between ${limit.min} and ${limit.max}`, code: 'out_of_range' };
  }
  return null;
}

function booleanProblem(field: string, value: unknown): Problem | null {
  if (value === undefined) {
    return { field, message: 'is required', code: 'required' };
  }
  return typeof value === 'boolean'
    ? null
    : { field, message: 'must be true or false', code: 'invalid_type' };
}

function unknownKeys(value: Record<string, unknown>, known: readonly string[], prefix: string): Problem[] {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .slice(0, 20)
    .map((key) => ({ field: `${prefix}${key}`, message: 'is not a known field', code: 'unknown_field' }));
}

const SETTING_KEYS = [
  'sampleRate',
  'captureText',
  'redactPii',
  'retentionDays',
  'judgeCallsPerDay',
  'reevaluateEveryDays',
  'drift',
] as const satisfies readonly (keyof LiveSettings)[];
const DRIFT_KEYS = [
  'windowDays',
  'minCases',
  'rateMargin',
  'lengthRatio',
] as const satisfies readonly (keyof LiveDriftPolicy)[];

/**
 * What is wrong with a full set of live settings, each problem naming its field (`drift.minCases`): every
 * field present, of its type, finite and within LIVE_SETTINGS_LIMITS, and no field that is not a setting.
 * `extraKeys` are keys the caller reads itself (a change's `reason`). An empty list: the value is a
 * LiveSettings.
 */
export function liveSettingsProblems(value: unknown, extraKeys: readonly string[] = []): Problem[] {
  if (!isPlainObject(value)) {
    return [{ field: '(body)', message: 'must be an object of live settings', code: 'invalid_type' }];
  }
  const L = LIVE_SETTINGS_LIMITS;
  const problems: (Problem | null)[] = [
    ...unknownKeys(value, [...SETTING_KEYS, ...extraKeys], ''),
    numberProblem('sampleRate', value['sampleRate'], L.sampleRate),
    booleanProblem('captureText', value['captureText']),
    booleanProblem('redactPii', value['redactPii']),
    numberProblem('retentionDays', value['retentionDays'], L.retentionDays),
    numberProblem('judgeCallsPerDay', value['judgeCallsPerDay'], L.judgeCallsPerDay),
    value['reevaluateEveryDays'] === null
      ? null
      : numberProblem('reevaluateEveryDays', value['reevaluateEveryDays'], L.reevaluateEveryDays),
  ];
  const drift = value['drift'];
  if (drift === undefined) {
    problems.push({ field: 'drift', message: 'is required', code: 'required' });
  } else if (!isPlainObject(drift)) {
    problems.push({ field: 'drift', message: 'must be an object', code: 'invalid_type' });
  } else {
    problems.push(
      ...unknownKeys(drift, DRIFT_KEYS, 'drift.'),
      ...DRIFT_KEYS.map((key) => numberProblem(`drift.${key}`, drift[key], L[key])),
    );
  }
  return problems.filter((p): p is Problem => p !== null);
}

/** Captured prompts and completions are kept with UK personal data in them. */
export const keepsUnredactedText = (settings: Pick<LiveSettings, 'captureText' | 'redactPii'>): boolean =>
  settings.captureText && !settings.redactPii;

/**
 * Text is stored with UK personal data in it: captured text unredacted, or (capture off) the sampled share's
 * text kept unredacted until it is scored (up to a day, longer than that if the scoring is down).
 */
export const storesUnredactedText = (
  settings: Pick<LiveSettings, 'captureText' | 'redactPii' | 'sampleRate'>,
): boolean => !settings.redactPii && (settings.captureText || settings.sampleRate > 0);

/**
 * Whether a change of settings needs a reason: it starts storing text unredacted (redactPii off while text
 * is captured or sampled for scoring), or starts keeping captured text unredacted, where before it did not.
 * Personal data in stored text is a DPIA matter, so the decision is recorded with why.
 */
export const liveSettingsChangeNeedsReason = (before: LiveSettings, after: LiveSettings): boolean =>
  (storesUnredactedText(after) && !storesUnredactedText(before)) ||
  (keepsUnredactedText(after) && !keepsUnredactedText(before));

/**
 * What a change of settings weakens in the watch over live use (empty: nothing): less of the traffic scored
 * online, fewer model-judge calls a day, re-evaluation stopped or less often, a drift window changed either
 * way, or drift thresholds that need more to alert. At learn and scale the team being watched needs a reason
 * (audited) to do any of it.
 */
export function liveWatchWeakenings(before: LiveSettings, after: LiveSettings): string[] {
  const weakened: string[] = [];
  if (after.sampleRate < before.sampleRate) {
    weakened.push('sampleRate');
  }
  if (after.judgeCallsPerDay < before.judgeCallsPerDay) {
    weakened.push('judgeCallsPerDay');
  }
  if (
    before.reevaluateEveryDays !== null &&
    (after.reevaluateEveryDays === null || after.reevaluateEveryDays > before.reevaluateEveryDays)
  ) {
    weakened.push('reevaluateEveryDays');
  }
  // Either way: shorter, fewer cases to reach minCases with; longer, a recent rise is diluted by older
  // traffic and an alert a person resolved stays quiet for the whole window.
  if (after.drift.windowDays !== before.drift.windowDays) {
    weakened.push('drift.windowDays');
  }
  for (const key of ['minCases', 'rateMargin', 'lengthRatio'] as const) {
    if (after.drift[key] > before.drift[key]) {
      weakened.push(`drift.${key}`);
    }
  }
  return weakened;
}
