import { canonicalJson, type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import {
  GUARDRAIL_TYPES,
  type TargetConfig,
  type ScorerConfig,
  type ScorerConfigOf,
  type ScorerType,
} from '../suites/suite-schema';
import { type RetryPolicy } from '../targets/retry';
import { type TargetContext } from '../targets/target-context';
import {
  classificationScorer,
  costScorer,
  equalsScorer,
  includesScorer,
  jsonSchemaScorer,
  jsonValidScorer,
  latencyScorer,
  numericScorer,
  regexScorer,
  type ScoreFn,
  similarityScorer,
  startsWithScorer,
  tokensScorer,
} from './deterministic';
import {
  outOfScopeAdviceScorer,
  piiLeakageScorer,
  promptInjectionScorer,
  refusalScorer,
} from './guardrail-scorers';
import { type JudgeRecording, rubricJudge } from './rubric-judge';
import { type Score, type ScoreContext, type Scorer } from './scorer';

/** Scorer semantics versions: bump one when its grading changes, so old and new runs are told apart. */
const VERSIONS: Record<ScorerType, string> = {
  equals: '1',
  includes: '1',
  regex: '1',
  starts_with: '1',
  json_valid: '1',
  json_schema: '1',
  numeric: '1',
  similarity: '1',
  classification: '1',
  rubric_judge: '1',
  pii_leakage: '1',
  prompt_injection: '1',
  refusal: '1',
  out_of_scope_advice: '1',
  latency: '1',
  tokens: '1',
  cost: '1',
};

export interface ScorerEnvironment {
  targetContext: TargetContext;
  /** The system under test's fingerprint: a judge may not be it. */
  targetFingerprint: Record<string, unknown>;
  retryPolicy: RetryPolicy;
  /** Replay or record judges' verdicts with the target's cassette; absent: judges are called live. */
  judgeRecording?: JudgeRecording;
}

const of = <K extends ScorerType>(config: ScorerConfig, _type: K) => config as ScorerConfigOf<K>;

function scoreFunction(type: ScorerType, config: ScorerConfig): ScoreFn {
  switch (type) {
    case 'equals':
      return equalsScorer(of(config, type));
    case 'includes':
      return includesScorer(of(config, type));
    case 'regex':
      return regexScorer(of(config, type));
    case 'starts_with':
      return startsWithScorer(of(config, type));
    case 'json_valid':
      return jsonValidScorer();
    case 'json_schema':
      return jsonSchemaScorer(of(config, type));
    case 'numeric':
      return numericScorer(of(config, type));
    case 'similarity':
      return similarityScorer(of(config, type));
    case 'classification':
      return classificationScorer(of(config, type));
    case 'pii_leakage':
      return piiLeakageScorer(of(config, type));
    case 'prompt_injection':
      return promptInjectionScorer(of(config, type));
    case 'refusal':
      return refusalScorer(of(config, type));
    case 'out_of_scope_advice':
      return outOfScopeAdviceScorer(of(config, type));
    case 'latency':
      return latencyScorer(of(config, type));
    case 'tokens':
      return tokensScorer(of(config, type));
    case 'cost':
      return costScorer(of(config, type));
    case 'rubric_judge':
      throw new Error('rubric_judge is built apart (it is asynchronous)');
  }
}

/** `not-` inverts a pass/fail verdict; unscored stays unscored. */
function negate(score: Score): Score {
  return score.passed === null
    ? score
    : {
        ...score,
        passed: !score.passed,
        value: score.passed ? 0 : 1,
        explanation: score.passed ? `should not have: ${score.explanation ?? 'it did'}` : undefined,
      };
}

function matchesWhere(where: Record<string, JsonValue> | undefined): (item: DatasetItem) => boolean {
  if (!where) {
    return () => true;
  }
  const wanted = Object.entries(where).map(([key, value]) => [key, canonicalJson(value)] as const);
  return (item) =>
    wanted.every(
      ([key, value]) => item.metadata?.[key] !== undefined && canonicalJson(item.metadata[key]) === value,
    );
}

/** What aggregation and manifests need of a suite's scorers, without building them (no judge, no cassette). */
export function describeScorers(
  configs: ScorerConfig[],
): Pick<Scorer, 'name' | 'type' | 'version' | 'guardrail' | 'weight' | 'kind' | 'labels'>[] {
  return configs.map((config) => {
    const type = (config.type.startsWith('not-') ? config.type.slice(4) : config.type) as ScorerType;
    return {
      name: config.name ?? config.type,
      type: config.type,
      version: VERSIONS[type],
      guardrail: config.guardrail ?? GUARDRAIL_TYPES.includes(type),
      weight: config.weight,
      kind: type === 'similarity' || type === 'rubric_judge' ? 'mean' : 'pass_rate',
      labels: type === 'classification' ? of(config, type).labels : undefined,
    };
  });
}

/** Builds the suite's scorers; configuration problems (a bad schema, a self-judging judge) fail here, before any call. */
export async function createScorers(
  configs: ScorerConfig[],
  environment: ScorerEnvironment,
): Promise<Scorer[]> {
  return Promise.all(
    configs.map(async (config): Promise<Scorer> => {
      const negated = config.type.startsWith('not-');
      const type = (negated ? config.type.slice(4) : config.type) as ScorerType;
      const applies = matchesWhere(config.where);
      const base = {
        name: config.name ?? config.type,
        type: config.type,
        version: VERSIONS[type],
        guardrail: config.guardrail ?? GUARDRAIL_TYPES.includes(type),
        weight: config.weight,
      };
      if (type === 'rubric_judge') {
        const judge = await rubricJudge(
          of(config, type),
          environment.targetContext,
          environment.targetFingerprint,
          environment.retryPolicy,
          environment.judgeRecording,
        );
        return {
          ...base,
          kind: 'mean',
          fingerprint: judge.fingerprint,
          applies,
          score: (context: ScoreContext) => judge.score(context),
          close: () => judge.close(),
        };
      }
      const score = scoreFunction(type, config);
      const appliesToItem =
        type === 'prompt_injection'
          ? (item: DatasetItem) =>
              applies(item) && typeof item.metadata?.[of(config, type).canaryField] === 'string'
          : applies;
      return {
        ...base,
        kind: type === 'similarity' ? 'mean' : 'pass_rate',
        fingerprint: {},
        labels: type === 'classification' ? of(config, type).labels : undefined,
        applies: appliesToItem,
        score: negated ? (context: ScoreContext) => negate(score(context)) : score,
      };
    }),
  );
}

/** Where a suite's judges replay or record, given its target and whether this run records. */
export function judgeRecordingFor(
  target: TargetConfig,
  cassetteDir: string,
  record: boolean,
): JudgeRecording | undefined {
  return target.type === 'replay'
    ? { mode: record ? 'record' : 'replay', cassetteDir, cassette: target.cassette }
    : undefined;
}
