import {
  canTransitionRun,
  isLiveRunStatus,
  RUN_STATUSES,
  type RunStatus,
  type StoredManifest,
  type StoredRunReport,
} from '@gatehouse/domain';
import { And, Between, In, IsNull, LessThan, MoreThanOrEqual } from 'typeorm';
import {
  AuditEventEntity,
  CassetteEntity,
  DatasetEntity,
  DatasetItemEntity,
  EvaluationRunEntity,
  RunResultEntity,
  SuiteEntity,
} from '../entities';
import { managerOf, readWith, type Tx, type UnitOfWork, writeWith } from '../unit-of-work';

/** A run as the workers read it: its JSON columns typed as the run service stored them. */
export type WorkerRun = Omit<EvaluationRunEntity, 'manifest' | 'report' | 'suite' | 'aiUseCase'> & {
  manifest: StoredManifest;
  report: StoredRunReport | null;
};

/** A run as its start job reads it, once: the run, its suite and the suite's frozen dataset. */
export interface StartContext {
  run: WorkerRun;
  suite: SuiteEntity;
  dataset: DatasetEntity;
}

/** One (item, epoch) of a run with no result row yet. */
export interface MissingResult {
  itemId: string;
  seq: number;
  epoch: number;
}

/** A `run.repaired` audit event of a run: when, and what the repair recorded. */
export interface RepairEvent<T> {
  at: Date;
  after: T | null;
}

/** What aggregation writes on the run row, once. */
export interface RunReportWrite {
  report: StoredRunReport;
  outcome: string;
  manifest: StoredManifest;
  at: Date;
}

/** The statuses a run can still be moving in, which the reconciler looks at. */
const LIVE_STATUSES = RUN_STATUSES.filter(isLiveRunStatus);

const workerRun = (run: EvaluationRunEntity): WorkerRun => run as WorkerRun;

/**
 * Every statement the worker side runs: the run's status moves (compare-and-set along the domain's
 * RUN_TRANSITIONS), its counters and rate-limit pauses, the reconciler's counts, aggregation's reads
 * and its one write, and the dataset, suite and cassette reads a run's execution needs. Result rows are
 * written by RunResultWriter.
 */
export class RunProgressRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  find(runId: string): Promise<WorkerRun | null> {
    return readWith(this.uow, async (m) => {
      const run = await m.findOneBy(EvaluationRunEntity, { id: runId });
      return run && workerRun(run);
    });
  }

  status(runId: string): Promise<RunStatus | undefined> {
    return readWith(
      this.uow,
      async (m) =>
        (await m.findOne(EvaluationRunEntity, { where: { id: runId }, select: { status: true } }))?.status,
    );
  }

  /** The run's status and counters only. */
  counters(runId: string): Promise<Pick<WorkerRun, 'id' | 'status' | 'completed' | 'errored'> | null> {
    return readWith(this.uow, (m) =>
      m.findOne(EvaluationRunEntity, {
        where: { id: runId },
        select: { id: true, status: true, completed: true, errored: true },
      }),
    );
  }

  /**
   * What the start job works from, read once: the run, its suite and the suite's dataset (by
   * `suite.datasetId`, the key the run was started with); null when the run is gone.
   */
  startContext(runId: string): Promise<StartContext | null> {
    return readWith(this.uow, async (m) => {
      const run = await m.findOneBy(EvaluationRunEntity, { id: runId });
      if (!run) {
        return null;
      }
      const suite = await m.findOneByOrFail(SuiteEntity, { id: run.suiteId });
      const dataset = await m.findOneByOrFail(DatasetEntity, { id: suite.datasetId });
      return { run: workerRun(run), suite, dataset };
    });
  }

  /** The run and its suite, to build the run's plan from; null when either is gone. */
  findWithSuite(runId: string): Promise<{ run: WorkerRun; suite: SuiteEntity } | null> {
    return readWith(this.uow, async (m) => {
      const run = await m.findOneBy(EvaluationRunEntity, { id: runId });
      const suite = run ? await m.findOneBy(SuiteEntity, { id: run.suiteId }) : null;
      return run && suite ? { run: workerRun(run), suite } : null;
    });
  }

  suite(suiteId: string): Promise<SuiteEntity> {
    return readWith(this.uow, (m) => m.findOneByOrFail(SuiteEntity, { id: suiteId }));
  }

  /** Runs the reconciler should look at: still moving, or cancelled without their partial report, and quiet since `before`. */
  stuck(before: Date, limit: number): Promise<WorkerRun[]> {
    return readWith(this.uow, async (m) =>
      (
        await m.find(EvaluationRunEntity, {
          where: [
            { status: In(LIVE_STATUSES), updatedAt: LessThan(before) },
            { status: 'cancelled', report: IsNull(), updatedAt: LessThan(before) },
          ],
          order: { updatedAt: 'ASC' },
          take: limit,
        })
      ).map(workerRun),
    );
  }

  /** queued → running; false when another worker moved it first. */
  start(runId: string): Promise<boolean> {
    const now = new Date();
    return this.uow.write((tx) =>
      this.move(tx, runId, 'queued', 'running', { startedAt: now, updatedAt: now }),
    );
  }

  /** `from` → failed with the reason, in the caller's transaction; false when the run was not `from`. */
  fail(tx: Tx, runId: string, error: string, from: RunStatus = 'running'): Promise<boolean> {
    const now = new Date();
    return this.move(tx, runId, from, 'failed', { error, completedAt: now, updatedAt: now });
  }

  /** running → aggregating once every item has a row, in the caller's transaction; true for one caller. */
  async completeIfDone(tx: Tx, runId: string): Promise<boolean> {
    assertTransition('running', 'aggregating');
    const { affected } = await managerOf(tx)
      .createQueryBuilder()
      .update(EvaluationRunEntity)
      .set({ status: 'aggregating', updatedAt: new Date() })
      .where('id = :id AND status = :running AND completed >= total', { id: runId, running: 'running' })
      .execute();
    return affected === 1;
  }

  /**
   * The report, outcome and completed manifest on the run: aggregating → completed, or a cancelled run's
   * partial report (it stays cancelled). False when the run had moved on meanwhile.
   */
  async saveReport(
    tx: Tx,
    runId: string,
    from: 'aggregating' | 'cancelled',
    write: RunReportWrite,
  ): Promise<boolean> {
    const to: RunStatus = from === 'cancelled' ? 'cancelled' : 'completed';
    return this.move(tx, runId, from, to, {
      report: write.report,
      outcome: write.outcome,
      completedAt: write.at,
      updatedAt: write.at,
      manifest: write.manifest,
    });
  }

  /** Marks the run as looked at now (the reconciler passes it by for `stuckAfterMs`), if still `status`. */
  async touch(runId: string, status: RunStatus): Promise<void> {
    await writeWith(this.uow, (m) =>
      m.update(EvaluationRunEntity, { id: runId, status }, { updatedAt: new Date() }),
    );
  }

  /** A provider's 429 pause, counted on the run; also marks it as not stuck (waiting on the provider). */
  async countRateLimitPause(runId: string, waitMs: number): Promise<void> {
    await writeWith(this.uow, (m) =>
      m
        .createQueryBuilder()
        .update(EvaluationRunEntity)
        .set({
          rateLimitPauses: () => 'rate_limit_pauses + 1',
          rateLimitedMs: () => `rate_limited_ms + ${Math.round(Math.min(waitMs, 86_400_000))}`,
          updatedAt: new Date(),
        })
        .where('id = :runId', { runId })
        .execute(),
    );
  }

  /** Sets a running run's counters from its result rows, in the caller's transaction; the rows recorded. */
  async recount(tx: Tx, runId: string): Promise<number> {
    const m = managerOf(tx);
    const counts = await m
      .createQueryBuilder(RunResultEntity, 'r')
      .select('COUNT(*)', 'completed')
      .addSelect(`SUM(CASE WHEN r.any_failed = :yes THEN 1 ELSE 0 END)`, 'failed')
      .addSelect(`SUM(CASE WHEN r.status = 'errored' THEN 1 ELSE 0 END)`, 'errored')
      .where('r.run_id = :id', { id: runId, yes: true })
      .getRawOne<{
        completed: string | number;
        failed: string | number | null;
        errored: string | number | null;
      }>();
    const completed = Number(counts?.completed ?? 0);
    await m.update(
      EvaluationRunEntity,
      { id: runId, status: 'running' },
      {
        completed,
        failed: Number(counts?.failed ?? 0),
        errored: Number(counts?.errored ?? 0),
        updatedAt: new Date(),
      },
    );
    return completed;
  }

  /** The run's latest `run.repaired` audit events, newest first. */
  repairs<T>(runId: string, limit: number): Promise<RepairEvent<T>[]> {
    return readWith(this.uow, async (m) =>
      (
        await m.find(AuditEventEntity, {
          where: { subjectType: 'evaluation_run', subjectId: runId, action: 'run.repaired' },
          order: { seq: 'DESC' },
          take: limit,
        })
      ).map((event) => ({ at: event.occurredAt, after: event.after as T | null })),
    );
  }

  /** The run's (item, epoch)s among the items `fromSeq`…`fromSeq + size - 1` with no result row, in seq order. */
  async missingResults(
    run: Pick<WorkerRun, 'id' | 'manifest'>,
    datasetId: string,
    fromSeq: number,
    size: number,
  ): Promise<MissingResult[]> {
    const range = Between(fromSeq, fromSeq + size - 1);
    const [items, done] = await readWith(this.uow, (m) =>
      Promise.all([
        m.find(DatasetItemEntity, {
          where: { datasetId, seq: range },
          select: { itemId: true, seq: true },
          order: { seq: 'ASC' },
        }),
        m.find(RunResultEntity, {
          where: { runId: run.id, seq: range },
          select: { itemId: true, epoch: true },
        }),
      ]),
    );
    const have = new Set(done.map((r) => `${r.itemId}\u0000${r.epoch}`));
    const missing: MissingResult[] = [];
    for (const item of items) {
      for (let epoch = 1; epoch <= run.manifest.epochs; epoch++) {
        if (!have.has(`${item.itemId}\u0000${epoch}`)) {
          missing.push({ itemId: item.itemId, seq: item.seq, epoch });
        }
      }
    }
    return missing;
  }

  /** The result rows of items `fromSeq`…`fromSeq + size - 1`, by seq and epoch. */
  results(runId: string, fromSeq: number, size: number): Promise<RunResultEntity[]> {
    return readWith(this.uow, (m) =>
      m.find(RunResultEntity, {
        where: { runId, seq: Between(fromSeq, fromSeq + size - 1) },
        order: { seq: 'ASC', epoch: 'ASC' },
      }),
    );
  }

  /** The frozen dataset the run's suite is pinned to (the one its manifest names). */
  datasetOf(run: Pick<WorkerRun, 'suiteId'>): Promise<DatasetEntity> {
    return readWith(this.uow, async (m) => {
      const suite = await m.findOneByOrFail(SuiteEntity, { id: run.suiteId });
      return m.findOneByOrFail(DatasetEntity, { id: suite.datasetId });
    });
  }

  /** The dataset's items `fromSeq`…`fromSeq + size - 1`, in seq order. */
  items(
    datasetId: string,
    fromSeq: number,
    size: number,
  ): Promise<Pick<DatasetItemEntity, 'itemId' | 'seq' | 'item'>[]> {
    return readWith(this.uow, (m) =>
      m.find(DatasetItemEntity, {
        where: { datasetId, seq: And(MoreThanOrEqual(fromSeq), LessThan(fromSeq + size)) },
        select: { itemId: true, seq: true, item: true },
        order: { seq: 'ASC' },
      }),
    );
  }

  item(datasetId: string, itemId: string): Promise<DatasetItemEntity | null> {
    return readWith(this.uow, (m) => m.findOneBy(DatasetItemEntity, { datasetId, itemId }));
  }

  itemsById(datasetId: string, itemIds: string[]): Promise<DatasetItemEntity[]> {
    return readWith(this.uow, (m) => m.findBy(DatasetItemEntity, { datasetId, itemId: In(itemIds) }));
  }

  /** The content of the cassette with exactly this name and sha256, or null. */
  async cassette(name: string, sha256: string): Promise<string | null> {
    return (await readWith(this.uow, (m) => m.findOneBy(CassetteEntity, { name, sha256 })))?.content ?? null;
  }

  cassetteExists(name: string, sha256: string): Promise<boolean> {
    return readWith(this.uow, (m) => m.existsBy(CassetteEntity, { name, sha256 }));
  }

  /** A compare-and-set along RUN_TRANSITIONS (or a write on a run that stays `from`): true when it applied. */
  private async move(
    tx: Tx,
    runId: string,
    from: RunStatus,
    to: RunStatus,
    set: Partial<Omit<EvaluationRunEntity, 'id' | 'status' | 'suite' | 'aiUseCase'>>,
  ): Promise<boolean> {
    if (from !== to) {
      assertTransition(from, to);
    }
    const { affected } = await managerOf(tx).update(EvaluationRunEntity, { id: runId, status: from }, {
      ...set,
      status: to,
    } as never);
    return affected === 1;
  }
}

function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransitionRun(from, to)) {
    throw new Error(`A run does not go from ${from} to ${to}.`);
  }
}
