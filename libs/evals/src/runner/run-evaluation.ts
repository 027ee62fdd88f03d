import { contentHash, parseEpochReducer } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import { type FrozenDataset } from '../datasets/frozen-dataset';
import { type RunManifest, type RunOutcome, type RunReport } from '../reports/run-report';
import { type Scorer } from '../scorers/scorer';
import { type LoadedSuite } from '../suites/suite-loader';
import { modelUnderTest } from '../targets/create-target';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../targets/retry';
import { type Target } from '../targets/target';
import { executeItem, type ItemPlan } from './execute-item';
import { type FailFast } from './fail-fast';
import { type ItemRecord } from './item-record';
import { RunAggregator } from './run-aggregator';
import { evaluateThresholds } from './thresholds';

export interface Progress {
  done: number;
  total: number;
  errored: number;
  /** Seconds since the run started. */
  elapsed: number;
}

export interface EvaluationOptions {
  suite: LoadedSuite;
  dataset: FrozenDataset;
  target: Target;
  scorers: Scorer[];
  manifest: Pick<RunManifest, 'runId' | 'packageVersion' | 'gitCommit' | 'engine'>;
  retryPolicy?: Partial<RetryPolicy>;
  /** Overrides the suite's concurrency. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Stops the run when its first records all fail the same fatal way; the report then says why. */
  failFast?: FailFast;
  onProgress?: (progress: Progress) => void;
  onRecord?: (record: ItemRecord) => void;
  now?: () => Date;
}

export function epochSettings(suite: LoadedSuite['definition']): {
  count: number;
  reducer: NonNullable<ReturnType<typeof parseEpochReducer>>;
} {
  if (typeof suite.epochs === 'number') {
    return { count: suite.epochs, reducer: 'mean' };
  }
  return { count: suite.epochs.count, reducer: parseEpochReducer(suite.epochs.reducer) ?? 'mean' };
}

export function buildManifest(
  options: Pick<EvaluationOptions, 'suite' | 'dataset' | 'target' | 'scorers' | 'manifest'>,
  startedAt: Date,
): RunManifest {
  const { suite, dataset, target, scorers } = options;
  return {
    ...options.manifest,
    suite: {
      name: suite.definition.name,
      version: suite.definition.version,
      hash: suite.hash,
      ...(suite.file ? { file: suite.file } : {}),
    },
    dataset: {
      name: dataset.manifest.name,
      version: dataset.manifest.version,
      hash: dataset.manifest.sha256,
      count: dataset.manifest.count,
    },
    target: {
      type: target.type,
      description: target.description,
      configHash: contentHash(target.fingerprint),
    },
    scorers: scorers.map((s) => ({
      name: s.name,
      type: s.type,
      version: s.version,
      configHash: contentHash(s.fingerprint),
    })),
    epochs: epochSettings(suite.definition).count,
    startedAt: startedAt.toISOString(),
    completedAt: null,
  };
}

/**
 * Runs a suite in this process: streams the frozen dataset, keeps `concurrency` items in flight, scores
 * each answer and folds the results into a report. Cancelling via `signal` stops new calls at once; the
 * report then covers what finished. So does `failFast` when the first records all fail the same fatal
 * way; the report's `stopped` then says why, and its outcome is `errored`.
 */
export async function runEvaluation(options: EvaluationOptions): Promise<RunReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const started = performance.now();
  const definition = options.suite.definition;
  const { count: epochs, reducer } = epochSettings(definition);
  // Cancelling (options.signal) and fail-fast both stop the run through this one signal.
  const stop = new AbortController();
  let stopped: string | null = null;
  if (options.signal?.aborted) {
    stop.abort();
  }
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const signal = stop.signal;
  const plan: ItemPlan = {
    target: options.target,
    scorers: options.scorers,
    prompt: definition.prompt,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, timeoutMs: definition.limits.timeoutMs, ...options.retryPolicy },
    maxTokens: definition.limits.maxTokens,
    groupBy: definition.groupBy,
    pricing: definition.pricing,
    // Replayed responses are priced as the live model they were recorded from.
    defaultModel: String(modelUnderTest(definition.target).model ?? options.target.fingerprint.model ?? ''),
  };
  const aggregator = new RunAggregator({
    scorers: options.scorers,
    epochs,
    reducer,
    groupBy: definition.groupBy,
    minGroupSize: definition.minGroupSize,
    seed: definition.seed,
  });
  const total = options.dataset.manifest.count * epochs;
  let done = 0;
  let errored = 0;
  const concurrency = options.concurrency ?? definition.concurrency;
  // A fixed pool: at most `concurrency` items in flight; the loop waits for one free slot at a time
  // (Promise.race over every in-flight task would attach a handler per task per item started).
  let running = 0;
  let slotFreed: (() => void) | null = null;
  let failure: unknown = null;
  let drained: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    drained = resolve;
  });
  const finish = () => {
    running -= 1;
    slotFreed?.();
    slotFreed = null;
    if (running === 0) {
      drained();
    }
  };
  const run = async (item: DatasetItem, epoch: number, sequence: number) => {
    try {
      const record = await executeItem(plan, item, epoch, signal);
      if (record.error?.kind !== 'cancelled') {
        aggregator.add(record, item, sequence);
        done += 1;
        errored += record.status === 'errored' ? 1 : 0;
        options.onRecord?.(record);
        options.onProgress?.({ done, total, errored, elapsed: (performance.now() - started) / 1000 });
        const reason = stopped === null ? (options.failFast?.record(record) ?? null) : null;
        if (reason !== null) {
          stopped = reason;
          stop.abort();
        }
      }
    } catch (error) {
      failure ??= error;
    } finally {
      finish();
    }
  };
  running += 1; // the loop itself holds a slot until it has started every item
  let sequence = 0;
  items: for await (const item of options.dataset.items()) {
    sequence += 1;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (signal.aborted || failure) {
        break items;
      }
      if (running > concurrency) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
      }
      running += 1;
      void run(item, epoch, sequence);
    }
  }
  finish();
  await allDone;
  await options.target.close?.();
  for (const scorer of options.scorers) {
    await scorer.close?.();
  }
  if (failure) {
    throw failure;
  }

  const summary = aggregator.summary();
  const thresholds = evaluateThresholds(summary, definition.thresholds);
  const erroredShare = summary.items.total === 0 ? 1 : summary.items.errored / summary.items.total;
  const outcome: RunOutcome =
    signal.aborted || erroredShare > definition.maxErroredShare
      ? 'errored'
      : thresholds.every((t) => t.passed)
        ? 'passed'
        : 'failed';
  return {
    manifest: { ...buildManifest(options, startedAt), completedAt: now().toISOString() },
    summary,
    thresholds,
    outcome,
    ...(stopped === null ? {} : { stopped }),
    failures: aggregator.failures(),
  };
}
