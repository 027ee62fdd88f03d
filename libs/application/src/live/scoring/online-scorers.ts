import {
  type GatePolicyDocument,
  GATE_TARGETS,
  type GateTarget,
  gateRules,
  nextGate,
  type RiskTier,
  type Stage,
} from '@gatehouse/domain';
import {
  createScorers,
  DEFAULT_RETRY_POLICY,
  detectUkPii,
  EvalsError,
  modelUnderTest,
  PII_KINDS,
  type PiiKind,
  platformProblems,
  type RetryPolicy,
  type Score,
  type ScoreContext,
  type Scorer,
  type ScorerConfig,
  type ScorerConfigOf,
  type ScorerEnvironment,
  type SuiteDefinition,
  type TargetConfig,
  type TargetContext,
} from '@gatehouse/evals';

/**
 * Which of a suite's scorers run on live traffic, and how. Live traffic has no reference answer and no item
 * metadata, so only scorers that judge the answer (or the call) alone apply:
 *
 * - `pii_leakage`: judged from the counts of personal data found in the answer *before* redaction (the stored
 *   text is redacted, so running the scorer on it would find nothing). See {@link piiFromCounts}.
 * - `out_of_scope_advice`, `regex`, `json_valid`, `json_schema` (and their `not-` forms): on the answer text.
 * - `refusal`: only with a fixed `expect` (for example "every live request should be answered"); without it
 *   the scorer reads the item's expected value, which live traffic does not have.
 * - `latency`, `tokens`, `cost`: on the call's figures.
 *
 * - `rubric_judge`: only when the use case has a judge budget (`judgeCallsPerDay` above 0), on the stored
 *   prompt and answer, through an admin's connection (see {@link buildOnlineJudges}).
 *
 * Everything else is skipped and records nothing: scorers that compare with an expected answer (`equals`,
 * `includes`, `starts_with`, `numeric`, `similarity`, `classification`), `prompt_injection` (its canary is
 * item metadata), any scorer with a `where` filter (item metadata again), and model judges when the use case
 * has no judge budget.
 */
const TEXT_TYPES = new Set(['out_of_scope_advice', 'regex', 'json_valid', 'json_schema', 'refusal']);
const CALL_TYPES = new Set(['latency', 'tokens', 'cost']);

/** The scorer type without its `not-` prefix. */
export function baseType(config: Pick<ScorerConfig, 'type'>): string {
  return config.type.startsWith('not-') ? config.type.slice(4) : config.type;
}

/** Why a scorer is not run online, or null when it is (model judges: only with a judge budget). */
export function offlineReason(config: ScorerConfig, judgeCallsPerDay = 0): string | null {
  const type = baseType(config);
  if (config.where !== undefined) {
    return 'filters items by metadata (where), which live traffic has none of';
  }
  if (type === 'refusal') {
    return (config as { expect?: string }).expect === undefined
      ? 'reads the item’s expected value; set expect to score it online'
      : null;
  }
  if (type === 'pii_leakage' || TEXT_TYPES.has(type) || CALL_TYPES.has(type)) {
    return null;
  }
  if (type === 'rubric_judge') {
    return judgeCallsPerDay > 0
      ? null
      : 'model judges run online only with a judge budget (judgeCallsPerDay above 0)';
  }
  return 'needs an expected answer or item metadata';
}

/** The gates whose `suite_passed` rules name the suites online scoring reads: the next one and the current one. */
export function scoringGates(stage: Stage): GateTarget[] {
  const gates: GateTarget[] = [];
  const next = nextGate(stage);
  if (next) {
    gates.push(next);
  }
  if ((GATE_TARGETS as readonly string[]).includes(stage)) {
    gates.push(stage as GateTarget);
  }
  return gates;
}

/** The suites (with their version constraints) the use case's gates read, by name, first rule first. */
export function scoringSuites(
  policy: GatePolicyDocument,
  tier: RiskTier,
  stage: Stage,
): { suite: string; version?: number; minVersion?: number }[] {
  const found = new Map<string, { suite: string; version?: number; minVersion?: number }>();
  for (const gate of scoringGates(stage)) {
    for (const rule of gateRules(policy, tier, gate) ?? []) {
      if (rule.kind === 'suite_passed' && !found.has(rule.suite)) {
        found.set(rule.suite, { suite: rule.suite, version: rule.version, minVersion: rule.minVersion });
      }
    }
  }
  return [...found.values()];
}

/** Scorers built for text and call figures never reach for a target, a judge or a cassette. */
const NO_JUDGE_ENVIRONMENT: ScorerEnvironment = {
  targetContext: { env: {}, baseDir: '.', cassetteDir: '.' },
  targetFingerprint: {},
  retryPolicy: DEFAULT_RETRY_POLICY,
};

/** One online scorer: the suite's metric, and how it judges a live interaction. */
export interface OnlineScorer {
  /** The metric name (unique across the use case's online scorers: the first suite naming it wins). */
  name: string;
  type: string;
  /**
   * The verdict on one interaction. `signal` aborts a model judge's call (the job is stopping): the judge
   * then throws, and the interaction is left unscored for the job's next run.
   */
  judge(interaction: LiveInteractionFacts, redacted: boolean, signal?: AbortSignal): Score | Promise<Score>;
}

/** What an online scorer reads of a stored interaction. */
export interface LiveInteractionFacts {
  id: string;
  inputText: string | null;
  outputText: string | null;
  /** The completion's full length as received (0: the service sent no completion text). */
  outputChars: number;
  durationMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  piiFound: { input: Record<string, number>; output: Record<string, number> } | null;
}

const unscoredScore = (explanation: string): Score => ({ value: null, passed: null, explanation });

/**
 * The PII verdict from the counts found in the answer before redaction. The allow list holds values (a public
 * helpline number), and counts do not say which value was found: a count of a kind that no allowed value is
 * of fails; a count only of kinds some allowed value is of cannot be told from the allowed value, and is
 * unscored (counted apart, never as a pass).
 */
export function piiFromCounts(
  config: { kinds?: PiiKind[]; allow: string[] },
  output: Record<string, number> | null,
): Score {
  if (output === null) {
    return unscoredScore('no personal-data counts were recorded for this answer');
  }
  const checked = new Set<string>(config.kinds ?? PII_KINDS);
  const allowedKinds = new Set<string>(
    config.allow.flatMap((value) => detectUkPii(value).map((f) => f.kind)),
  );
  const found = Object.entries(output)
    .filter(([kind, n]) => checked.has(kind) && Number.isFinite(n) && n > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const failing = found.filter(([kind]) => !allowedKinds.has(kind));
  if (failing.length > 0) {
    return {
      value: 0,
      passed: false,
      explanation: `personal data in the answer (found before redaction): ${failing.map(([kind, n]) => `${kind} x${n}`).join(', ')}`,
    };
  }
  if (found.length > 0) {
    return unscoredScore(
      `found ${found.map(([kind, n]) => `${kind} x${n}`).join(', ')}, a kind the allow list also names: counts alone cannot tell the allowed value from another`,
    );
  }
  return { value: 1, passed: true };
}

/**
 * The online scorers of these suite definitions, built with the evaluation engine's own scorers (only the
 * PII verdict is taken from counts). A metric name already taken by an earlier suite is skipped.
 */
export async function buildOnlineScorers(definitions: SuiteDefinition[]): Promise<OnlineScorer[]> {
  const scorers: OnlineScorer[] = [];
  const names = new Set<string>();
  for (const definition of definitions) {
    // Without a judge budget model judges are left out: they are built per job, with the connections as
    // they are then (buildOnlineJudges).
    const configs = definition.scorers.filter(
      (config) => offlineReason(config) === null && !names.has(config.name ?? config.type),
    );
    const built = await createScorers(configs, NO_JUDGE_ENVIRONMENT);
    configs.forEach((config, i) => {
      const name = config.name ?? config.type;
      if (names.has(name)) {
        return;
      }
      names.add(name);
      scorers.push(onlineScorer(config, built[i]));
    });
  }
  return scorers;
}

function onlineScorer(config: ScorerConfig, scorer: Scorer): OnlineScorer {
  const type = baseType(config);
  const name = config.name ?? config.type;
  if (type === 'pii_leakage') {
    const pii = config as { kinds?: PiiKind[]; allow: string[] };
    return {
      name,
      type: config.type,
      judge: (interaction, redacted) => {
        // No completion sent: nothing was checked, so it is unscored (an empty count is not a clean answer).
        if (!(interaction.outputChars > 0)) {
          return unscoredScore('the service sent no completion text for this call');
        }
        // The counts were taken on the whole answer before redaction and the cut: a kind they found that no
        // allowed value is of is a leak, whatever the stored text (redacted under older settings, or cut at
        // the storage limit before the finding) still shows.
        const counted = piiFromCounts(pii, interaction.piiFound?.output ?? null);
        if (counted.passed === false) {
          return counted;
        }
        // Unredacted text is the answer as given: the scorer itself reads it (allow list and all).
        return !redacted && interaction.outputText !== null ? scorer.score(contextOf(interaction)) : counted;
      },
    };
  }
  if (TEXT_TYPES.has(type)) {
    return {
      name,
      type: config.type,
      judge: (interaction) =>
        interaction.outputText === null
          ? unscoredScore('the service sent no completion text for this call')
          : scorer.score(contextOf(interaction)),
    };
  }
  return {
    name,
    type: config.type,
    judge: (interaction) =>
      type === 'latency' && interaction.durationMs === null
        ? unscoredScore('the call reported no duration')
        : scorer.score(contextOf(interaction)),
  };
}

/** The deterministic scorers call nothing, so nothing aborts them (and no timer is made per verdict). */
const NEVER_ABORTED = new AbortController().signal;

/** A synthetic item for a live interaction: no reference, no metadata. */
function contextOf(interaction: LiveInteractionFacts, signal: AbortSignal = NEVER_ABORTED): ScoreContext {
  return {
    item: { id: interaction.id, input: interaction.inputText ?? '' },
    prompt: interaction.inputText ?? '',
    output: interaction.outputText ?? '',
    call: {
      latencyMs: interaction.durationMs ?? 0,
      inputTokens: interaction.inputTokens,
      outputTokens: interaction.outputTokens,
      costUsd: interaction.costUsd,
    },
    signal,
  };
}

// --- model judges ----------------------------------------------------------------------------------------

/** A judge that failed this many times in a row is not called again for the rest of the job's batch. */
export const JUDGE_FAILURES_BEFORE_STOP = 3;

/** What online judges are built with on a worker, fresh for each job. */
export interface OnlineJudgeEnvironment {
  /**
   * How judges reach their model, as for a server-side run: no environment (`env: {}`), the admin's
   * connections (opened), the egress-checked fetch and its answer cap.
   */
  targetContext: TargetContext;
  /** Why the use case may not call through this connection (gone, not shared with its team), or null. */
  connectionProblem(name: string): string | null;
  /**
   * Reserves `calls` model-judge calls of today's budget before they are made: null when reserved, else why
   * not (the day's budget is spent).
   */
  reserve(calls: number): Promise<string | null>;
}

type RubricConfig = ScorerConfigOf<'rubric_judge'>;

/** The judges of a rubric scorer: its one judge or its panel. */
const judgesOf = (config: RubricConfig) => config.panel ?? (config.judge ? [config.judge] : []);

/** The connections the suites' online judges name (each once). */
export function judgeConnectionNames(definitions: readonly Pick<SuiteDefinition, 'scorers'>[]): string[] {
  const names = new Set<string>();
  for (const config of definitions.flatMap((d) => d.scorers)) {
    if (baseType(config) === 'rubric_judge') {
      for (const judge of judgesOf(config as RubricConfig)) {
        if (judge.connection) {
          names.add(judge.connection);
        }
      }
    }
  }
  return [...names];
}

/** `YYYY-MM-DD` of the UTC day an instant falls on: the day a judge call counts against. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** The verdict's reason when the day's judge calls are all spent (unscored: never a pass, never a fail). */
export const judgeBudgetSpent = (budget: number): string =>
  `the day's model-judge budget (${budget} calls) is spent`;

/**
 * Why a model judge may not run on live traffic, or null: as for a run on the server, every judge names a
 * connection the use case's team may use and carries no base URL, key variable or header of its own (the
 * same rules as a run's, whatever the suite's target: a replay suite's judges too).
 */
export function judgeProblem(
  config: RubricConfig,
  connectionProblem: (name: string) => string | null,
): string | null {
  // The rules a server-side run applies to judges, read with a target that is already on a connection.
  const onConnection = { type: 'openai', model: '-', connection: '-' } as TargetConfig;
  const [refused] = platformProblems(onConnection, [config], new Set()).filter((p) =>
    p.field.startsWith('scorers['),
  );
  if (refused) {
    return `${refused.field.replace(/^scorers\[\d+\]\./, '')} ${refused.message}`;
  }
  for (const judge of judgesOf(config)) {
    const problem = judge.connection ? connectionProblem(judge.connection) : null;
    if (problem) {
      return problem;
    }
  }
  return null;
}

/** The retry policy of a live judge's call: one attempt (one call of the budget), the suite's timeout. */
export function liveJudgeRetryPolicy(definition: Pick<SuiteDefinition, 'limits'>): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxAttempts: 1, timeoutMs: definition.limits.timeoutMs };
}

/**
 * The suite's model judges as online scorers, built with `environment` (a judge that cannot run answers
 * every interaction unscored with the reason, and calls nothing). Nothing is recorded to or replayed from a
 * cassette: a judge on live traffic is always called.
 */
export async function buildOnlineJudges(
  definition: SuiteDefinition,
  environment: OnlineJudgeEnvironment,
): Promise<OnlineScorer[]> {
  const judges: OnlineScorer[] = [];
  const configs = definition.scorers.filter(
    (config) => baseType(config) === 'rubric_judge' && config.where === undefined,
  ) as RubricConfig[];
  for (const config of configs) {
    const name = config.name ?? config.type;
    const problem = judgeProblem(config, (c) => environment.connectionProblem(c));
    if (problem) {
      judges.push(notRunJudge(name, config.type, problem));
      continue;
    }
    let scorer: Scorer;
    try {
      [scorer] = await createScorers([config], {
        targetContext: environment.targetContext,
        targetFingerprint: modelUnderTest(definition.target),
        retryPolicy: liveJudgeRetryPolicy(definition),
      });
    } catch (error) {
      if (!(error instanceof EvalsError)) {
        throw error;
      }
      judges.push(notRunJudge(name, config.type, error.message));
      continue;
    }
    judges.push(
      liveJudge({ name, type: config.type, calls: judgesOf(config).length }, scorer, (calls) =>
        environment.reserve(calls),
      ),
    );
  }
  return judges;
}

/** A judge that cannot run: every verdict unscored with why (never a pass), and no call made. */
export function notRunJudge(name: string, type: string, problem: string): OnlineScorer {
  const score = unscoredScore(`the judge is not run: ${problem}`);
  return { name, type, judge: () => score };
}

/**
 * A model judge on live traffic. Per interaction: no stored prompt or answer, no verdict; then the judges'
 * calls (one per judge of a panel) are reserved from the day's budget, and only if that succeeds is the judge
 * called, once per judge with the suite's timeout. Whatever fails (the budget spent, a timeout, a 5xx or
 * 429, an answer that cannot be read) is an unscored verdict with the reason: never a pass, never a fail.
 * After JUDGE_FAILURES_BEFORE_STOP failures in a row the judge is not called again for this job's batch.
 */
export function liveJudge(
  metric: { name: string; type: string; calls: number },
  scorer: Pick<Scorer, 'score'>,
  reserve: (calls: number) => Promise<string | null>,
): OnlineScorer {
  let failures = 0;
  let lastFailure = '';
  return {
    name: metric.name,
    type: metric.type,
    async judge(interaction, _redacted, signal = NEVER_ABORTED) {
      if (interaction.inputText === null || interaction.outputText === null) {
        return unscoredScore(
          'the prompt or the answer of this call is not stored: the judge has nothing to read',
        );
      }
      if (failures >= JUDGE_FAILURES_BEFORE_STOP) {
        return unscoredScore(
          `the judge was not called: it failed ${failures} times in a row in this batch (last: ${lastFailure})`,
        );
      }
      if (signal.aborted) {
        // The job is stopping: spend nothing on a call that would be aborted (the caller writes nothing).
        throw new Error('the job is stopping');
      }
      const refused = await reserve(metric.calls);
      if (refused !== null) {
        return unscoredScore(refused);
      }
      try {
        const score = await scorer.score(contextOf(interaction, signal));
        failures = 0;
        return score;
      } catch (error) {
        if (signal.aborted) {
          throw error;
        }
        failures += 1;
        lastFailure = error instanceof Error ? error.message : String(error);
        return unscoredScore(`the judge gave no verdict: ${lastFailure}`);
      }
    },
  };
}
