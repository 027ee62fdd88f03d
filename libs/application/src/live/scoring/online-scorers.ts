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
  PII_KINDS,
  type PiiKind,
  type Score,
  type ScoreContext,
  type Scorer,
  type ScorerConfig,
  type ScorerEnvironment,
  type SuiteDefinition,
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
 * Everything else is skipped and records nothing: scorers that compare with an expected answer (`equals`,
 * `includes`, `starts_with`, `numeric`, `similarity`, `classification`), `prompt_injection` (its canary is
 * item metadata), any scorer with a `where` filter (item metadata again), and model judges (`rubric_judge`:
 * not run online in this version, whatever the judge budget).
 */
const TEXT_TYPES = new Set(['out_of_scope_advice', 'regex', 'json_valid', 'json_schema', 'refusal']);
const CALL_TYPES = new Set(['latency', 'tokens', 'cost']);

/** The scorer type without its `not-` prefix. */
export function baseType(config: Pick<ScorerConfig, 'type'>): string {
  return config.type.startsWith('not-') ? config.type.slice(4) : config.type;
}

/** Why a scorer is not run online, or null when it is. */
export function offlineReason(config: ScorerConfig): string | null {
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
  return type === 'rubric_judge'
    ? 'model judges are not run online in this version'
    : 'needs an expected answer or item metadata';
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
  judge(interaction: LiveInteractionFacts, redacted: boolean): Score | Promise<Score>;
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

/** The scorers built here call nothing, so nothing aborts them (and no timer is made per verdict). */
const NEVER_ABORTED = new AbortController().signal;

/** A synthetic item for a live interaction: no reference, no metadata. */
function contextOf(interaction: LiveInteractionFacts): ScoreContext {
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
    signal: NEVER_ABORTED,
  };
}
