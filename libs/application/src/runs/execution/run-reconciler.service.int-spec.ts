import { loadConfig } from '@gatehouse/config';
import {
  AuditEventEntity,
  AuditLogRepository,
  EvaluationRunEntity,
  readWith,
  RunProgressRepository,
  RunResultEntity,
  type UnitOfWork,
  writeWith,
} from '@gatehouse/persistence';
import { type EnqueueReport } from '@gatehouse/queue';
import { describeIntegration, insertEmptySuite, runRow, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { MetricsService } from '../../metrics/metrics.service';
import { notificationsServiceOn } from '../../notifications/notifications.standalone';
import { type RunAggregationService } from './run-aggregation.service';
import { RunFailureService } from './run-failure.service';
import { RunReconcilerService } from './run-reconciler.service';
import { type RunStartService } from './run-start.service';

describeIntegration('RunReconcilerService (repairs stuck runs, gives up after its bound)', () => {
  const db = useTestDataSource();
  let uow: UnitOfWork;
  let audit: AuditService;
  let suiteId: string;

  beforeAll(async () => {
    uow = db.uow;
    audit = new AuditService(new AuditLogRepository(uow));
    suiteId = await insertEmptySuite(uow, 'reconciler');
  }, 60_000);

  async function runningRun(total: number, status: 'running' | 'aggregating' = 'running'): Promise<string> {
    const row = runRow(suiteId, { status, total, completed: status === 'aggregating' ? total : 0 });
    await writeWith(uow, (m) => m.insert(EvaluationRunEntity, row));
    return row.id;
  }

  /** Makes the run look stuck to the next pass (no progress for longer than the stuck threshold). */
  const age = (runId: string) =>
    writeWith(uow, (m) =>
      m.update(EvaluationRunEntity, { id: runId }, { updatedAt: new Date(Date.now() - 60_000) }),
    );

  const addResult = (runId: string, n: number) =>
    writeWith(uow, (m) =>
      m.insert(RunResultEntity, {
        id: randomUUID(),
        runId,
        itemId: `i-${n}`,
        seq: n,
        epoch: 1,
        status: 'scored',
        anyFailed: false,
        output: 'ok',
        scores: {},
        error: null,
        groups: {},
        latencyMs: 1,
        durationMs: 1,
        queueWaitMs: 0,
        attempts: 1,
        inputTokens: null,
        outputTokens: null,
        costUsd: null,
        worker: 'test',
        createdAt: new Date(),
      }),
    );

  /** A reconciler whose runs' item jobs always fail for good with `reason` (what a worker would report). */
  function reconciler(
    maxAttempts: number,
    reason: string | null,
    aggregate: RunAggregationService['aggregate'] = async () => undefined,
  ) {
    const config = loadConfig({
      GATEHOUSE_STUCK_AFTER_MS: '1000',
      GATEHOUSE_RECONCILE_MAX_ATTEMPTS: String(maxAttempts),
    });
    const enqueued: string[] = [];
    const metrics = new MetricsService();
    const progress = new RunProgressRepository(uow);
    const start: Pick<RunStartService, 'startRun' | 'enqueueMissing'> = {
      startRun: async () => undefined,
      enqueueMissing: async (run): Promise<EnqueueReport> => {
        enqueued.push(run.id);
        const missing = run.total - run.completed;
        return reason
          ? { jobs: missing, retriedFailed: missing, rerunCompleted: 0, failureReasons: [reason] }
          : { jobs: missing, retriedFailed: 0, rerunCompleted: 0, failureReasons: [] };
      },
    };
    const failures = new RunFailureService(progress, audit, notificationsServiceOn(uow));
    const reconciler = new RunReconcilerService(uow, progress, failures, audit, metrics, config, start, {
      aggregate,
    });
    return { reconciler, enqueued, metrics };
  }

  const runOf = (runId: string) =>
    readWith(uow, (m) => m.findOneByOrFail(EvaluationRunEntity, { id: runId }));
  const events = (runId: string) =>
    readWith(uow, (m) =>
      m.find(AuditEventEntity, {
        where: { subjectType: 'evaluation_run', subjectId: runId },
        order: { seq: 'ASC' },
      }),
    );

  it('fails a run whose items keep failing after its bounded repairs, with the reason and a run.failed event', async () => {
    const runId = await runningRun(4);
    const { reconciler: r, enqueued, metrics } = reconciler(3, 'connect ECONNREFUSED 127.0.0.1:5432');
    for (let pass = 1; pass <= 3; pass++) {
      await age(runId);
      await r.reconcile();
      expect((await runOf(runId)).status).toBe('running');
    }
    expect(enqueued.filter((id) => id === runId)).toHaveLength(3);
    await age(runId);
    await r.reconcile();

    const run = await runOf(runId);
    expect(run.status).toBe('failed');
    expect(run.completedAt).not.toBeNull();
    expect(run.error).toContain('No result was recorded for 4 of its 4 items through 3 repairs');
    expect(run.error).toContain('"connect ECONNREFUSED 127.0.0.1:5432"');
    expect(run.error).toContain('Fix that cause, then start a new run.');
    expect(enqueued.filter((id) => id === runId)).toHaveLength(3); // not re-enqueued a fourth time
    const trail = await events(runId);
    expect(trail.map((e) => e.action)).toEqual([
      'run.repaired',
      'run.repaired',
      'run.repaired',
      'run.failed',
    ]);
    expect(trail[0].after).toMatchObject({
      attempt: 1,
      completed: 0,
      total: 4,
      enqueued: 4,
      retriedFailed: 4,
    });
    expect(trail[3]).toMatchObject({ actorId: 'system', reason: run.error });
    expect(await metrics.registry.getSingleMetricAsString('gatehouse_runs_given_up_total')).toMatch(/ 1$/m);
    expect(await metrics.registry.getSingleMetricAsString('gatehouse_jobs_requeued_total')).toMatch(
      /reason="failed"} 12$/m,
    );

    // A failed run is left alone by later passes.
    await age(runId);
    await r.reconcile();
    expect((await events(runId)).length).toBe(4);
  }, 60_000);

  it('counts only repairs in a row without a new result: progress starts the count again', async () => {
    const runId = await runningRun(5);
    const { reconciler: r } = reconciler(2, null);
    await age(runId);
    await r.reconcile(); // repair 1 of 2 (0 results)
    await addResult(runId, 1);
    await age(runId);
    await r.reconcile(); // progress: repair 1 of 2 again (1 result)
    await age(runId);
    await r.reconcile(); // repair 2 of 2
    expect((await runOf(runId)).status).toBe('running');
    expect(
      (await events(runId)).map((e) => (e.after as { attempt: number; completed: number }).attempt),
    ).toEqual([1, 1, 2]);
    await age(runId);
    await r.reconcile();
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: 'failed', completed: 1 });
    expect(run.error).toContain('No result was recorded for 4 of its 5 items through 2 repairs');
    expect(run.error).toContain('no item job had failed for good');
    expect(run.error).toContain('Check that workers are running');
  }, 60_000);

  it('leaves a run that is not stuck alone, and completes one whose rows are all in', async () => {
    const fresh = await runningRun(3);
    const done = await runningRun(1);
    await addResult(done, 1);
    await age(done);
    const { reconciler: r, enqueued } = reconciler(1, 'boom');
    await r.reconcile();
    expect(enqueued).not.toContain(fresh);
    expect(enqueued).not.toContain(done);
    expect((await runOf(fresh)).status).toBe('running');
    expect(await runOf(done)).toMatchObject({ status: 'aggregating', completed: 1 });
  }, 60_000);

  it('fails a run whose report cannot be computed after its bounded attempts, keeping the reason', async () => {
    const runId = await runningRun(2, 'aggregating');
    let attempts = 0;
    const { reconciler: r } = reconciler(2, null, async () => {
      attempts += 1;
      throw new Error('canceling statement due to statement timeout');
    });
    for (let pass = 1; pass <= 2; pass++) {
      await age(runId);
      await r.reconcile();
      expect((await runOf(runId)).status).toBe('aggregating');
    }
    await age(runId);
    await r.reconcile();
    expect(attempts).toBe(2);
    const run = await runOf(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toContain(
      'Every item has a result, but the report could not be computed through 2 attempts',
    );
    expect(run.error).toContain('"canceling statement due to statement timeout"');
    expect((await events(runId)).map((e) => e.action)).toEqual([
      'run.repaired',
      'run.repaired',
      'run.failed',
    ]);
  }, 60_000);

  it('aggregates a cancelled run still without its partial report, and passes over one that has it', async () => {
    const pending = await runningRun(2);
    const reported = await runningRun(2);
    await writeWith(uow, async (m) => {
      await m.update(EvaluationRunEntity, { id: pending }, { status: 'cancelled' });
      await m.update(
        EvaluationRunEntity,
        { id: reported },
        { status: 'cancelled', report: { partial: true } },
      );
    });
    await age(pending);
    await age(reported);
    // A cancelled run with its report is final: it never takes a place among the runs a pass looks at.
    const looked = (await new RunProgressRepository(uow).stuck(new Date(), 1000)).map((run) => run.id);
    expect(looked).toContain(pending);
    expect(looked).not.toContain(reported);
    const aggregated: string[] = [];
    const { reconciler: r } = reconciler(1, null, async ({ runId }) => {
      aggregated.push(runId);
    });
    await r.reconcile();
    expect(aggregated).toContain(pending);
    expect(aggregated).not.toContain(reported);
  }, 60_000);
});
