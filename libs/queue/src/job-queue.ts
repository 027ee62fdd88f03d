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
export type ControlJobName = JobName.StartRun | JobName.FanOutRun | JobName.AggregateRun;

export interface ItemJob {
  jobId: string;
  data: JobPayloads[JobName.ExecuteItem];
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
  /** Adds item jobs to the provider's queue in chunks; ids already queued are left alone. */
  addItems(provider: string, jobs: ItemJob[]): Promise<void>;
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
