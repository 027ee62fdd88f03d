import { setMaxListeners } from 'node:events';
import {
  classifyError,
  TargetError,
  type Target,
  type TargetErrorKind,
  type TargetRequest,
  type TargetResponse,
} from './target';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; a provider asking for more gets the item errored instead. */
  maxRetryAfterMs: number;
  /** Per-attempt time limit. */
  timeoutMs: number;
  /**
   * `wait`: honour Retry-After here (the CLI). `raise`: return the 429 at once, so a queue worker can
   * pause the provider's whole queue instead (the platform); not a second retry layer, a pause.
   */
  onRateLimit?: 'wait' | 'raise';
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

/** What retrying one call cost: retries by the kind of error that caused them, and the 429 waits. */
export interface RetryStats {
  /** Retries made, by the kind of error that caused each (`rate_limited`, `server_error`, `network`…). */
  byKind: Partial<Record<TargetErrorKind, number>>;
  /** Milliseconds waited before retrying 429 answers (Retry-After or backoff). */
  rateLimitWaitMs: number;
}

export interface CallOutcome {
  response: TargetResponse;
  attempts: number;
  /** Time inside the successful provider call only. */
  latencyMs: number;
  /** Time spent waiting between attempts (backoff and Retry-After). */
  retryWaitMs: number;
  retries: RetryStats;
}

export interface CallFailure {
  error: TargetError;
  attempts: number;
  retryWaitMs: number;
  retries: RetryStats;
}

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Per run signal: the waits in progress, woken by one abort listener however many there are. */
const sleepersByRun = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Waits `ms`, or rejects as cancelled when the run's signal aborts. A run signal gets ONE listener for
 * all its waits (a listener per wait crossed Node's limit of 10 as soon as 11 items backed off at once:
 * the MaxListenersExceededWarning a wrong base URL used to print).
 */
const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new TargetError('cancelled', 'the run was cancelled'));
      return;
    }
    let sleepers = sleepersByRun.get(signal);
    if (!sleepers) {
      const waiting = new Set<() => void>();
      signal.addEventListener('abort', () => waiting.forEach((wake) => wake()), { once: true });
      sleepersByRun.set(signal, waiting);
      sleepers = waiting;
    }
    const live = sleepers;
    const onAbort = () => {
      clearTimeout(timer);
      live.delete(onAbort);
      reject(new TargetError('cancelled', 'the run was cancelled'));
    };
    const timer = setTimeout(() => {
      live.delete(onAbort);
      resolve();
    }, ms);
    live.add(onAbort);
  });

/**
 * The one place that retries target calls: 429 waits for Retry-After (or backs off when there is none),
 * 5xx, timeouts and connection failures back off exponentially with full jitter; anything else fails at
 * once. Each attempt has its own timeout. Provider latency is measured for the successful attempt only.
 */
export async function callWithRetries(
  target: Target,
  request: TargetRequest,
  policy: RetryPolicy,
  signal: AbortSignal,
  options: {
    random?: () => number;
    sleep?: Sleep;
    onRetry?: (error: TargetError, attempt: number, waitMs: number) => void;
  } = {},
): Promise<CallOutcome | CallFailure> {
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  let retryWaitMs = 0;
  const retries: RetryStats = { byKind: {}, rateLimitWaitMs: 0 };
  for (let attempt = 1; ; attempt++) {
    const attemptSignal = attemptDeadline(signal, policy.timeoutMs);
    const started = performance.now();
    let response: TargetResponse | undefined;
    let thrown: unknown;
    try {
      response = await target.call(request, attemptSignal);
    } catch (caught) {
      thrown = caught ?? new Error('the target failed without a reason');
    }
    if (response !== undefined && thrown === undefined) {
      return {
        response,
        attempts: attempt,
        latencyMs: performance.now() - started,
        retryWaitMs,
        retries,
      };
    }
    const error =
      !signal.aborted && attemptSignal.aborted
        ? new TargetError('timeout', `no answer within ${policy.timeoutMs} ms`)
        : classifyError(thrown, signal);
    if (
      !error.retryable ||
      attempt >= Math.min(policy.maxAttempts, error.details.maxAttempts ?? Infinity) ||
      (error.kind === 'rate_limited' && policy.onRateLimit === 'raise')
    ) {
      return { error, attempts: attempt, retryWaitMs, retries };
    }
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * random();
    const retryAfter = error.details.retryAfterMs;
    if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
      return {
        error: new TargetError(
          'rate_limited',
          `${error.message} (Retry-After ${Math.round(retryAfter / 1000)} s is longer than the ${policy.maxRetryAfterMs / 1000} s we wait)`,
          error.details,
        ),
        attempts: attempt,
        retryWaitMs,
        retries,
      };
    }
    const delay = retryAfter !== undefined ? retryAfter + backoff * 0.1 : backoff;
    options.onRetry?.(error, attempt, delay);
    try {
      await wait(delay, signal);
    } catch (cancelled) {
      return { error: classifyError(cancelled, signal), attempts: attempt, retryWaitMs, retries };
    }
    retryWaitMs += delay;
    retries.byKind[error.kind] = (retries.byKind[error.kind] ?? 0) + 1;
    if (error.kind === 'rate_limited') {
      retries.rateLimitWaitMs += delay;
    }
  }
}

/** Attempts starting within this many milliseconds share one deadline (a timeout up to this much late). */
const DEADLINE_SLOT_MS = 50;

/** Per run signal: the live deadline controllers, by slot and timeout. */
const deadlinesByRun = new WeakMap<AbortSignal, Map<number, AbortController>>();

/**
 * The signal an attempt runs under: aborted when the run is cancelled or when the timeout passes.
 * Attempts that start in the same 50 ms slot share one controller and one timer, and a run signal has a
 * single listener however many attempts there are. (A controller, a timer and a listener per call, or
 * AbortSignal.timeout, which lives for the whole timeout, cost a 100,000-item run well over 100 MB.)
 */
function attemptDeadline(run: AbortSignal, timeoutMs: number): AbortSignal {
  let deadlines = deadlinesByRun.get(run);
  if (!deadlines) {
    const live = new Map<number, AbortController>();
    run.addEventListener('abort', () => live.forEach((controller) => controller.abort()), { once: true });
    deadlinesByRun.set(run, live);
    deadlines = live;
  }
  const slot = Math.floor(performance.now() / DEADLINE_SLOT_MS);
  const key = slot * 1_000_000 + timeoutMs;
  const existing = deadlines.get(key);
  if (existing) {
    return existing.signal;
  }
  const controller = new AbortController();
  // Many concurrent calls share this signal by design: lift the listener-leak warning for it.
  setMaxListeners(0, controller.signal);
  if (run.aborted) {
    controller.abort();
    return controller.signal;
  }
  const live = deadlines;
  setTimeout(
    () => {
      live.delete(key);
      controller.abort();
    },
    (slot + 1) * DEADLINE_SLOT_MS + timeoutMs - performance.now(),
  ).unref();
  live.set(key, controller);
  return controller.signal;
}

export function isFailure(outcome: CallOutcome | CallFailure): outcome is CallFailure {
  return 'error' in outcome;
}
