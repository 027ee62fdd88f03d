import { JobName, type JobPayloads } from './contracts';
import { InProcessJobQueue } from './in-process-job-queue';
import {
  ABORT_RUN_CANCELLED,
  ABORT_SHUTDOWN,
  type ConsumerOptions,
  type JobContext,
  type JobHandlers,
  QueueRateLimited,
} from './job-queue';

const OPTIONS: ConsumerOptions = {
  itemConcurrency: 2,
  controlConcurrency: 1,
  reconcileEveryMs: 60_000,
  watchEveryMs: 3_600_000,
  lockMs: 1000,
  worker: 'test',
};
const item = (runId: string, seq: number) => ({
  jobId: `item-${runId}-${seq}-1`,
  data: { runId, itemId: `i${seq}`, seq, epoch: 1 },
});
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function handlersWith(
  execute: (data: JobPayloads[JobName.ExecuteItem], context: JobContext) => Promise<void>,
  fanOut: (data: JobPayloads[JobName.FanOutRun]) => Promise<void> = async () => undefined,
): JobHandlers {
  return {
    [JobName.StartRun]: async () => undefined,
    [JobName.FanOutRun]: fanOut,
    [JobName.ExecuteItem]: execute,
    [JobName.AggregateRun]: async () => undefined,
    [JobName.ReconcileRuns]: async () => undefined,
    [JobName.DeliverNotification]: async () => undefined,
    [JobName.ScoreLive]: async () => undefined,
    [JobName.WatchLive]: async () => undefined,
  };
}

describe('the in-process queue (the embedded mode)', () => {
  let queue: InProcessJobQueue;

  beforeEach(() => {
    queue = new InProcessJobQueue();
  });

  afterEach(() => queue.close());

  it('runs each deterministic job id once while it exists, at the configured concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await queue.start(
      handlersWith(async (data) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await tick(5);
        seen.push(data.seq);
        inFlight -= 1;
      }),
      OPTIONS,
    );
    await queue.addItems('openai:x', [item('r', 1), item('r', 2), item('r', 3), item('r', 1)]);
    await queue.addItems('openai:x', [item('r', 2)]);
    await tick(60);
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(peak).toBe(2);
  });

  it('counts the items waiting per provider queue, apart from those running', async () => {
    const release: (() => void)[] = [];
    await queue.start(
      handlersWith(() => new Promise<void>((resolve) => release.push(resolve))),
      OPTIONS,
    );
    await queue.addItems(
      'openai:x',
      [1, 2, 3, 4, 5].map((seq) => item('r', seq)),
    );
    await queue.addItems('openai:y', [item('r', 9)]);
    expect(await queue.waitingItems('openai:x')).toBe(3); // two run (concurrency 2), three wait
    expect(await queue.waitingItems('openai:y')).toBe(0);
    expect(await queue.waitingItems('openai:never-used')).toBe(0);
    release.splice(0).forEach((done) => done());
    await tick(5);
    expect(await queue.waitingItems('openai:x')).toBe(1);
    release.splice(0).forEach((done) => done());
    await tick(5);
    release.splice(0).forEach((done) => done());
  });

  it('runs a delayed control job after its delay', async () => {
    const ran: { fromSeq: number; at: number }[] = [];
    const began = Date.now();
    await queue.start(
      handlersWith(
        async () => undefined,
        async (data) => {
          ran.push({ fromSeq: data.fromSeq, at: Date.now() - began });
        },
      ),
      OPTIONS,
    );
    const data = { runId: 'r', fromSeq: 1000, round: 0 };
    await queue.add(JobName.FanOutRun, data, 'fanout-r-1000-0', { delayMs: 60 });
    await tick(20);
    expect(ran).toEqual([]);
    await tick(80);
    expect(ran).toEqual([{ fromSeq: 1000, at: expect.any(Number) }]);
    expect(ran[0].at).toBeGreaterThanOrEqual(55);
  });

  it('delivers notifications on their own queue while the control queue is busy', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const delivered: string[] = [];
    await queue.start(
      {
        ...handlersWith(async () => undefined),
        [JobName.StartRun]: () => held, // the control queue's only slot (controlConcurrency 1) stays taken
        [JobName.DeliverNotification]: async (data) => {
          delivered.push(data.deliveryId);
        },
      },
      OPTIONS,
    );
    await queue.add(JobName.StartRun, { runId: 'slow' }, 'start-slow');
    await queue.add(JobName.DeliverNotification, { deliveryId: 'd-1', attempt: 0 }, 'notify-d-1-0-0');
    await tick(20);
    expect(delivered).toEqual(['d-1']);
    expect((await queue.counts())['gatehouse-control']).toMatchObject({ active: 1 });
    release();
  });

  it('pauses the whole provider queue on a rate limit without using an attempt, then runs the job again', async () => {
    const starts: { seq: number; at: number; attempt: number }[] = [];
    const began = Date.now();
    await queue.start(
      handlersWith(async (data, context) => {
        starts.push({ seq: data.seq, at: Date.now() - began, attempt: context.attemptsStarted });
        if (data.seq === 1 && context.attemptsStarted === 1) {
          throw new QueueRateLimited(80);
        }
      }),
      { ...OPTIONS, itemConcurrency: 1 },
    );
    await queue.addItems('openai:x', [item('r', 1), item('r', 2)]);
    await tick(200);
    expect(starts.map((s) => [s.seq, s.attempt])).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(starts[1].at).toBeGreaterThanOrEqual(75); // waited for Retry-After, and so did item 2
  });

  it('retries a failing job with backoff, three times in all', async () => {
    let calls = 0;
    await queue.start(
      handlersWith(async () => {
        calls += 1;
        throw new Error('database briefly away');
      }),
      OPTIONS,
    );
    await queue.addItems('openai:x', [item('r', 1)]);
    await tick(1000);
    expect(calls).toBe(3);
  });

  it('enqueues again a job that failed for good, says so, and tells the observer', async () => {
    const events: { jobId: string | undefined; final: boolean }[] = [];
    queue = new InProcessJobQueue({
      error: () => undefined,
      stalled: () => undefined,
      failed: (_queue, jobId, _reason, final) => events.push({ jobId, final }),
    });
    let calls = 0;
    await queue.start(
      handlersWith(async () => {
        calls += 1;
        if (calls <= 3) {
          throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        }
      }),
      OPTIONS,
    );
    await queue.addItems('openai:x', [item('r', 1)]);
    await tick(1000);
    expect(calls).toBe(3);
    expect(events).toEqual([
      { jobId: 'item-r-1-1', final: false },
      { jobId: 'item-r-1-1', final: false },
      { jobId: 'item-r-1-1', final: true },
    ]);
    expect((await queue.counts())['gatehouse-items-openai-x']).toMatchObject({ failed: 1 });

    const report = await queue.addItems('openai:x', [item('r', 1), item('r', 2)]);
    expect(report).toEqual({
      jobs: 2,
      retriedFailed: 1,
      rerunCompleted: 0,
      failureReasons: ['connect ECONNREFUSED 127.0.0.1:5432'],
    });
    await tick(50);
    expect(calls).toBe(5); // item 1 with fresh attempts, and item 2
    expect((await queue.counts())['gatehouse-items-openai-x']).toMatchObject({ failed: 0 });
  });

  it('aborts the in-flight jobs of a cancelled run only', async () => {
    const reasons = new Map<string, unknown>();
    await queue.start(
      handlersWith(
        (data, context) =>
          new Promise<void>((resolve) => {
            context.signal.addEventListener('abort', () => {
              reasons.set(data.runId, context.signal.reason);
              resolve();
            });
            setTimeout(resolve, 300);
          }),
      ),
      OPTIONS,
    );
    await queue.addItems('openai:x', [item('cancel-me', 1)]);
    await queue.addItems('openai:y', [item('keep-me', 1)]);
    await tick(10);
    await queue.broadcastCancel('cancel-me');
    await tick(10);
    expect([...reasons]).toEqual([['cancel-me', ABORT_RUN_CANCELLED]]);
  });

  it('stops in milliseconds, aborting in-flight jobs with the shutdown reason', async () => {
    let reason: unknown;
    await queue.start(
      handlersWith(
        (_data, context) =>
          new Promise<void>((resolve) => {
            context.signal.addEventListener('abort', () => {
              reason = context.signal.reason;
              resolve();
            });
          }),
      ),
      OPTIONS,
    );
    await queue.addItems('openai:x', [item('r', 1)]);
    await tick(10);
    const started = Date.now();
    await queue.stop();
    expect(Date.now() - started).toBeLessThan(100);
    expect(reason).toBe(ABORT_SHUTDOWN);
    expect((await queue.counts())['gatehouse-items-openai-x']).toMatchObject({ active: 0 });
  });
});
