import { describeIntegration, REDIS_TEST_URL } from '@gatehouse/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { BullMqJobQueue } from './bullmq-job-queue';
import { JobName, type JobPayloads } from './contracts';
import { type ConsumerOptions, type JobHandlers } from './job-queue';

const OPTIONS: ConsumerOptions = {
  itemConcurrency: 2,
  controlConcurrency: 1,
  reconcileEveryMs: 3_600_000,
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
  return { record, seen };
}

function handlers(overrides: Partial<JobHandlers>): JobHandlers {
  return {
    [JobName.StartRun]: async () => undefined,
    [JobName.FanOutRun]: async () => undefined,
    [JobName.ExecuteItem]: async () => undefined,
    [JobName.AggregateRun]: async () => undefined,
    [JobName.ReconcileRuns]: async () => undefined,
    ...overrides,
  };
}

describeIntegration(
  'the BullMQ queue on real Redis',
  () => {
    let prefix: string;
    let queues: BullMqJobQueue[];
    // The periodic look for new provider queues is pushed out of the way: only the announcement can act.
    const open = () => {
      const queue = new BullMqJobQueue(REDIS_TEST_URL, prefix, 3_600_000);
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
  },
  { needs: ['redis'] },
);
