import { type DatasetItem } from '../datasets/dataset-item';
import { buildMessages } from '../prompts/template';
import { JudgeError, type Score, type Scorer, unscored } from '../scorers/scorer';
import { callWithRetries, isFailure, type RetryPolicy } from '../targets/retry';
import { classifyError, type Target, TargetError } from '../targets/target';
import { type ItemRecord } from './item-record';

export interface ItemPlan {
  target: Target;
  scorers: Scorer[];
  prompt: { system?: string; template: string };
  retryPolicy: RetryPolicy;
  maxTokens?: number;
  groupBy: string[];
  /** USD per million tokens by model name. */
  pricing?: Record<string, { inputPerMillion: number; outputPerMillion: number }>;
  /** The model name to price when the provider does not say (the target's configured model). */
  defaultModel?: string;
}

export function groupValues(item: DatasetItem, keys: string[]): Record<string, string> {
  const groups: Record<string, string> = {};
  for (const key of keys) {
    const value = item.metadata?.[key];
    if (value !== undefined && value !== null) {
      groups[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return groups;
}

/**
 * Runs one item in one epoch: build the prompt, call the target (retried in one place), score the answer
 * with every scorer that applies. A failed call makes the item *errored* with its reason, and so does a
 * judge that fails (kind `judge_error`); any other scorer that throws leaves that metric *unscored*. Used by the CLI engine and by the platform's queue workers alike.
 */
export async function executeItem(
  plan: ItemPlan,
  item: DatasetItem,
  epoch: number,
  signal: AbortSignal,
): Promise<ItemRecord> {
  const started = performance.now();
  const base = { itemId: item.id, epoch, groups: groupValues(item, plan.groupBy) };
  let messages;
  try {
    messages = buildMessages(item, plan.prompt);
  } catch (error) {
    const e = classifyError(error);
    return {
      ...base,
      ...emptyCall(started),
      status: 'errored',
      output: null,
      error: { kind: e.kind, message: e.message },
      scores: {},
    };
  }
  const outcome = await callWithRetries(
    plan.target,
    { ...messages, item, epoch, maxTokens: plan.maxTokens },
    plan.retryPolicy,
    signal,
  );
  if (isFailure(outcome)) {
    return {
      ...base,
      ...emptyCall(started),
      attempts: outcome.attempts,
      status: 'errored',
      output: null,
      retries: outcome.retries,
      error: {
        kind: outcome.error.kind,
        message: outcome.error.message,
        ...(outcome.error.details.retryAfterMs === undefined
          ? {}
          : { retryAfterMs: outcome.error.details.retryAfterMs }),
        ...(outcome.error.details.status === undefined ? {} : { status: outcome.error.details.status }),
        ...(outcome.error.details.code === undefined ? {} : { code: outcome.error.details.code }),
      },
      scores: {},
    };
  }
  const { response } = outcome;
  const inputTokens = response.inputTokens ?? null;
  const outputTokens = response.outputTokens ?? null;
  const price =
    (response.model ? plan.pricing?.[response.model] : undefined) ?? plan.pricing?.[plan.defaultModel ?? ''];
  const costUsd =
    price && inputTokens !== null && outputTokens !== null
      ? (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000
      : null;
  const call = { latencyMs: outcome.latencyMs, inputTokens, outputTokens, costUsd };
  const scores: Record<string, Score> = {};
  let judgeError: ItemRecord['error'] = null;
  for (const scorer of plan.scorers) {
    if (!scorer.applies(item)) {
      continue;
    }
    try {
      scores[scorer.name] = await scorer.score({
        item,
        prompt: messages.prompt,
        output: response.output,
        call,
        signal,
      });
    } catch (error) {
      if (error instanceof TargetError && error.kind === 'cancelled') {
        judgeError = { kind: 'cancelled', message: error.message };
        break;
      }
      if (error instanceof TargetError && error.kind === 'rate_limited') {
        // A judge's 429 under `onRateLimit: 'raise'`: the record says so, for the worker to pause and retry.
        judgeError = {
          kind: 'rate_limited',
          message: `${scorer.name}: the judge ${error.message}`,
          ...(error.details.retryAfterMs === undefined ? {} : { retryAfterMs: error.details.retryAfterMs }),
          ...(error.details.status === undefined ? {} : { status: error.details.status }),
        };
        break;
      }
      if (error instanceof JudgeError) {
        // The first judge failure is the item's reason; the other scorers still run.
        judgeError ??= { kind: 'judge_error', message: `${scorer.name}: ${error.message}`, ...error.details };
        scores[scorer.name] = unscored(error.message);
        continue;
      }
      scores[scorer.name] = unscored(`the scorer failed: ${(error as Error).message}`);
    }
  }
  return {
    ...base,
    // A judge that failed makes the item errored (its answer and other scores are kept for the record).
    status: judgeError ? 'errored' : 'scored',
    output: response.output,
    error: judgeError,
    scores,
    latencyMs: outcome.latencyMs,
    durationMs: performance.now() - started,
    attempts: outcome.attempts,
    retries: outcome.retries,
    inputTokens,
    outputTokens,
    costUsd,
  };
}

function emptyCall(started: number) {
  return {
    latencyMs: null,
    durationMs: performance.now() - started,
    attempts: 0,
    inputTokens: null,
    outputTokens: null,
    costUsd: null,
  };
}
