import { type GatehouseConfig } from '@gatehouse/config';
import { canonicalJson, type RunStatus, sha256Hex, SYSTEM_ACTOR } from '@gatehouse/domain';
import {
  createScorers,
  createTarget,
  type DatasetItem,
  DEFAULT_RETRY_POLICY,
  describeScorers,
  epochSettings,
  EvalsError,
  evaluateThresholds,
  FailFast,
  executeItem,
  type ItemPlan,
  type ItemRecord,
  judgeRecordingFor,
  modelUnderTest,
  RunAggregator,
  type RunOutcome,
  type Scorer,
  type TargetContext,
  connectionsUsed,
  datasetItemOf,
  suiteDefinitionOf,
  targetConfigOf,
} from '@gatehouse/evals';
import {
  type DatasetEntity,
  RunNotRunning,
  type RunResultEntity,
  RunProgressRepository,
  RunResultWriter,
  UnitOfWork,
  type WorkerRun,
} from '@gatehouse/persistence';
import {
  type EnqueueReport,
  type ItemJob,
  type JobContext,
  JobName,
  type JobHandlers,
  type JobPayloads,
  jobIds,
  QueueRateLimited,
} from '@gatehouse/queue';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { ConnectionsService } from '../connections/connections.service';
import { PlatformNetwork } from '../connections/platform-network';
import { InjectConfig } from '../gatehouse-config.module';
import { MetricsService } from '../metrics/metrics.service';
import { InjectJobQueue, type JobQueue } from './job-queue.provider';
import { RunReconciler } from './run-reconciler';
import { type StoredRunReport } from './runs.views';

/** Everything a worker needs to execute a run's items, built once per run and process. */
interface RunPlan {
  runId: string;
  datasetId: string;
  provider: string;
  itemPlan: ItemPlan;
  scorers: Scorer[];
  builtAt: number;
  /** This process's view of the run's first calls: stops a run whose calls all fail the same fatal way. */
  failFast: FailFast;
  /** Whether this process has asked to stop the run already (it asks once). */
  stopTried: boolean;
  /** Pages of the dataset's items by seq, most recently used last (items run in about seq order). */
  pages: Map<number, Promise<Map<number, { itemId: string; item: DatasetItem }>>>;
}

/** A run's status as last read, shared by the item jobs that start within STATUS_MAX_AGE_MS of the read. */
interface StatusRead {
  startedAt: number;
  status: Promise<RunStatus | undefined>;
}

const PAGE = 1000;
/** While a provider queue holds `runs.fanOutAhead` waiting items, a run's fan-out looks again this much later. */
const FAN_OUT_RECHECK_MS = 200;
const MAX_RATE_LIMIT_PAUSES = 12;
/** Dataset items are read by the page (of seq) and kept for the next jobs; a few pages per run and process. */
const ITEM_PAGE = 250;
const ITEM_PAGES_KEPT = 4;
/**
 * Item jobs that start within this long of a status read share it instead of reading the run row each:
 * a job started so soon after a cancel may still call the model (as one whose read raced the cancel
 * always could); the broadcast aborts calls in flight and the write refuses its row either way.
 */
const STATUS_MAX_AGE_MS = 25;
/** A plan (with its item pages) no job of this process used for this long is dropped: its run ran elsewhere. */
const PLAN_IDLE_MS = 60_000;
const system = { actor: SYSTEM_ACTOR, requestId: null };

/**
 * Executes runs on the workers (and in the embedded process). The database is the truth: one result row
 * per (run, item, epoch), inserted or ignored; the run's counters move only when a row was really
 * inserted, in the same transaction; completion is a compare-and-set that enqueues aggregation once;
 * aggregates are derived from the rows. The reconciler repairs what crashes and lost queues leave.
 */
@Injectable()
export class RunExecutionService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RunExecutionService.name);
  private readonly plans = new Map<string, Promise<RunPlan | null>>();
  private readonly statuses = new Map<string, StatusRead>();
  private readonly planUsedAt = new Map<string, number>();
  private lastPlanSweep = 0;
  /** Result rows of this process's item jobs, group-committed (see RunResultWriter). */
  private readonly writer: RunResultWriter;
  /** Repairs stuck runs; gives up on one after its bounded repairs without progress. */
  private readonly reconciler: RunReconciler;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly progress: RunProgressRepository,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() private readonly config: GatehouseConfig,
    private readonly connections: ConnectionsService,
    private readonly network: PlatformNetwork,
  ) {
    this.writer = new RunResultWriter(uow);
    this.reconciler = new RunReconciler(
      uow,
      progress,
      audit,
      metrics,
      config.runs,
      {
        startRun: (runId) => this.startRun(runId),
        aggregate: (runId) => this.aggregate(runId),
        enqueueMissing: (run) => this.enqueueMissing(run),
      },
      this.logger,
    );
  }

  /** After the consumer has stopped (in-flight jobs settled), before the database closes: write what waits. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }

  /** One handler per job name (the type makes a missing or extra one a compile error). */
  handlers(): JobHandlers {
    return {
      [JobName.StartRun]: (data) => this.startRun(data.runId),
      [JobName.FanOutRun]: (data) => this.continueFanOut(data),
      [JobName.ExecuteItem]: (data, context) => this.executeItem(data, context),
      [JobName.AggregateRun]: (data) => this.aggregate(data.runId),
      [JobName.ReconcileRuns]: () => this.reconcile(),
    };
  }

  /** queued → running, check the dataset still hashes as frozen, enqueue every item without a result. */
  async startRun(runId: string): Promise<void> {
    const run = await this.progress.find(runId);
    if (!run || (run.status !== 'queued' && run.status !== 'running')) {
      return;
    }
    if (run.status === 'queued') {
      if (!(await this.progress.start(runId))) {
        return this.startRun(runId);
      }
      const problem =
        (await this.verifyDataset(run)) ??
        (await this.verifyCassettes(run)) ??
        (await this.planProblem(runId));
      if (problem) {
        await this.fail(run, problem);
        return;
      }
    }
    await this.fanOut(run, 0, 0);
  }

  /**
   * Why the run's target or scorers cannot be built (a connection gone, a module not registered, a secret
   * sealed under another key), or null. Such a run fails at once with the reason instead of sending every
   * item to the queue to fail there. Other errors (the database away) are thrown: the job is retried.
   */
  private async planProblem(runId: string): Promise<string | null> {
    try {
      await this.plan(runId);
      return null;
    } catch (error) {
      if (error instanceof EvalsError) {
        return `The run cannot start: ${error.message}.`;
      }
      throw error;
    }
  }

  /** Re-computes the dataset's sha256 from the stored items: edited rows make the run fail, not lie. */
  private async verifyDataset(run: WorkerRun): Promise<string | null> {
    const manifest = run.manifest;
    const dataset = await this.progress.datasetOf(run);
    const hash = createHash('sha256');
    for (let seq = 0; seq < dataset.itemCount; seq += PAGE) {
      const rows = await this.progress.items(dataset.id, seq, PAGE);
      rows.forEach((row) => hash.update(`${canonicalJson(row.item)}\n`));
    }
    const actual = hash.digest('hex');
    return actual === manifest.dataset.hash
      ? null
      : `The stored items of ${dataset.name}@${dataset.version} hash to ${actual}, not ${manifest.dataset.hash}: the dataset was changed after it was frozen.`;
  }

  /** A replay run replays exactly the cassettes it pinned: each must be on this server as pinned. */
  private async verifyCassettes(run: WorkerRun): Promise<string | null> {
    const target = targetConfigOf(run);
    if (target.type !== 'replay') {
      return null;
    }
    const pinned = run.manifest.cassettes ?? {};
    if (!pinned[target.cassette]) {
      return `The run pinned no content for cassette ${target.cassette}: start a new run.`;
    }
    for (const [name, sha256] of Object.entries(pinned)) {
      if (!(await this.progress.cassetteExists(name, sha256))) {
        return `Cassette ${name} with sha256 ${sha256}, which this run pinned, is not on this server: upload that content again with gatehouse push.`;
      }
    }
    return null;
  }

  private async fail(run: Pick<WorkerRun, 'id'>, error: string): Promise<void> {
    await this.uow.write(async (m) => {
      if (await this.progress.fail(m, run.id, error)) {
        await this.audit.record(m, system, {
          action: 'run.failed',
          subjectType: 'evaluation_run',
          subjectId: run.id,
          after: { status: 'failed' },
          reason: error,
        });
      }
    });
  }

  /**
   * Enqueues the run's items a page at a time while fewer than `runs.fanOutAhead` item jobs wait in the
   * provider's queue, then leaves a delayed FanOutRun job to go on from there. Redis holds a window of a
   * run, not all of it (a million-item run is not a million jobs at once), a run started later on the
   * same provider gets its jobs in behind a window rather than behind the whole earlier run, and the
   * workers' first items do not compete with one burst of enqueueing. Every step is idempotent: items
   * with a result are skipped and job ids are deterministic, so a step delivered twice adds nothing, and
   * a continuation lost with Redis leaves a run without progress, which the reconciler repairs.
   */
  private async fanOut(run: WorkerRun, fromSeq: number, round: number): Promise<void> {
    const dataset = await this.datasetOf(run);
    const ahead = this.config.runs.fanOutAhead;
    const page = Math.min(PAGE, ahead);
    let seq = fromSeq;
    while (seq < dataset.itemCount && (await this.queue.waitingItems(run.provider)) < ahead) {
      await this.enqueuePage(run, dataset.id, seq, page);
      seq += page;
    }
    if (seq < dataset.itemCount) {
      const next = { runId: run.id, fromSeq: seq, round: seq === fromSeq ? round + 1 : 0 };
      await this.queue.add(JobName.FanOutRun, next, jobIds.fanOut(next.runId, next.fromSeq, next.round), {
        delayMs: FAN_OUT_RECHECK_MS,
      });
    }
  }

  private async continueFanOut(data: JobPayloads[JobName.FanOutRun]): Promise<void> {
    const run = await this.progress.find(data.runId);
    if (run?.status === 'running') {
      await this.fanOut(run, data.fromSeq, data.round);
    }
  }

  /**
   * Adds a job for every (item, epoch) with no result yet, every page at once (the reconciler's repair);
   * jobs that had failed for good are put back with fresh attempts. Says what it did.
   */
  async enqueueMissing(run: WorkerRun): Promise<EnqueueReport> {
    const dataset = await this.datasetOf(run);
    const total: EnqueueReport = { jobs: 0, retriedFailed: 0, rerunCompleted: 0, failureReasons: [] };
    for (let seq = 0; seq < dataset.itemCount; seq += PAGE) {
      const page = await this.enqueuePage(run, dataset.id, seq, PAGE);
      total.jobs += page.jobs;
      total.retriedFailed += page.retriedFailed;
      total.rerunCompleted += page.rerunCompleted;
      total.failureReasons = [...new Set([...total.failureReasons, ...page.failureReasons])].slice(0, 3);
    }
    return total;
  }

  private datasetOf(run: WorkerRun): Promise<DatasetEntity> {
    return this.progress.datasetOf(run);
  }

  /** Adds a job for every (item, epoch) of `size` items from `seq` with no result yet; deterministic job ids. */
  private async enqueuePage(
    run: WorkerRun,
    datasetId: string,
    seq: number,
    size: number,
  ): Promise<EnqueueReport> {
    const missing = await this.progress.missingResults(run, datasetId, seq, size);
    const jobs: ItemJob[] = missing.map(({ itemId, seq: itemSeq, epoch }) => ({
      jobId: jobIds.item(run.id, itemSeq, epoch),
      data: { runId: run.id, itemId, seq: itemSeq, epoch },
    }));
    return jobs.length > 0
      ? this.queue.addItems(run.provider, jobs)
      : { jobs: 0, retriedFailed: 0, rerunCompleted: 0, failureReasons: [] };
  }

  /** Executes one item: model call, scorers, one idempotent write. Records nothing once the run is cancelled. */
  async executeItem(data: JobPayloads[JobName.ExecuteItem], context: JobContext): Promise<void> {
    const started = Date.now();
    const plan = await this.plan(data.runId).catch(async (error: unknown) => {
      if (!(error instanceof EvalsError)) {
        throw error;
      }
      // Built on this worker for the first time (or the connection changed since the start): no item of
      // the run can succeed, so the run fails with the reason rather than every job failing in turn.
      await this.fail({ id: data.runId }, `The run cannot go on: ${error.message}.`);
      this.forget(data.runId);
      return null;
    });
    if (!plan || context.signal.aborted) {
      return;
    }
    const item = await this.datasetItem(plan, data.itemId, data.seq);
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
      completed = await this.record(data, record, queueWaitMs, context.worker);
    } catch (error) {
      if (error instanceof RunNotRunning) {
        this.forget(data.runId); // the next jobs of the run need not wait for a read to learn it
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
      const target = this.plans.has(runId)
        ? ((await this.plans.get(runId))?.itemPlan.target.description ?? '')
        : '';
      await this.fail(
        run,
        `The run ${reason[0].toLowerCase()}${reason.slice(1)}${target ? ` (${target})` : ''}.`,
      );
      this.forget(runId);
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
  private async record(
    data: JobPayloads[JobName.ExecuteItem],
    record: ItemRecord,
    queueWaitMs: number,
    worker: string,
  ): Promise<boolean> {
    const anyFailed = Object.values(record.scores).some((s) => s.passed === false);
    const row = {
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
    };
    const { completedRun } = await this.writer.submit(row);
    if (completedRun) {
      this.forget(data.runId);
    }
    return completedRun;
  }

  private plan(runId: string): Promise<RunPlan | null> {
    const now = Date.now();
    if (now - this.lastPlanSweep > PLAN_IDLE_MS) {
      this.lastPlanSweep = now;
      for (const [id, at] of this.planUsedAt) {
        if (now - at > PLAN_IDLE_MS) {
          this.forget(id);
        }
      }
    }
    this.planUsedAt.set(runId, now);
    let plan = this.plans.get(runId);
    if (!plan) {
      plan = this.buildPlan(runId).catch((error: unknown) => {
        this.plans.delete(runId);
        throw error;
      });
      this.plans.set(runId, plan);
    }
    return plan.then(async (built) => {
      // A plan is reused while its run is running; a cancelled or finished run gets no more calls.
      if ((await this.status(runId)) !== 'running') {
        this.forget(runId);
        return null;
      }
      return built;
    });
  }

  /** The run's status, read at most STATUS_MAX_AGE_MS before this call (one read for the jobs starting meanwhile). */
  private status(runId: string): Promise<RunStatus | undefined> {
    const now = Date.now();
    const last = this.statuses.get(runId);
    if (last && now - last.startedAt <= STATUS_MAX_AGE_MS) {
      return last.status;
    }
    const read: StatusRead = {
      startedAt: now,
      status: this.progress.status(runId),
    };
    read.status.catch(() => {
      if (this.statuses.get(runId) === read) {
        this.statuses.delete(runId);
      }
    });
    this.statuses.set(runId, read);
    return read.status;
  }

  /** The run is no longer running here: drop its plan (and item pages) and its last status read. */
  private forget(runId: string): void {
    this.plans.delete(runId);
    this.statuses.delete(runId);
    this.planUsedAt.delete(runId);
  }

  /** A dataset item, from its page (read once per page and process), or by id if seq and id disagree. */
  private async datasetItem(plan: RunPlan, itemId: string, seq: number): Promise<DatasetItem | null> {
    const number = Math.floor(seq / ITEM_PAGE);
    let page = plan.pages.get(number);
    if (page) {
      plan.pages.delete(number); // most recently used last
    } else {
      const from = number * ITEM_PAGE;
      page = this.progress
        .items(plan.datasetId, from, ITEM_PAGE)
        .then((rows) => new Map(rows.map((r) => [r.seq, { itemId: r.itemId, item: datasetItemOf(r) }])));
      page.catch(() => plan.pages.get(number) === page && plan.pages.delete(number));
      if (plan.pages.size >= ITEM_PAGES_KEPT) {
        plan.pages.delete(plan.pages.keys().next().value as number);
      }
    }
    plan.pages.set(number, page);
    const found = (await page).get(seq);
    if (found?.itemId === itemId) {
      return found.item;
    }
    const row = await this.progress.item(plan.datasetId, itemId);
    return row ? datasetItemOf(row) : null;
  }

  private async buildPlan(runId: string): Promise<RunPlan | null> {
    const loaded = await this.progress.findWithSuite(runId);
    if (!loaded) {
      return null;
    }
    const { run, suite } = loaded;
    const definition = suiteDefinitionOf(suite);
    const target = targetConfigOf(run);
    const pinned = run.manifest.cassettes;
    // The server's environment, network and filesystem are not the suite's: endpoints and secrets come
    // from the admin's connections, modules from the operator's folder, calls through the egress policy.
    const targetContext: TargetContext = {
      env: {},
      baseDir: this.config.runs.evalsDir,
      cassetteDir: `${this.config.runs.evalsDir}/cassettes`,
      loadCassette: (name: string) => this.cassette(name, pinned[name]),
      platform: {
        connections: await this.connections.resolve(
          connectionsUsed(target, definition.scorers).map((use) => use.name),
        ),
        modules: this.network.modules,
      },
      fetch: this.network.fetch,
      maxResponseBytes: this.network.maxResponseBytes,
    };
    const retryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      timeoutMs: definition.limits.timeoutMs,
      onRateLimit: 'raise' as const,
    };
    const builtTarget = await createTarget(target, targetContext);
    const scorers = await createScorers(definition.scorers, {
      targetContext,
      targetFingerprint: modelUnderTest(target),
      retryPolicy,
      judgeRecording: judgeRecordingFor(target, targetContext.cassetteDir, false),
    });
    return {
      runId,
      datasetId: suite.datasetId,
      provider: run.provider,
      scorers,
      builtAt: Date.now(),
      failFast: new FailFast({ after: this.config.runs.failFastAfter, total: run.total }),
      stopTried: false,
      pages: new Map(),
      itemPlan: {
        target: builtTarget,
        scorers,
        prompt: definition.prompt,
        retryPolicy,
        maxTokens: definition.limits.maxTokens,
        groupBy: definition.groupBy,
        pricing: definition.pricing,
        defaultModel: String(modelUnderTest(target).model ?? ''),
      },
    };
  }

  /**
   * A cassette exactly as the run pinned it (name and sha256). Never "the newest by that name": content
   * the run did not pin, or pinned content that is not on this server, fails the run with that reason.
   */
  private async cassette(name: string, sha256: string | undefined): Promise<string> {
    if (!sha256) {
      throw new EvalsError(
        `cassette ${name} is not pinned by this run (it was not on this server, or belongs to another team, when the run started): upload it with \`gatehouse push\` and start a new run`,
      );
    }
    const content = await this.progress.cassette(name, sha256);
    if (content === null) {
      throw new EvalsError(
        `cassette ${name} with sha256 ${sha256}, which this run pinned, is not on this server: upload that content again with \`gatehouse push\``,
      );
    }
    return content;
  }

  /** Folds the rows (in dataset order) into the report; completes the run (or keeps it cancelled, partial). */
  async aggregate(runId: string): Promise<void> {
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
        aggregator.add(toRecord(row), items.get(row.itemId), row.seq);
      }
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
    const partial = run.status === 'cancelled';
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
    await this.uow.write(async (m) => {
      const saved = await this.progress.saveReport(m, runId, partial ? 'cancelled' : 'aggregating', {
        report,
        outcome: partial ? 'cancelled' : outcome,
        manifest: { ...manifest, completedAt: now.toISOString() },
        at: now,
      });
      if (saved) {
        await this.audit.record(m, system, {
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
    this.forget(runId);
  }

  /**
   * Repairs what crashes, outages and lost queues leave (see RunReconciler): a stuck run is repaired, or
   * failed with its reason after `runs.reconcileMaxAttempts` repairs without progress.
   */
  reconcile(): Promise<void> {
    return this.reconciler.reconcile();
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
