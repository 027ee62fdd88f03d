import { canonicalJson, sha256Hex, type StoredRunReport, SYSTEM_ACTOR } from '@gatehouse/domain';
import {
  type DatasetItem,
  datasetItemOf,
  describeScorers,
  epochSettings,
  evaluateThresholds,
  FailFast,
  type ItemRecord,
  RunAggregator,
  type RunOutcome,
  suiteDefinitionOf,
} from '@gatehouse/evals';
import { type RunResultEntity, RunProgressRepository, UnitOfWork } from '@gatehouse/persistence';
import { type JobName, type JobPayloads } from '@gatehouse/queue';
import { type GatehouseConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { InjectConfig } from '../../gatehouse-config.module';
import { RunFailureService } from './run-failure.service';
import { RunPlans } from './run-plans';

/** Result rows are read (and folded) this many items at a time. */
const PAGE = 1000;
const system = { actor: SYSTEM_ACTOR, requestId: null };

/**
 * Derives a run's report from its result rows once every item has one (or once it was cancelled, as a
 * partial report): the aggregates are never running counters, always computed from the rows.
 */
@Injectable()
export class RunAggregationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly progress: RunProgressRepository,
    private readonly plans: RunPlans,
    private readonly audit: AuditService,
    private readonly failures: RunFailureService,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /** Folds the rows (in dataset order) into the report; completes the run (or keeps it cancelled, partial). */
  async aggregate({ runId }: JobPayloads[JobName.AggregateRun]): Promise<void> {
    const run = await this.progress.find(runId);
    if (!run || !(run.status === 'aggregating' || (run.status === 'cancelled' && run.report === null))) {
      return;
    }
    const definition = suiteDefinitionOf(await this.progress.suite(run.suiteId));
    const manifest = run.manifest;
    const { count: epochs, reducer } = epochSettings(definition);
    const aggregator = new RunAggregator({
      scorers: describeScorers(definition.scorers),
      epochs,
      reducer,
      groupBy: definition.groupBy,
      minGroupSize: definition.minGroupSize,
      seed: definition.seed,
    });
    const partial = run.status === 'cancelled';
    // A run whose every call failed the same fatal way (a wrong key, nothing listening) fails, saying so, as
    // fail-fast stops one midway: its workers may not have stopped it (a run no longer than the fail-fast
    // window, or one whose last rows were committed together, completes before they look).
    const fatal =
      !partial && this.config.runs.failFastAfter > 0
        ? new FailFast({ after: run.total, total: run.total })
        : null;
    const dataset = await this.progress.datasetOf(run);
    for (let seq = 0; seq < dataset.itemCount; seq += PAGE) {
      const rows = await this.progress.results(runId, seq, PAGE);
      const failingIds = [...new Set(rows.filter((r) => r.anyFailed).map((r) => r.itemId))];
      const items = failingIds.length
        ? new Map(
            (await this.progress.itemsById(dataset.id, failingIds)).map((r) => [r.itemId, datasetItemOf(r)]),
          )
        : new Map<string, DatasetItem>();
      for (const row of rows) {
        const record = toRecord(row);
        fatal?.record(record);
        aggregator.add(record, items.get(row.itemId), row.seq);
      }
    }
    if (fatal?.stopped) {
      const target = await this.plans.targetDescription(runId);
      const reason = fatal.stopped.replace(
        /^stopped after (\d+) items?: /,
        'failed: all $1 of its items errored: ',
      );
      await this.failures.fail(runId, `The run ${reason}${target ? ` (${target})` : ''}.`, 'aggregating', {
        items: { total: run.total, errored: run.total },
      });
      this.plans.forget(runId);
      return;
    }
    const summary = aggregator.summary();
    const thresholds = evaluateThresholds(summary, definition.thresholds);
    const erroredShare = summary.items.total === 0 ? 1 : summary.items.errored / summary.items.total;
    const outcome: RunOutcome =
      erroredShare > definition.maxErroredShare
        ? 'errored'
        : thresholds.every((t) => t.passed)
          ? 'passed'
          : 'failed';
    // 429s pause the provider's queue on the platform (not inside one call): counted on the run row.
    summary.operational.rateLimit = {
      pauses: run.rateLimitPauses,
      pauseSeconds: Math.round(run.rateLimitedMs / 100) / 10,
    };
    const report: StoredRunReport = {
      summary,
      thresholds,
      outcome,
      failures: aggregator.failures(),
      partial,
    };
    const now = new Date();
    await this.uow.write(async (tx) => {
      const saved = await this.progress.saveReport(tx, runId, partial ? 'cancelled' : 'aggregating', {
        report,
        outcome: partial ? 'cancelled' : outcome,
        manifest: { ...manifest, completedAt: now.toISOString() },
        at: now,
      });
      if (saved) {
        await this.audit.record(tx, system, {
          action: partial ? 'run.summarised' : 'run.completed',
          subjectType: 'evaluation_run',
          subjectId: runId,
          after: {
            status: partial ? 'cancelled' : 'completed',
            outcome: partial ? 'cancelled' : outcome,
            items: summary.items,
            metrics: summary.metrics.map((metric) => ({
              name: metric.name,
              value: metric.value,
              interval: metric.interval,
              upper95: metric.upper95,
              n: metric.n,
            })),
            thresholds: thresholds.map((t) => ({ reason: t.reason, passed: t.passed })),
            resultsHash: sha256Hex(canonicalJson(summary)),
          },
        });
      }
    });
    this.plans.forget(runId);
  }
}

function toRecord(row: RunResultEntity): ItemRecord {
  return {
    itemId: row.itemId,
    epoch: row.epoch,
    status: row.status as ItemRecord['status'],
    output: row.output,
    error: row.error as ItemRecord['error'],
    scores: row.scores as ItemRecord['scores'],
    groups: row.groups as Record<string, string>,
    latencyMs: row.latencyMs,
    durationMs: row.durationMs,
    attempts: row.attempts,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costUsd: row.costUsd,
  };
}
