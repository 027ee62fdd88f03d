import { type JobName, type JobPayloads } from './contracts';

/** What a handler learns about the job it runs. */
export interface JobContext {
  /** Aborted when the worker shuts down or the job's run is cancelled (see `signal.reason`). */
  signal: AbortSignal;
  /** How many times this job has been started, this time included (crashes and stalls count). */
  attemptsStarted: number;
  /** When the job was added (ms since the epoch): queue wait = start − this. */
  enqueuedAt: number;
  /** The worker's name, recorded with results. */
  worker: string;
}

export type JobHandler<N extends JobName> = (data: JobPayloads[N], context: JobContext) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/** Thrown by a handler to pause its whole queue (a provider's 429); the job runs again later, no attempt used. */
export class QueueRateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited for ${retryAfterMs} ms`);
    this.name = 'QueueRateLimited';
  }
}

/** Reasons a job's signal is aborted with. */
export const ABORT_SHUTDOWN = 'worker-shutdown';
export const ABORT_RUN_CANCELLED = 'run-cancelled';

/** The control jobs producers add by name (the reconciler is scheduled by the consumer itself). */
export type ControlJobName =
  | JobName.StartRun
  | JobName.FanOutRun
  | JobName.AggregateRun
  | JobName.DeliverNotification
  | JobName.ScoreLive;

export interface ItemJob {
  jobId: string;
  data: JobPayloads[JobName.ExecuteItem];
}

/**
 * What `addItems` did. A job id the queue still holds as failed for good (attempts used up) or as
 * completed is put back to wait with fresh attempts: an id kept after its end would otherwise swallow
 * the add (BullMQ keeps failed jobs for days), and the caller only adds items that have no result.
 */
export interface EnqueueReport {
  /** Jobs handed to the queue; ids already waiting, delayed or running are left as they are. */
  jobs: number;
  /** Of those, jobs that had failed for good and were put back to wait with fresh attempts. */
  retriedFailed: number;
  /** Of those, jobs that had completed (without recording a result) and were put back to wait. */
  rerunCompleted: number;
  /** The distinct reasons the retried jobs had failed with, most frequent first (at most three). */
  failureReasons: string[];
}

/** What queues report as it happens: errors, stalled jobs, failed attempts (logged and counted by the app). */
export interface QueueObserver {
  /** A connection, worker or queue error, by kind (`redis`, `worker`, `queue`, `lock`, `job`). */
  error(kind: string, error: unknown): void;
  /** A job whose worker stopped renewing its lock went back to wait (BullMQ stall detection). */
  stalled(queue: string, jobId: string): void;
  /** A job attempt failed; `final` when no attempt is left (the job stays failed until re-enqueued). */
  failed(queue: string, jobId: string | undefined, reason: string, final: boolean): void;
}

export const SILENT_OBSERVER: QueueObserver = {
  error: () => undefined,
  stalled: () => undefined,
  failed: () => undefined,
};

/** Up to three reasons, most frequent first. */
export function topReasons(reasons: string[]): string[] {
  const counts = new Map<string, number>();
  for (const reason of reasons) {
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason]) => reason);
}

/** Adds jobs. The API, the worker and the embedded process all produce through this. */
export interface JobProducer {
  /** Adds a control job; with `delayMs` it becomes runnable that much later. */
  add<N extends ControlJobName>(
    name: N,
    data: JobPayloads[N],
    jobId: string,
    options?: { delayMs?: number },
  ): Promise<void>;
  /**
   * Adds item jobs to the provider's queue in chunks; ids already queued are left alone, ids that had
   * failed for good (or completed) are put back to wait with fresh attempts (see EnqueueReport).
   */
  addItems(provider: string, jobs: ItemJob[]): Promise<EnqueueReport>;
  /** Item jobs of the provider's queue waiting for a worker (not running, not delayed). */
  waitingItems(provider: string): Promise<number>;
  /** Aborts the run's in-flight jobs on every worker (they then record nothing). */
  broadcastCancel(runId: string): Promise<void>;
  /** Jobs waiting, active and delayed per queue, for metrics and tests. */
  counts(): Promise<Record<string, { waiting: number; active: number; delayed: number; failed: number }>>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  /** Items in flight per provider queue in this process. */
  itemConcurrency: number;
  controlConcurrency: number;
  /** How often the reconciler job runs. */
  reconcileEveryMs: number;
  /** How often the watch's pass runs (a BullMQ job scheduler; a timer in process). */
  watchEveryMs: number;
  /** A job whose worker vanished is retried after about lockMs + lockMs (BullMQ's stall detection). */
  lockMs: number;
  /** Optional cap of item jobs per minute per provider, across all workers. */
  maxItemsPerMinute?: number;
  worker: string;
}

/** Runs jobs. Only the worker process (or the embedded single process) consumes. */
export interface JobConsumer {
  start(handlers: JobHandlers, options: ConsumerOptions): Promise<void>;
  /** Stops taking jobs; in-flight jobs are aborted and put back for another worker, in milliseconds. */
  stop(): Promise<void>;
}
