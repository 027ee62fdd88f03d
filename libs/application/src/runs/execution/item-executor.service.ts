import { DEFAULT_RETRY_POLICY, EvalsError, executeItem, type ItemRecord } from '@gatehouse/evals';
import { RunNotRunning, RunProgressRepository, RunResultWriter, UnitOfWork } from '@gatehouse/persistence';
import { type JobContext, JobName, type JobPayloads, jobIds, QueueRateLimited } from '@gatehouse/queue';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MetricsService } from '../../metrics/metrics.service';
import { InjectJobQueue, type JobQueue } from '../job-queue.provider';
import { RunFailureService } from './run-failure.service';
import { RunPlans } from './run-plans';

const MAX_RATE_LIMIT_PAUSES = 12;

/**
 * Executes one item of a run per job: model call, scorers, one idempotent result row. The database is the
 * truth: one row per (run, item, epoch), inserted or ignored; the run's counters move only when a row was
 * really inserted, in the same transaction; the row that completes the run enqueues its aggregation once.
 */
@Injectable()
export class ItemExecutorService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ItemExecutorService.name);
  /** Result rows of this process's item jobs, group-committed (see RunResultWriter). */
  private readonly writer: RunResultWriter;

  constructor(
    uow: UnitOfWork,
    private readonly progress: RunProgressRepository,
    private readonly plans: RunPlans,
    private readonly failures: RunFailureService,
    private readonly metrics: MetricsService,
    @InjectJobQueue() private readonly queue: JobQueue,
  ) {
    this.writer = new RunResultWriter(uow);
  }

  /** After the consumer has stopped (in-flight jobs settled), before the database closes: write what waits. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }

  /** Executes one item: model call, scorers, one idempotent write. Records nothing once the run is cancelled. */
  async executeItem(data: JobPayloads[JobName.ExecuteItem], context: JobContext): Promise<void> {
    const started = Date.now();
    const plan = await this.plans.plan(data.runId).catch(async (error: unknown) => {
      if (!(error instanceof EvalsError)) {
        throw error;
      }
      // Built on this worker for the first time (or the connection changed since the start): no item of
      // the run can succeed, so the run fails with the reason rather than every job failing in turn.
      await this.failures.fail(data.runId, `The run cannot go on: ${error.message}.`);
      this.plans.forget(data.runId);
      return null;
    });
    if (!plan || context.signal.aborted) {
      return;
    }
    const item = await this.plans.datasetItem(plan, data.itemId, data.seq);
    if (!item) {
      return;
    }
    const record = await executeItem(plan.itemPlan, item, data.epoch, context.signal);
    if (context.signal.aborted || record.error?.kind === 'cancelled') {
      return;
    }
    if (
      record.error?.kind === 'rate_limited' &&
      context.attemptsStarted <= MAX_RATE_LIMIT_PAUSES &&
      (record.error.retryAfterMs ?? 0) <= DEFAULT_RETRY_POLICY.maxRetryAfterMs
    ) {
      // The provider said wait: pause its whole queue (every worker), then this job runs again. A wait
      // longer than the policy's (one answer asking for a day) is not waited: the item errors, saying so,
      // and the connection's other runs go on.
      const waitMs = record.error.retryAfterMs ?? 1000 * 2 ** Math.min(context.attemptsStarted, 5);
      await this.countRateLimit(data.runId, plan.provider, waitMs);
      throw new QueueRateLimited(waitMs);
    }
    const queueWaitMs = Math.max(0, started - context.enqueuedAt);
    let completed = false;
    try {
      completed = await this.saveResult(data, record, queueWaitMs, context.worker);
    } catch (error) {
      if (error instanceof RunNotRunning) {
        this.plans.forget(data.runId); // the next jobs of the run need not wait for a read to learn it
        return;
      }
      throw error;
    }
    this.metrics.itemsProcessed.inc({ status: record.status, kind: record.error?.kind ?? '' });
    for (const [kind, count] of Object.entries(record.retries?.byKind ?? {})) {
      this.metrics.providerRetries.inc({ provider: plan.provider, kind }, count);
    }
    const stop = plan.failFast.record(record);
    if (stop !== null && !completed && !plan.stopTried) {
      plan.stopTried = true;
      await this.stopIfNothingWorked(data.runId, stop);
    }
    if (record.latencyMs !== null) {
      this.metrics.providerLatency.observe({ provider: plan.provider }, record.latencyMs / 1000);
    }
    this.metrics.queueWait.observe({ provider: plan.provider }, queueWaitMs / 1000);
    if (completed) {
      await this.queue.add(JobName.AggregateRun, { runId: data.runId }, jobIds.aggregateRun(data.runId));
    }
  }

  /**
   * This process's first calls of the run all failed the same fatal way (a wrong key, nothing listening):
   * unless another worker has scored an item meanwhile, the run fails with that reason instead of
   * sending every item to the same wall. The jobs still queued find the run failed and do nothing.
   */
  private async stopIfNothingWorked(runId: string, reason: string): Promise<void> {
    const run = await this.progress.counters(runId);
    if (run?.status === 'running' && run.completed === run.errored) {
      const target = await this.plans.targetDescription(runId);
      await this.failures.fail(
        run.id,
        `The run ${reason[0].toLowerCase()}${reason.slice(1)}${target ? ` (${target})` : ''}.`,
      );
      this.plans.forget(runId);
    }
  }

  /** A 429 pause, on the run (shown in its report and page) and in /metrics; never fails the item. */
  private async countRateLimit(runId: string, provider: string, waitMs: number): Promise<void> {
    this.metrics.providerRetries.inc({ provider, kind: 'rate_limited' });
    this.metrics.providerPauseSeconds.inc({ provider }, waitMs / 1000);
    // Waiting on the provider is not being stuck: the pause marks the run, so the reconciler leaves it alone.
    await this.progress
      .countRateLimitPause(runId, waitMs)
      .catch((error: unknown) =>
        this.logger.warn(`Could not count a rate-limit pause of run ${runId}: ${String(error)}`),
      );
  }

  /**
   * Hands the row to the group-committing writer and resolves once it is committed (so the job is
   * acknowledged only then): insert-or-ignore, counters moved only by rows really inserted, completion by
   * compare-and-set, true for the one row that completed the run. Throws RunNotRunning once cancelled.
   */
  private async saveResult(
    data: JobPayloads[JobName.ExecuteItem],
    record: ItemRecord,
    queueWaitMs: number,
    worker: string,
  ): Promise<boolean> {
    const anyFailed = Object.values(record.scores).some((s) => s.passed === false);
    const { completedRun } = await this.writer.submit({
      id: randomUUID(),
      runId: data.runId,
      itemId: data.itemId,
      seq: data.seq,
      epoch: data.epoch,
      status: record.status,
      anyFailed,
      output: record.output,
      scores: record.scores,
      error: record.error,
      groups: record.groups,
      latencyMs: record.latencyMs,
      durationMs: record.durationMs,
      queueWaitMs,
      attempts: record.attempts,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      costUsd: record.costUsd,
      worker,
      createdAt: new Date(),
    });
    if (completedRun) {
      this.plans.forget(data.runId);
    }
    return completedRun;
  }
}
