import {
  CONTROL_QUEUE,
  controlQueueOf,
  LIVE_CONCURRENCY,
  LIVE_QUEUE,
  itemQueueName,
  JobName,
  type JobPayloads,
  NOTIFICATION_CONCURRENCY,
  NOTIFICATION_QUEUE,
} from './contracts';
import {
  ABORT_RUN_CANCELLED,
  ABORT_SHUTDOWN,
  type ConsumerOptions,
  type ControlJobName,
  type EnqueueReport,
  type ItemJob,
  type JobConsumer,
  type JobContext,
  type JobHandlers,
  type JobProducer,
  type QueueObserver,
  QueueRateLimited,
  SILENT_OBSERVER,
  topReasons,
} from './job-queue';

interface QueuedJob {
  name: JobName;
  id: string;
  data: JobPayloads[JobName];
  enqueuedAt: number;
  /** Every start counts (as BullMQ's attemptsStarted); only failures count against MAX_ATTEMPTS. */
  attemptsStarted: number;
  failures: number;
}

interface QueueState {
  pending: QueuedJob[];
  active: Map<string, { job: QueuedJob; controller: AbortController; done: Promise<void> }>;
  pausedUntil: number;
  concurrency: number;
  wake: NodeJS.Timeout | null;
}

const MAX_ATTEMPTS = 3;
/** Jobs that failed for good are remembered (id → reason) until re-enqueued, at most this many. */
const FAILED_KEPT = 100_000;

/**
 * The embedded mode's queue: the same job contracts as the BullMQ adapter, run inside the one process
 * (no Redis). One queue per provider with its own concurrency and 429 pauses, retries with backoff for
 * unexpected failures, a periodic reconciler. The database stays the truth, so a restart loses nothing:
 * the reconciler re-enqueues whatever has no result. A job that fails MAX_ATTEMPTS times is dropped
 * (reported to the observer as failed for good); adding its id again enqueues it with fresh attempts.
 */
export class InProcessJobQueue implements JobProducer, JobConsumer {
  private readonly queues = new Map<string, QueueState>();
  private readonly known = new Set<string>();
  /** Item jobs that failed for good, by id, with their last reason (until added again). */
  private readonly failedForGood = new Map<string, { queue: string; reason: string }>();
  private handlers: JobHandlers | null = null;
  private options: ConsumerOptions | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly observer: QueueObserver = SILENT_OBSERVER) {}

  async add<N extends ControlJobName>(
    name: N,
    data: JobPayloads[N],
    jobId: string,
    options: { delayMs?: number } = {},
  ): Promise<void> {
    const add = () =>
      this.enqueue(controlQueueOf(name), {
        name,
        id: jobId,
        data,
        enqueuedAt: Date.now(),
        attemptsStarted: 0,
        failures: 0,
      });
    if (options.delayMs) {
      // Lost if the process stops first, like every job here: the reconciler re-enqueues what has no result.
      setTimeout(add, options.delayMs).unref();
    } else {
      add();
    }
  }

  async waitingItems(provider: string): Promise<number> {
    return this.queues.get(itemQueueName(provider))?.pending.length ?? 0;
  }

  async addItems(provider: string, jobs: ItemJob[]): Promise<EnqueueReport> {
    const queue = itemQueueName(provider);
    const reasons: string[] = [];
    for (const job of jobs) {
      const failed = this.failedForGood.get(job.jobId);
      if (failed) {
        this.failedForGood.delete(job.jobId);
        reasons.push(failed.reason);
      }
      this.enqueue(queue, {
        name: JobName.ExecuteItem,
        id: job.jobId,
        data: job.data,
        enqueuedAt: Date.now(),
        attemptsStarted: 0,
        failures: 0,
      });
    }
    return {
      jobs: jobs.length,
      retriedFailed: reasons.length,
      rerunCompleted: 0,
      failureReasons: topReasons(reasons),
    };
  }

  async broadcastCancel(runId: string): Promise<void> {
    for (const queue of this.queues.values()) {
      for (const { job, controller } of queue.active.values()) {
        if ((job.data as { runId?: string }).runId === runId) {
          controller.abort(ABORT_RUN_CANCELLED);
        }
      }
    }
  }

  async counts(): Promise<
    Record<string, { waiting: number; active: number; delayed: number; failed: number }>
  > {
    const failed = new Map<string, number>();
    for (const { queue } of this.failedForGood.values()) {
      failed.set(queue, (failed.get(queue) ?? 0) + 1);
    }
    return Object.fromEntries(
      [...this.queues].map(([name, q]) => [
        name,
        {
          waiting: q.pending.length,
          active: q.active.size,
          delayed: 0,
          failed: failed.get(name) ?? 0,
        },
      ]),
    );
  }

  async start(handlers: JobHandlers, options: ConsumerOptions): Promise<void> {
    this.handlers = handlers;
    this.options = options;
    this.stopped = false;
    const reconcile = () =>
      this.enqueue(CONTROL_QUEUE, {
        name: JobName.ReconcileRuns,
        id: `reconcile-${Date.now()}`,
        data: {},
        enqueuedAt: Date.now(),
        attemptsStarted: 0,
        failures: 0,
      });
    this.reconcileTimer = setInterval(reconcile, options.reconcileEveryMs);
    this.reconcileTimer.unref();
    reconcile();
    this.watchTimer = setInterval(
      () =>
        this.enqueue(CONTROL_QUEUE, {
          name: JobName.WatchLive,
          id: `watch-${Date.now()}`,
          data: {},
          enqueuedAt: Date.now(),
          attemptsStarted: 0,
          failures: 0,
        }),
      options.watchEveryMs,
    );
    this.watchTimer.unref();
    for (const name of this.queues.keys()) {
      this.pump(name);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconcileTimer) {
      clearInterval(this.reconcileTimer);
    }
    if (this.watchTimer) {
      clearInterval(this.watchTimer);
    }
    const running: Promise<void>[] = [];
    for (const queue of this.queues.values()) {
      if (queue.wake) {
        clearTimeout(queue.wake);
      }
      for (const { controller, done } of queue.active.values()) {
        controller.abort(ABORT_SHUTDOWN);
        running.push(done);
      }
    }
    await Promise.all(running);
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private state(name: string): QueueState {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { pending: [], active: new Map(), pausedUntil: 0, concurrency: 1, wake: null };
      this.queues.set(name, queue);
    }
    return queue;
  }

  private enqueue(name: string, job: QueuedJob): void {
    if (this.stopped && this.handlers) {
      return;
    }
    if (this.known.has(job.id)) {
      return; // already waiting or running: the same deterministic id is the same job
    }
    this.known.add(job.id);
    this.state(name).pending.push(job);
    this.pump(name);
  }

  private pump(name: string): void {
    const queue = this.state(name);
    if (!this.handlers || !this.options || this.stopped) {
      return;
    }
    queue.concurrency =
      name === CONTROL_QUEUE
        ? this.options.controlConcurrency
        : name === NOTIFICATION_QUEUE
          ? NOTIFICATION_CONCURRENCY
          : name === LIVE_QUEUE
            ? LIVE_CONCURRENCY
            : this.options.itemConcurrency;
    const wait = queue.pausedUntil - Date.now();
    if (wait > 0) {
      queue.wake ??= setTimeout(() => {
        queue.wake = null;
        this.pump(name);
      }, wait);
      return;
    }
    while (queue.active.size < queue.concurrency && queue.pending.length > 0) {
      const job = queue.pending.shift() as QueuedJob;
      this.run(name, queue, job);
    }
  }

  private run(name: string, queue: QueueState, job: QueuedJob): void {
    const controller = new AbortController();
    job.attemptsStarted += 1;
    const context: JobContext = {
      signal: controller.signal,
      attemptsStarted: job.attemptsStarted,
      enqueuedAt: job.enqueuedAt,
      worker: this.options?.worker ?? 'in-process',
    };
    const handler = (this.handlers as JobHandlers)[job.name] as (
      data: unknown,
      context: JobContext,
    ) => Promise<void>;
    const done = handler(job.data, context).then(
      () => {
        this.known.delete(job.id);
      },
      (error: unknown) => {
        if (controller.signal.aborted) {
          this.known.delete(job.id); // shut down or cancelled: the reconciler picks it up if needed
        } else if (error instanceof QueueRateLimited) {
          queue.pausedUntil = Math.max(queue.pausedUntil, Date.now() + error.retryAfterMs);
          queue.pending.unshift(job); // a rate limit is not a failure: no attempt used
        } else if (++job.failures < MAX_ATTEMPTS) {
          this.observer.failed(name, job.id, reasonOf(error), false);
          const retry = setTimeout(
            () => {
              queue.pending.push(job);
              this.pump(name);
            },
            100 * 2 ** job.failures,
          );
          retry.unref();
        } else {
          this.known.delete(job.id);
          const reason = reasonOf(error);
          if (job.name === JobName.ExecuteItem) {
            // Only item jobs are added again by id (the reconciler's re-enqueue); control jobs are not kept.
            if (this.failedForGood.size >= FAILED_KEPT) {
              this.failedForGood.delete(this.failedForGood.keys().next().value as string);
            }
            this.failedForGood.set(job.id, { queue: name, reason });
          }
          this.observer.failed(name, job.id, reason, true);
        }
      },
    );
    queue.active.set(job.id, { job, controller, done });
    void done.finally(() => {
      queue.active.delete(job.id);
      this.pump(name);
    });
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
