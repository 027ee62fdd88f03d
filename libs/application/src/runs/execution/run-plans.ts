import { type GatehouseConfig } from '@gatehouse/config';
import { type RunStatus } from '@gatehouse/domain';
import {
  connectionsUsed,
  createScorers,
  createTarget,
  type DatasetItem,
  datasetItemOf,
  DEFAULT_RETRY_POLICY,
  EvalsError,
  FailFast,
  type ItemPlan,
  judgeRecordingFor,
  modelUnderTest,
  type Scorer,
  suiteDefinitionOf,
  targetConfigOf,
  type TargetContext,
} from '@gatehouse/evals';
import { RunProgressRepository, type SuiteEntity, type WorkerRun } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { ConnectionsService } from '../../connections/connections.service';
import { PlatformNetwork } from '../../connections/platform-network';
import { InjectConfig } from '../../gatehouse-config.module';

/** Everything a worker needs to execute a run's items, built once per run and process. */
export interface RunPlan {
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

/**
 * This process's caches for the runs it executes: each run's plan (target, scorers, limits, built once),
 * its status as last read, and pages of its dataset's items. A run that stops running here is forgotten.
 */
@Injectable()
export class RunPlans {
  private readonly plans = new Map<string, Promise<RunPlan | null>>();
  private readonly statuses = new Map<string, StatusRead>();
  private readonly planUsedAt = new Map<string, number>();
  private lastPlanSweep = 0;

  constructor(
    private readonly progress: RunProgressRepository,
    @InjectConfig() private readonly config: GatehouseConfig,
    private readonly connections: ConnectionsService,
    private readonly network: PlatformNetwork,
  ) {}

  /** The run's plan while it is running (built on first use), else null. Throws EvalsError when it cannot be built. */
  plan(runId: string): Promise<RunPlan | null> {
    return this.cached(runId, () => this.loadPlan(runId)).then(async (built) => {
      // A plan is reused while its run is running; a cancelled or finished run gets no more calls.
      if ((await this.status(runId)) !== 'running') {
        this.forget(runId);
        return null;
      }
      return built;
    });
  }

  /**
   * Why the run's target or scorers cannot be built (a connection gone, a module not registered, a secret
   * sealed under another key), or null. Such a run fails at once with the reason instead of sending every
   * item to the queue to fail there. Other errors (the database away) are thrown: the job is retried.
   * The start job calls it with the run it has just moved to running and its suite: the plan is built
   * from them (no read) and kept for the item jobs this process runs.
   */
  async problem(run: WorkerRun, suite: SuiteEntity): Promise<string | null> {
    try {
      await this.cached(run.id, () => this.buildPlan(run, suite));
      return null;
    } catch (error) {
      if (error instanceof EvalsError) {
        return `The run cannot start: ${error.message}.`;
      }
      throw error;
    }
  }

  /** The run's cached plan, built with `build` on first use (a failed build is not kept); drops idle plans. */
  private cached(runId: string, build: () => Promise<RunPlan | null>): Promise<RunPlan | null> {
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
      plan = build().catch((error: unknown) => {
        this.plans.delete(runId);
        throw error;
      });
      this.plans.set(runId, plan);
    }
    return plan;
  }

  /** What the run's target calls, if this process has built its plan; else ''. */
  async targetDescription(runId: string): Promise<string> {
    return this.plans.has(runId) ? ((await this.plans.get(runId))?.itemPlan.target.description ?? '') : '';
  }

  /** The run's status, read at most STATUS_MAX_AGE_MS before this call (one read for the jobs starting meanwhile). */
  private status(runId: string): Promise<RunStatus | undefined> {
    const now = Date.now();
    const last = this.statuses.get(runId);
    if (last && now - last.startedAt <= STATUS_MAX_AGE_MS) {
      return last.status;
    }
    const read: StatusRead = { startedAt: now, status: this.progress.status(runId) };
    read.status.catch(() => {
      if (this.statuses.get(runId) === read) {
        this.statuses.delete(runId);
      }
    });
    this.statuses.set(runId, read);
    return read.status;
  }

  /** The run is no longer running here: drop its plan (and item pages) and its last status read. */
  forget(runId: string): void {
    this.plans.delete(runId);
    this.statuses.delete(runId);
    this.planUsedAt.delete(runId);
  }

  /** A dataset item, from its page (read once per page and process), or by id if seq and id disagree. */
  async datasetItem(plan: RunPlan, itemId: string, seq: number): Promise<DatasetItem | null> {
    const number = Math.floor(seq / ITEM_PAGE);
    let page = plan.pages.get(number);
    if (page) {
      plan.pages.delete(number); // most recently used last
    } else {
      page = this.progress
        .items(plan.datasetId, number * ITEM_PAGE, ITEM_PAGE)
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

  /** An item job's plan: the run and its suite read, then built (null when either is gone). */
  private async loadPlan(runId: string): Promise<RunPlan | null> {
    const loaded = await this.progress.findWithSuite(runId);
    return loaded && this.buildPlan(loaded.run, loaded.suite);
  }

  private async buildPlan(run: WorkerRun, suite: SuiteEntity): Promise<RunPlan> {
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
      runId: run.id,
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
}
