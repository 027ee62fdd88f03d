import { Job, Queue, RateLimitError, WaitingError, Worker } from 'bullmq';
import Redis from 'ioredis';
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

const CHUNK = 500;
const KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
/** Failed jobs whose reason is read before they are put back (enough to say why items fail). */
const REASONS_SAMPLED = 20;

/**
 * BullMQ on Redis. At-least-once delivery; the database makes results exactly-once. Run control jobs
 * share one queue; item jobs go to one queue per provider (own limiter, own 429 pause), discovered by
 * workers through a Redis set. Workers: maxStalledCount 3, fast graceful shutdown (in-flight jobs go
 * back to wait with no attempt used), run cancellation broadcast over pub/sub. The reconciler is added
 * by every worker on a timer with a per-interval job id, so it survives Redis losing its data.
 * Connection and worker errors, stalled jobs and failed attempts go to the observer (logged and counted).
 */
export class BullMqJobQueue implements JobProducer, JobConsumer {
  private readonly producer: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly active = new Map<string, { controller: AbortController; runId: string | undefined }>();
  private workerConnection: Redis | null = null;
  private subscriber: Redis | null = null;
  private timers: NodeJS.Timeout[] = [];
  private handlers: JobHandlers | null = null;
  private options: ConsumerOptions | null = null;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    /** How often a worker also looks for provider queues it missed the announcement of. */
    private readonly discoverEveryMs = 2000,
    private readonly observer: QueueObserver = SILENT_OBSERVER,
  ) {
    // Producers fail fast rather than queue commands while Redis is away: the DB is the truth and the
    // reconciler re-enqueues what a failed add left behind.
    this.producer = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 3000 });
    this.producer.on('error', (error) => this.observer.error('redis', error));
  }

  private get providersKey(): string {
    return `${this.prefix}:item-queues`;
  }

  /** Announces a provider queue's first job, so running workers start on it at once. */
  private get newQueueChannel(): string {
    return `${this.prefix}:new-item-queue`;
  }

  private get cancelChannel(): string {
    return `${this.prefix}:cancel-run`;
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.producer, prefix: this.prefix });
      queue.on('error', (error) => this.observer.error('queue', error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add<N extends ControlJobName>(
    name: N,
    data: JobPayloads[N],
    jobId: string,
    options: { delayMs?: number } = {},
  ): Promise<void> {
    await this.queue(controlQueueOf(name)).add(name, data, {
      jobId,
      ...(options.delayMs ? { delay: options.delayMs } : {}),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
      ...KEEP,
    });
  }

  async addItems(provider: string, jobs: ItemJob[]): Promise<EnqueueReport> {
    const name = itemQueueName(provider);
    if ((await this.producer.sadd(this.providersKey, name)) === 1) {
      await this.producer.publish(this.newQueueChannel, name);
    }
    const queue = this.queue(name);
    const report: EnqueueReport = {
      jobs: jobs.length,
      retriedFailed: 0,
      rerunCompleted: 0,
      failureReasons: [],
    };
    const reasons: string[] = [];
    for (let i = 0; i < jobs.length; i += CHUNK) {
      const chunk = jobs.slice(i, i + CHUNK);
      const ended = await this.removeEnded(
        queue,
        chunk.map((job) => job.jobId),
        REASONS_SAMPLED - reasons.length,
      );
      report.retriedFailed += ended.failed;
      report.rerunCompleted += ended.completed;
      reasons.push(...ended.reasons);
      await queue.addBulk(
        chunk.map((job) => ({
          name: JobName.ExecuteItem,
          data: job.data,
          opts: {
            jobId: job.jobId,
            attempts: 3,
            backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
            ...KEEP,
          },
        })),
      );
    }
    report.failureReasons = topReasons(reasons);
    return report;
  }

  /**
   * Removes the jobs among `ids` that ended (failed for good, or completed) so that the add that follows
   * really enqueues them again with fresh attempts; a job that moved on meanwhile (or is locked by a
   * worker) is left alone. Reads the failure reason of up to `sample` failed jobs first.
   */
  private async removeEnded(
    queue: Queue,
    ids: string[],
    sample: number,
  ): Promise<{ failed: number; completed: number; reasons: string[] }> {
    const pipeline = this.producer.pipeline();
    for (const id of ids) {
      pipeline.zscore(queue.keys.failed as string, id);
      pipeline.zscore(queue.keys.completed as string, id);
    }
    const replies = (await pipeline.exec()) ?? [];
    const ended: { id: string; state: 'failed' | 'completed' }[] = [];
    ids.forEach((id, n) => {
      const [failed, completed] = [replies[2 * n], replies[2 * n + 1]];
      if (failed && !failed[0] && failed[1] !== null) {
        ended.push({ id, state: 'failed' });
      } else if (completed && !completed[0] && completed[1] !== null) {
        ended.push({ id, state: 'completed' });
      }
    });
    const result = { failed: 0, completed: 0, reasons: [] as string[] };
    let sampled = 0;
    await Promise.all(
      ended.map(async ({ id, state }) => {
        if (state === 'failed' && sampled < sample) {
          sampled += 1;
          const job = await Job.fromId(queue, id).catch(() => undefined);
          if (job?.failedReason) {
            result.reasons.push(job.failedReason.slice(0, 300));
          }
        }
        const removed = await queue.remove(id).catch(() => 0);
        if (removed === 1) {
          result[state] += 1;
        }
      }),
    );
    return result;
  }

  async waitingItems(provider: string): Promise<number> {
    return this.queue(itemQueueName(provider)).getWaitingCount();
  }

  async broadcastCancel(runId: string): Promise<void> {
    await this.producer.publish(this.cancelChannel, runId);
  }

  async counts(): Promise<
    Record<string, { waiting: number; active: number; delayed: number; failed: number }>
  > {
    const names = new Set([
      CONTROL_QUEUE,
      NOTIFICATION_QUEUE,
      LIVE_QUEUE,
      ...(await this.producer.smembers(this.providersKey)),
    ]);
    const result: Record<string, { waiting: number; active: number; delayed: number; failed: number }> = {};
    for (const name of names) {
      const counts = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed');
      result[name] = {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      };
    }
    return result;
  }

  async start(handlers: JobHandlers, options: ConsumerOptions): Promise<void> {
    this.handlers = handlers;
    this.options = options;
    // Workers retry Redis for ever (maxRetriesPerRequest null): a Redis restart pauses them, it does not kill them.
    this.workerConnection = new Redis(this.url, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', (error) => this.observer.error('redis', error));
    this.subscriber = new Redis(this.url, { maxRetriesPerRequest: null });
    this.subscriber.on('error', (error) => this.observer.error('redis', error));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.newQueueChannel) {
        void this.discoverItemQueues().catch(() => undefined);
        return;
      }
      const runId = message;
      for (const { controller, runId: jobRunId } of this.active.values()) {
        if (jobRunId === runId) {
          controller.abort(ABORT_RUN_CANCELLED);
        }
      }
    });
    await this.subscriber.subscribe(this.cancelChannel, this.newQueueChannel);
    this.startWorker(CONTROL_QUEUE, options.controlConcurrency);
    this.startWorker(NOTIFICATION_QUEUE, NOTIFICATION_CONCURRENCY);
    this.startWorker(LIVE_QUEUE, LIVE_CONCURRENCY);
    await this.discoverItemQueues();
    // One scheduler for every worker (upserting it again only updates it): the watch runs once per period.
    await this.queue(CONTROL_QUEUE)
      .upsertJobScheduler(
        'live-watch',
        { every: options.watchEveryMs },
        { name: JobName.WatchLive, data: {}, opts: { ...KEEP } },
      )
      .catch((error: unknown) => this.observer.error('queue', error));
    const every = (ms: number, task: () => Promise<void>) => {
      const timer = setInterval(() => void task().catch(() => undefined), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.discoverEveryMs, () => this.discoverItemQueues());
    const reconcile = () =>
      this.queue(CONTROL_QUEUE)
        .add(
          JobName.ReconcileRuns,
          {},
          { jobId: `reconcile-${Math.floor(Date.now() / options.reconcileEveryMs)}`, ...KEEP },
        )
        .then(() => undefined);
    every(options.reconcileEveryMs, reconcile);
    await reconcile().catch(() => undefined);
  }

  private async discoverItemQueues(): Promise<void> {
    for (const name of await this.producer.smembers(this.providersKey)) {
      if (!this.workers.has(name) && this.options) {
        this.startWorker(name, this.options.itemConcurrency);
      }
    }
  }

  private startWorker(name: string, concurrency: number): void {
    const options = this.options as ConsumerOptions;
    const worker = new Worker(name, (job, token, signal) => this.process(name, job, token, signal), {
      connection: this.workerConnection as Redis,
      prefix: this.prefix,
      concurrency,
      maxStalledCount: 3,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      maximumRateLimitDelay: 60_000,
      maxStartedAttempts: 20,
      ...(name !== CONTROL_QUEUE &&
      name !== NOTIFICATION_QUEUE &&
      name !== LIVE_QUEUE &&
      options.maxItemsPerMinute
        ? { limiter: { max: options.maxItemsPerMinute, duration: 60_000 } }
        : {}),
    });
    worker.on('error', (error) =>
      this.observer.error(/could not renew lock/.test(String(error?.message)) ? 'lock' : 'worker', error),
    );
    worker.on('stalled', (jobId) => this.observer.stalled(name, jobId));
    worker.on('failed', (job, error) => {
      const reason = String(error?.message ?? error);
      // finishedOn is set when no attempt is left; a job dropped by removeOnFail comes as undefined.
      this.observer.failed(name, job?.id, reason, !job || typeof job.finishedOn === 'number');
    });
    this.workers.set(name, worker);
  }

  private async process(
    queueName: string,
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const controller = new AbortController();
    const onShutdown = () => controller.abort(ABORT_SHUTDOWN);
    signal?.addEventListener('abort', onShutdown, { once: true });
    const key = `${queueName}/${job.id}`;
    this.active.set(key, { controller, runId: (job.data as { runId?: string }).runId });
    const context: JobContext = {
      signal: controller.signal,
      attemptsStarted: job.attemptsStarted,
      enqueuedAt: job.timestamp,
      worker: this.options?.worker ?? 'worker',
    };
    try {
      const handler = (this.handlers as JobHandlers)[job.name as JobName] as (
        data: unknown,
        context: JobContext,
      ) => Promise<void>;
      if (!handler) {
        throw new Error(`no handler for job ${job.name}`);
      }
      await handler(job.data, context);
    } catch (error) {
      if (error instanceof QueueRateLimited) {
        await this.queue(queueName).rateLimit(error.retryAfterMs);
        throw new RateLimitError();
      }
      if (!controller.signal.aborted) {
        throw error;
      }
    } finally {
      this.active.delete(key);
      signal?.removeEventListener('abort', onShutdown);
    }
    if (controller.signal.reason === ABORT_SHUTDOWN && token) {
      // Back to wait at once for another worker, with no attempt used and no stall window.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  async stop(): Promise<void> {
    this.timers.forEach((timer) => clearInterval(timer));
    this.timers = [];
    const closing = [...this.workers.values()].map((worker) => {
      const closed = worker.close();
      worker.cancelAllJobs(ABORT_SHUTDOWN);
      return closed;
    });
    await Promise.all(closing);
    this.workers.clear();
    await this.subscriber?.quit().catch(() => undefined);
    this.subscriber = null;
    await this.workerConnection?.quit().catch(() => undefined);
    this.workerConnection = null;
  }

  async close(): Promise<void> {
    await this.stop();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    await this.producer.quit().catch(() => undefined);
  }
}
