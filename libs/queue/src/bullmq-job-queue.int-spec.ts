import { describeIntegration, REDIS_TEST_URL } from '@gatehouse/testing';
import { Queue, UnrecoverableError } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { BullMqJobQueue } from './bullmq-job-queue';
import { itemQueueName, JobName, type JobPayloads } from './contracts';
import { type ConsumerOptions, type JobHandlers, type QueueObserver } from './job-queue';

const OPTIONS: ConsumerOptions = {
  itemConcurrency: 2,
  controlConcurrency: 1,
  reconcileEveryMs: 3_600_000,
  watchEveryMs: 3_600_000,
  lockMs: 5_000,
  worker: 'test',
};

const item = (runId: string, seq: number) => ({
  jobId: `item-${runId}-${seq}-1`,
  data: { runId, itemId: `i${seq}`, seq, epoch: 1 },
});

/** Resolves with the first value `record` is called with, or rejects after `ms`. */
function firstCall<T>(ms: number): { record: (value: T) => void; seen: Promise<T> } {
  let record: (value: T) => void = () => undefined;
  const seen = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
    record = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
  // A test that fails before awaiting `seen` leaves no unhandled rejection to fail the next test file.
  seen.catch(() => undefined);
  return { record, seen };
}

function handlers(overrides: Partial<JobHandlers>): JobHandlers {
  return {
    [JobName.StartRun]: async () => undefined,
    [JobName.FanOutRun]: async () => undefined,
    [JobName.ExecuteItem]: async () => undefined,
    [JobName.AggregateRun]: async () => undefined,
    [JobName.ReconcileRuns]: async () => undefined,
    [JobName.DeliverNotification]: async () => undefined,
    [JobName.ScoreLive]: async () => undefined,
    [JobName.WatchLive]: async () => undefined,
    ...overrides,
  };
}

describeIntegration(
  'the BullMQ queue on real Redis',
  () => {
    let prefix: string;
    let queues: BullMqJobQueue[];
    // The periodic look for new provider queues is pushed out of the way: only the announcement can act.
    const open = (observer?: QueueObserver) => {
      const queue = new BullMqJobQueue(REDIS_TEST_URL, prefix, 3_600_000, observer);
      queues.push(queue);
      return queue;
    };

    beforeEach(() => {
      prefix = `gatehouse-test-${randomUUID().slice(0, 8)}`;
      queues = [];
    });

    afterEach(async () => {
      await Promise.all(queues.map((queue) => queue.close()));
      const redis = new Redis(REDIS_TEST_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
      await redis.quit();
    });

    it('starts on a provider queue as soon as another process adds its first job', async () => {
      const worker = open();
      const { record, seen } = firstCall<JobPayloads[JobName.ExecuteItem]>(4_000);
      await worker.start(handlers({ [JobName.ExecuteItem]: async (data) => record(data) }), OPTIONS);
      const api = open(); // a producer of its own, as the API is
      await api.addItems('openai:brand-new', [item('r', 7)]);
      expect(await seen).toEqual({ runId: 'r', itemId: 'i7', seq: 7, epoch: 1 });
    });

    it('counts the items waiting per provider queue', async () => {
      const producer = open();
      await producer.addItems(
        'openai:x',
        [1, 2, 3].map((seq) => item('r', seq)),
      );
      await producer.addItems('openai:x', [item('r', 2)]); // the same id again: still one job
      expect(await producer.waitingItems('openai:x')).toBe(3);
      expect(await producer.waitingItems('openai:never-used')).toBe(0);
    });

    it('runs a delayed control job after its delay', async () => {
      const worker = open();
      const { record, seen } = firstCall<number>(4_000);
      const added = Date.now();
      await worker.start(handlers({ [JobName.FanOutRun]: async () => record(Date.now() - added) }), OPTIONS);
      await worker.add(JobName.FanOutRun, { runId: 'r', fromSeq: 10, round: 0 }, 'fanout-r-10-0', {
        delayMs: 400,
      });
      expect(await seen).toBeGreaterThanOrEqual(390);
    });

    it('delivers notifications on their own queue while the control queue is busy', async () => {
      const worker = open();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const started = firstCall<string>(4_000);
      const delivered = firstCall<JobPayloads[JobName.DeliverNotification]>(4_000);
      await worker.start(
        handlers({
          [JobName.StartRun]: async (data) => {
            started.record(data.runId);
            await held; // the control queue's only slot (controlConcurrency 1) stays taken
          },
          [JobName.DeliverNotification]: async (data) => delivered.record(data),
        }),
        OPTIONS,
      );
      await worker.add(JobName.StartRun, { runId: 'slow' }, 'start-slow');
      expect(await started.seen).toBe('slow');
      await worker.add(JobName.DeliverNotification, { deliveryId: 'd-1', attempt: 0 }, 'notify-d-1-0-0');
      expect(await delivered.seen).toEqual({ deliveryId: 'd-1', attempt: 0 });
      expect(Object.keys(await worker.counts())).toEqual(
        expect.arrayContaining(['gatehouse-control', 'gatehouse-notifications']),
      );
      release();
    });

    it('really enqueues again an item whose job failed for good, and says so', async () => {
      const failures: { jobId: string | undefined; reason: string; final: boolean }[] = [];
      const observer: QueueObserver = {
        error: () => undefined,
        stalled: () => undefined,
        failed: (_queue, jobId, reason, final) => failures.push({ jobId, reason, final }),
      };
      const worker = open(observer);
      let calls = 0;
      const second = firstCall<number>(10_000);
      await worker.start(
        handlers({
          [JobName.ExecuteItem]: async () => {
            calls += 1;
            if (calls === 1) {
              // As a database outage does once attempts are used up: the job stays failed under its id.
              throw new UnrecoverableError('connect ECONNREFUSED 127.0.0.1:5432');
            }
            second.record(calls);
          },
        }),
        OPTIONS,
      );
      const api = open();
      expect(await api.addItems('openai:outage', [item('r', 1)])).toEqual({
        jobs: 1,
        retriedFailed: 0,
        rerunCompleted: 0,
        failureReasons: [],
      });
      const connection = new Redis(REDIS_TEST_URL);
      const raw = new Queue(itemQueueName('openai:outage'), { connection, prefix });
      try {
        // The worker reports the failure after Redis has the job as failed: on a busy machine, a moment later.
        await until(
          async () => (await raw.getJobState('item-r-1-1')) === 'failed' && failures.length > 0,
          10_000,
        );
        expect(failures).toEqual([
          { jobId: 'item-r-1-1', reason: 'connect ECONNREFUSED 127.0.0.1:5432', final: true },
        ]);

        // The same deterministic id again: without the fix BullMQ ignores the add while the failed job is kept.
        const report = await api.addItems('openai:outage', [item('r', 1), item('r', 2)]);
        expect(report).toEqual({
          jobs: 2,
          retriedFailed: 1,
          rerunCompleted: 0,
          failureReasons: ['connect ECONNREFUSED 127.0.0.1:5432'],
        });
        expect(await second.seen).toBeGreaterThanOrEqual(2);
        await until(async () => (await raw.getJobState('item-r-1-1')) === 'completed', 10_000);

        // A completed job is put back too (the caller adds only items with no result).
        const rerun = await api.addItems('openai:outage', [item('r', 1)]);
        expect(rerun).toMatchObject({ jobs: 1, retriedFailed: 0, rerunCompleted: 1 });
        await until(async () => calls >= 4, 10_000);
      } finally {
        await raw.close();
        connection.disconnect();
      }
    }, 60_000);

    it('tells the observer about connection errors instead of swallowing them', async () => {
      const errors: string[] = [];
      const observer: QueueObserver = {
        error: (kind) => errors.push(kind),
        stalled: () => undefined,
        failed: () => undefined,
      };
      // Nothing listens on this port: the producer's connection reports errors as it retries.
      const queue = new BullMqJobQueue('redis://127.0.0.1:1', prefix, 3_600_000, observer);
      queues.push(queue);
      await until(async () => errors.includes('redis'), 10_000);
      expect(errors[0]).toBe('redis');
    }, 30_000);
  },
  { needs: ['redis'] },
);

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`not within ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
