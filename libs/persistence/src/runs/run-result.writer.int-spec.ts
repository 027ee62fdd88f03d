import { type RunStatus } from '@gatehouse/domain';
import { describeIntegration, insertEmptySuite, runRow, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { EvaluationRunEntity, RunResultEntity } from '../entities';
import { readWith, type UnitOfWork, writeWith } from '../unit-of-work';
import { type ResultRow, RunNotRunning, RunResultWriter } from './run-result.writer';

describeIntegration('RunResultWriter (group commit of result rows)', () => {
  const db = useTestDataSource();
  let uow: UnitOfWork;
  let suiteId: string;

  beforeAll(async () => {
    uow = db.uow;
    suiteId = await insertEmptySuite(uow, 'writer');
  });

  async function run(total: number, status: RunStatus = 'running'): Promise<string> {
    const stored = runRow(suiteId, { status, total });
    await writeWith(uow, (m) => m.insert(EvaluationRunEntity, stored));
    return stored.id;
  }

  /** Item n fails its scorer when n % 5 === 0 and is errored when n % 7 === 0. */
  const row = (runId: string, n: number, worker = 'w1'): ResultRow => ({
    id: randomUUID(),
    runId,
    itemId: `i-${n}`,
    seq: n,
    epoch: 1,
    status: n % 7 === 0 ? 'errored' : 'scored',
    anyFailed: n % 5 === 0,
    output: n % 7 === 0 ? null : `answer ${n} with "quotes", a \\ and {braces}`,
    scores: n % 7 === 0 ? {} : { exact: { value: n % 5 === 0 ? 0 : 1, passed: n % 5 !== 0 } },
    error: n % 7 === 0 ? { kind: 'timeout', message: 'no answer in 10 s' } : null,
    groups: { band: n % 2 ? 'odd' : 'even' },
    latencyMs: n % 7 === 0 ? null : 20.5,
    durationMs: 21.25,
    queueWaitMs: 3,
    attempts: 1,
    inputTokens: n % 7 === 0 ? null : 12,
    outputTokens: n % 7 === 0 ? null : 3,
    costUsd: n % 7 === 0 ? null : 0.0001,
    worker,
    createdAt: new Date(),
  });

  const counters = (runId: string) =>
    readWith(uow, (m) =>
      m.findOneOrFail(EvaluationRunEntity, {
        where: { id: runId },
        select: { status: true, completed: true, failed: true, errored: true },
      }),
    );
  const rowCount = (runId: string) => readWith(uow, (m) => m.countBy(RunResultEntity, { runId }));
  const expected = (ns: number[]) => ({
    completed: ns.length,
    failed: ns.filter((n) => n % 5 === 0).length,
    errored: ns.filter((n) => n % 7 === 0).length,
  });
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('writes 300 concurrent rows in a few transactions, moves the counters by them and completes the run once', async () => {
    // Only the batch size starts a flush here: with a short delay, a busy machine that takes longer than
    // the delay to hand in the first hundred rows flushes the ones it has early (a fourth transaction).
    const writer = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 60_000 });
    const transactions = jest.spyOn(writer as unknown as { writeRun: () => Promise<unknown> }, 'writeRun');
    const runId = await run(300);
    const rows = range(1, 300).map((n) => row(runId, n));
    const outcomes = await Promise.all(rows.map((r) => writer.submit(r)));
    expect(transactions).toHaveBeenCalledTimes(3);
    expect(outcomes.every((o) => o.inserted)).toBe(true);
    expect(outcomes.filter((o) => o.completedRun)).toHaveLength(1);
    expect(await rowCount(runId)).toBe(300);
    expect(await counters(runId)).toMatchObject({ status: 'aggregating', ...expected(range(1, 300)) });
    // The row reads back as written (JSON, nulls, numbers).
    const stored = await readWith(uow, (m) => m.findOneByOrFail(RunResultEntity, { runId, itemId: 'i-10' }));
    const { id: _id, createdAt: _at, ...rest } = row(runId, 10);
    expect(stored).toMatchObject(rest);
    const errored = await readWith(uow, (m) => m.findOneByOrFail(RunResultEntity, { runId, itemId: 'i-14' }));
    expect(errored).toMatchObject({
      status: 'errored',
      output: null,
      latencyMs: null,
      error: { kind: 'timeout' },
    });
  });

  it('writes a row delivered twice once, in the same flush or a later one, and moves no counter for the copy', async () => {
    const writer = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 20 });
    const runId = await run(10);
    const [first, copy, other] = await Promise.all([
      writer.submit(row(runId, 5, 'delivery-1')),
      writer.submit(row(runId, 5, 'delivery-2')),
      writer.submit(row(runId, 6)),
    ]);
    expect([first, copy, other]).toEqual([
      { inserted: true, completedRun: false },
      { inserted: false, completedRun: false },
      { inserted: true, completedRun: false },
    ]);
    const later = await writer.submit(row(runId, 5, 'delivery-3'));
    expect(later).toEqual({ inserted: false, completedRun: false });
    const rows = await readWith(uow, (m) => m.findBy(RunResultEntity, { runId, itemId: 'i-5' }));
    expect(rows.map((r) => r.worker)).toEqual(['delivery-1']);
    expect(await counters(runId)).toMatchObject({ status: 'running', ...expected([5, 6]) });
  });

  it('records nothing for a run that is not running: every waiting handler learns RunNotRunning', async () => {
    const writer = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 20 });
    const cancelled = await run(10, 'cancelled');
    const running = await run(10);
    const results = await Promise.allSettled([
      writer.submit(row(cancelled, 1)),
      writer.submit(row(running, 1)),
      writer.submit(row(cancelled, 2)),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(RunNotRunning) });
    expect(results[1]).toEqual({ status: 'fulfilled', value: { inserted: true, completedRun: false } });
    expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.any(RunNotRunning) });
    expect(await rowCount(cancelled)).toBe(0);
    expect(await counters(cancelled)).toMatchObject({ status: 'cancelled', completed: 0 });
    expect(await counters(running)).toMatchObject({ completed: 1 });
  });

  it('keeps counters exact when several writers (processes) write the same run, with duplicates across them', async () => {
    const writers = [1, 2, 3].map(() => new RunResultWriter(uow, { maxBatch: 25, maxDelayMs: 2 }));
    const runId = await run(400);
    // Every item twice, by two different writers: 800 deliveries, 400 rows.
    const deliveries = range(1, 400).flatMap((n) => [
      writers[n % 3].submit(row(runId, n, `w${n % 3}`)),
      writers[(n + 1) % 3].submit(row(runId, n, `w${(n + 1) % 3}`)),
    ]);
    const settled = await Promise.allSettled(deliveries);
    // A copy that lands after the run completed finds it aggregating: refused, as for a cancelled run.
    const refused = settled.filter((s) => s.status === 'rejected');
    expect(refused.every((s) => s.reason instanceof RunNotRunning)).toBe(true);
    const outcomes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(outcomes.filter((o) => o.inserted)).toHaveLength(400);
    expect(outcomes.filter((o) => o.completedRun)).toHaveLength(1);
    expect(await rowCount(runId)).toBe(400);
    expect(await counters(runId)).toMatchObject({ status: 'aggregating', ...expected(range(1, 400)) });
  });

  it('fails only the row the database refuses, and writes the rows flushed beside it', async () => {
    const writer = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 20 });
    const runId = await run(10);
    const bad = { ...row(runId, 3), status: null as unknown as string }; // NOT NULL on both drivers
    const results = await Promise.allSettled([
      writer.submit(row(runId, 1)),
      writer.submit(bad),
      writer.submit(row(runId, 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await rowCount(runId)).toBe(2);
    expect(await counters(runId)).toMatchObject({ status: 'running', ...expected([1, 2]) });
  });

  it('flushes a lone row after the delay, and drain writes what waits at once', async () => {
    const writer = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 60_000 });
    const runId = await run(10);
    let settled = false;
    const pending = writer.submit(row(runId, 1)).then((outcome) => {
      settled = true;
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false); // waits for company (the delay) …
    await writer.drain(); // … unless the process is stopping
    expect(await pending).toEqual({ inserted: true, completedRun: false });
    expect(await rowCount(runId)).toBe(1);

    const quick = new RunResultWriter(uow, { maxBatch: 100, maxDelayMs: 5 });
    expect(await quick.submit(row(runId, 2))).toEqual({ inserted: true, completedRun: false });
  });
});
