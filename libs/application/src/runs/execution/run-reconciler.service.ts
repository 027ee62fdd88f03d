import { type GatehouseConfig } from '@gatehouse/config';
import { SYSTEM_ACTOR } from '@gatehouse/domain';
import { RunProgressRepository, UnitOfWork, type WorkerRun } from '@gatehouse/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { InjectConfig } from '../../gatehouse-config.module';
import { MetricsService } from '../../metrics/metrics.service';
import { RunAggregationService } from './run-aggregation.service';
import { RunFailureService } from './run-failure.service';
import { RunStartService } from './run-start.service';

/** What a repair of a running run records in the audit log (`run.repaired`, `after`). */
export interface RepairRecord {
  attempt: number;
  completed: number;
  total: number;
  enqueued: number;
  retriedFailed: number;
  rerunCompleted: number;
  failureReasons: string[];
}

const system = { actor: SYSTEM_ACTOR, requestId: null };
const RUNS_PER_PASS = 100;

/**
 * Repairs what crashes, outages and lost queues leave: queued runs never started, running runs whose
 * counters drifted or whose jobs were lost or failed for good (re-enqueued by key, ended jobs put back
 * with fresh attempts), aggregations never done.
 *
 * A running run is repaired at most `reconcileMaxAttempts` times in a row without a new result; the next
 * time it is failed with the reason its jobs gave. Each repair is audited (`run.repaired`, with the
 * number of results it found), so the count holds across worker processes and restarts and is the same
 * for every worker; a repair that could not reach the database or the queue records nothing and so is
 * not counted (an outage does not use up a run's attempts).
 */
@Injectable()
export class RunReconcilerService {
  private readonly logger = new Logger(RunReconcilerService.name);
  private readonly config: GatehouseConfig['runs'];

  constructor(
    private readonly uow: UnitOfWork,
    private readonly progress: RunProgressRepository,
    private readonly failures: RunFailureService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @InjectConfig() config: GatehouseConfig,
    /** The acts a repair repeats: start a queued run, put back what has no result. */
    @Inject(RunStartService) private readonly start: Pick<RunStartService, 'startRun' | 'enqueueMissing'>,
    @Inject(RunAggregationService) private readonly aggregation: Pick<RunAggregationService, 'aggregate'>,
  ) {
    this.config = config.runs;
  }

  /** One pass over the runs quiet for `runs.stuckAfterMs` (the ReconcileRuns job). */
  async reconcile(): Promise<void> {
    const stuckBefore = new Date(Date.now() - this.config.stuckAfterMs);
    const stuck = await this.progress.stuck(stuckBefore, RUNS_PER_PASS);
    for (const run of stuck) {
      try {
        await this.repair(run);
      } catch (error) {
        this.logger.warn(`Reconciling run ${run.id} failed (tried again next pass): ${String(error)}`);
      }
    }
  }

  private async repair(run: WorkerRun): Promise<void> {
    const touch = () => this.progress.touch(run.id, run.status);
    switch (run.status) {
      case 'queued':
        await touch();
        await this.start.startRun({ runId: run.id });
        return;
      case 'running':
        return this.repairRunning(run);
      case 'aggregating':
        return this.repairAggregation(run, touch);
      case 'cancelled':
        if (run.report === null) {
          await this.aggregation.aggregate({ runId: run.id });
        }
        return;
      default:
        return;
    }
  }

  /** Recounts from the rows; completes, re-enqueues what has no result, or gives up after the bound. */
  private async repairRunning(run: WorkerRun): Promise<void> {
    const { complete, completed } = await this.uow.write(async (tx) => {
      const recorded = await this.progress.recount(tx, run.id);
      return { complete: await this.progress.completeIfDone(tx, run.id), completed: recorded };
    });
    if (complete) {
      await this.aggregation.aggregate({ runId: run.id });
      return;
    }
    const streak = await this.repairsWithoutProgress(run.id, completed);
    const max = this.config.reconcileMaxAttempts;
    if (streak.length >= max) {
      await this.giveUp(run, completed, streak);
      return;
    }
    const report = await this.start.enqueueMissing(run);
    const record: RepairRecord = {
      attempt: streak.length + 1,
      completed,
      total: run.total,
      enqueued: report.jobs,
      retriedFailed: report.retriedFailed,
      rerunCompleted: report.rerunCompleted,
      failureReasons: report.failureReasons,
    };
    await this.uow.write((m) =>
      this.audit.record(m, system, {
        action: 'run.repaired',
        subjectType: 'evaluation_run',
        subjectId: run.id,
        after: record,
      }),
    );
    this.metrics.jobsRequeued.inc(
      { reason: 'missing' },
      report.jobs - report.retriedFailed - report.rerunCompleted,
    );
    this.metrics.jobsRequeued.inc({ reason: 'failed' }, report.retriedFailed);
    this.metrics.jobsRequeued.inc({ reason: 'completed' }, report.rerunCompleted);
    this.logger.log(describeRepair(run.id, record, max));
  }

  /**
   * Runs a lost or failing aggregation again. An attempt that fails is audited (`run.repaired`, with the
   * error) and, after `reconcileMaxAttempts` of them in a row, the run is failed with that error.
   */
  private async repairAggregation(run: WorkerRun, touch: () => Promise<unknown>): Promise<void> {
    const streak = await this.repairsWithoutProgress(run.id, run.completed);
    const max = this.config.reconcileMaxAttempts;
    if (streak.length >= max) {
      await this.giveUp(run, run.completed, streak, 'aggregating');
      return;
    }
    await touch();
    try {
      await this.aggregation.aggregate({ runId: run.id });
    } catch (error) {
      const record: RepairRecord = {
        attempt: streak.length + 1,
        completed: run.completed,
        total: run.total,
        enqueued: 0,
        retriedFailed: 0,
        rerunCompleted: 0,
        failureReasons: [String(error instanceof Error ? error.message : error).slice(0, 300)],
      };
      await this.uow.write((m) =>
        this.audit.record(m, system, {
          action: 'run.repaired',
          subjectType: 'evaluation_run',
          subjectId: run.id,
          after: { ...record, aggregation: true },
        }),
      );
      throw error;
    }
  }

  /** The run's latest repairs, newest first, as long as none of them saw more results than `completed`. */
  private async repairsWithoutProgress(runId: string, completed: number): Promise<RepairEvent[]> {
    const events = await this.progress.repairs<RepairRecord>(runId, this.config.reconcileMaxAttempts);
    const streak: RepairEvent[] = [];
    for (const { at, after } of events) {
      if (after?.completed !== completed) {
        break;
      }
      streak.push({ at, record: after });
    }
    return streak;
  }

  private async giveUp(
    run: WorkerRun,
    completed: number,
    streak: RepairEvent[],
    from: 'running' | 'aggregating' = 'running',
  ): Promise<void> {
    const error = from === 'running' ? giveUpReason(run, completed, streak) : aggregationReason(streak);
    const failed = await this.failures.fail(run.id, error, from, {
      completed,
      total: run.total,
      repairs: streak.length,
    });
    if (failed) {
      this.metrics.runsGivenUp.inc();
      this.logger.warn(`Failed run ${run.id}: ${error}`);
    }
  }
}

interface RepairEvent {
  at: Date;
  record: RepairRecord;
}

/** The log line of a repair: what was put back on the queue and why. */
export function describeRepair(runId: string, record: RepairRecord, max: number): string {
  const ended: string[] = [];
  if (record.retriedFailed > 0) {
    ended.push(`${record.retriedFailed} had failed for good, retried with fresh attempts`);
  }
  if (record.rerunCompleted > 0) {
    ended.push(`${record.rerunCompleted} had ended without a result, run again`);
  }
  const lost = record.enqueued - record.retriedFailed - record.rerunCompleted;
  if (lost > 0) {
    ended.push(`${lost} lost or still queued, added if missing`);
  }
  const detail = ended.length > 0 ? ` (${ended.join('; ')})` : '';
  const why =
    record.failureReasons.length > 0
      ? ` Their jobs had failed with: ${record.failureReasons.join(' | ')}.`
      : '';
  return (
    `Reconciled run ${runId}: re-enqueued ${record.enqueued} items with no result${detail}; ` +
    `${record.completed}/${record.total} recorded, repair ${record.attempt} of ${max} without progress.${why}`
  );
}

/** Why the reconciler gave up on a run, in words a person can act on. */
export function giveUpReason(
  run: Pick<WorkerRun, 'total'>,
  completed: number,
  streak: { at: Date; record: RepairRecord }[],
): string {
  const since = streak.length > 0 ? streak[streak.length - 1].at : null;
  const reasons = [...new Set(streak.flatMap((event) => event.record.failureReasons))].slice(0, 3);
  const head =
    `No result was recorded for ${run.total - completed} of its ${run.total} items through ` +
    `${streak.length} repairs by the reconciler${since ? ` since ${since.toISOString()}` : ''}`;
  const cause =
    reasons.length > 0
      ? `: its item jobs kept failing with ${reasons.map((r) => `"${r}"`).join(', ')}. Fix that cause, then start a new run.`
      : ': no item job had failed for good, so the jobs were lost or no worker ran them. Check that workers are running and reach Redis, the database and the model, then start a new run.';
  return `${head}${cause}`;
}

/** Why the reconciler gave up on a run whose report could not be computed. */
export function aggregationReason(streak: { at: Date; record: RepairRecord }[]): string {
  const since = streak.length > 0 ? streak[streak.length - 1].at : null;
  const reasons = [...new Set(streak.flatMap((event) => event.record.failureReasons))].slice(0, 3);
  return (
    `Every item has a result, but the report could not be computed through ${streak.length} attempts by the ` +
    `reconciler${since ? ` since ${since.toISOString()}` : ''}` +
    (reasons.length > 0 ? `: ${reasons.map((r) => `"${r}"`).join(', ')}` : '') +
    '. The results are kept (GET /v1/runs/{id}/results); report this error to the operator, then start a new run.'
  );
}
