import { type DatasetItem } from '../datasets/dataset-item';
import { EvalsError } from '../evals-error';
import { buildMessages } from '../prompts/template';
import { createScorers } from '../scorers/create-scorers';
import { JudgeError } from '../scorers/scorer';
import { createTarget, modelUnderTest } from '../targets/create-target';
import { callWithRetries, DEFAULT_RETRY_POLICY, isFailure, type RetryPolicy } from '../targets/retry';
import { classifyError, TargetError } from '../targets/target';
import { DEFAULT_API_KEY_ENV, type TargetContext } from '../targets/target-context';
import {
  type JudgeConfig,
  type ScorerConfigOf,
  type SuiteDefinition,
  type TargetConfig,
} from './suite-schema';

/** One live target or judge of a suite, checked: its variables are set and it answered one call. */
export interface EndpointCheck {
  /** `target` or `judge <metric>`. */
  subject: string;
  ok: boolean;
  /** "test-model at 127.0.0.1:4199 (openai SDK) answered in 12 ms", or why not. */
  detail: string;
}

const VARIABLE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

function envVariables(values: (string | undefined)[]): string[] {
  return values.flatMap((value) => [...(value ?? '').matchAll(VARIABLE)].map((m) => m[1]));
}

/** The environment variables a live target or judge reads in the CLI: its key variable, ${VAR} in URL and headers. */
export function variablesNeeded(config: TargetConfig | JudgeConfig): string[] {
  const type = 'type' in config ? config.type : 'judge';
  let names: string[];
  if (type === 'replay' || (config as { connection?: string }).connection) {
    names = []; // a connection exists only on a server; a replay target is offline
  } else if (type === 'http') {
    const http = config as Extract<TargetConfig, { type: 'http' }>;
    names = envVariables([http.url, ...Object.values(http.headers)]);
  } else if (type === 'langchain' && !(config as { model?: string }).model) {
    names = []; // a module reads what it reads
  } else {
    const openai = config as { apiKeyEnv?: string; headers?: Record<string, string> };
    names = [openai.apiKeyEnv ?? DEFAULT_API_KEY_ENV, ...envVariables(Object.values(openai.headers ?? {}))];
  }
  return [...new Set(names)];
}

function missing(names: string[], env: TargetContext['env']): string | null {
  const unset = names.filter((name) => !env[name]);
  return unset.length === 0
    ? null
    : `needs the environment variable${unset.length === 1 ? '' : 's'} ${unset.join(', ')}, which ${unset.length === 1 ? 'is' : 'are'} not set`;
}

function reason(error: unknown): string {
  if (error instanceof EvalsError) {
    return error.reason;
  }
  if (error instanceof JudgeError || error instanceof TargetError) {
    return error.message;
  }
  return classifyError(error).message;
}

/**
 * `gatehouse suite validate --check`: for the suite's live target and each live judge, checks that the
 * environment variables it needs are set, then makes ONE cheap call (the target with the first item and
 * at most 1 output token; a judge grading a stub answer to the first item), without retries. A replay
 * suite (whose judges replay too) has nothing live to check: the result is empty.
 */
export async function checkLiveEndpoints(
  suite: SuiteDefinition,
  firstItem: DatasetItem,
  context: TargetContext,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointCheck[]> {
  if (suite.target.type === 'replay') {
    return [];
  }
  const signal = options.signal ?? new AbortController().signal;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1, timeoutMs: suite.limits.timeoutMs };
  const checks: EndpointCheck[] = [];

  const unsetForTarget = missing(variablesNeeded(suite.target), context.env);
  if (unsetForTarget) {
    checks.push({ subject: 'target', ok: false, detail: unsetForTarget });
  } else {
    checks.push(await checkTarget(suite, firstItem, context, policy, signal));
  }

  for (const scorer of suite.scorers) {
    if (scorer.type !== 'rubric_judge') {
      continue;
    }
    const config = scorer as ScorerConfigOf<'rubric_judge'>;
    const subject = `judge ${config.name ?? config.type}`;
    const judges = config.panel ?? (config.judge ? [config.judge] : []);
    const unset = missing([...new Set(judges.flatMap(variablesNeeded))], context.env);
    if (unset) {
      checks.push({ subject, ok: false, detail: unset });
      continue;
    }
    checks.push(await checkJudge(subject, config, suite, firstItem, context, policy, signal));
  }
  return checks;
}

async function checkTarget(
  suite: SuiteDefinition,
  item: DatasetItem,
  context: TargetContext,
  policy: RetryPolicy,
  signal: AbortSignal,
): Promise<EndpointCheck> {
  let target;
  try {
    target = await createTarget(suite.target, context);
  } catch (error) {
    return { subject: 'target', ok: false, detail: reason(error) };
  }
  try {
    const messages = buildMessages(item, suite.prompt);
    const started = performance.now();
    const outcome = await callWithRetries(
      target,
      { ...messages, item, epoch: 1, maxTokens: 1 },
      policy,
      signal,
    );
    return isFailure(outcome)
      ? { subject: 'target', ok: false, detail: `${target.description}: ${outcome.error.message}` }
      : {
          subject: 'target',
          ok: true,
          detail: `${target.description} answered in ${Math.round(performance.now() - started)} ms`,
        };
  } catch (error) {
    return { subject: 'target', ok: false, detail: reason(error) };
  } finally {
    await target.close?.();
  }
}

async function checkJudge(
  subject: string,
  config: ScorerConfigOf<'rubric_judge'>,
  suite: SuiteDefinition,
  item: DatasetItem,
  context: TargetContext,
  policy: RetryPolicy,
  signal: AbortSignal,
): Promise<EndpointCheck> {
  let scorer;
  try {
    [scorer] = await createScorers([config], {
      targetContext: context,
      targetFingerprint: modelUnderTest(suite.target),
      retryPolicy: policy,
    });
  } catch (error) {
    return { subject, ok: false, detail: reason(error) };
  }
  const judges = (config.panel ?? (config.judge ? [config.judge] : [])).map((j) => j.model).join(', ');
  try {
    const started = performance.now();
    const { prompt } = buildMessages(item, suite.prompt);
    const score = await scorer.score({
      item,
      prompt,
      output: 'A short test answer from `gatehouse suite validate --check`.',
      call: { latencyMs: 0, inputTokens: null, outputTokens: null, costUsd: null },
      signal,
    });
    const took = Math.round(performance.now() - started);
    return score.passed === null
      ? { subject, ok: true, detail: `${judges} answered in ${took} ms, off the scale: ${score.explanation}` }
      : { subject, ok: true, detail: `${judges} answered in ${took} ms` };
  } catch (error) {
    return { subject, ok: false, detail: reason(error) };
  } finally {
    await scorer.close?.();
  }
}
