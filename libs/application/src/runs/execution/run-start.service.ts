import { type GatehouseConfig } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/domain';
import { targetConfigOf } from '@gatehouse/evals';
import { type DatasetEntity, RunProgressRepository, type WorkerRun } from '@gatehouse/persistence';
import { type EnqueueReport, type ItemJob, JobName, type JobPayloads, jobIds } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectConfig } from '../../gatehouse-config.module';
import { InjectJobQueue, type JobQueue } from '../job-queue.provider';
import { RunFailureService } from './run-failure.service';
import { RunPlans } from './run-plans';

/** Dataset items are hashed and enqueued this many at a time. */
const PAGE = 1000;
/** While a provider queue holds `runs.fanOutAhead` waiting items, a run's fan-out looks again this much later. */
const FAN_OUT_RECHECK_MS = 200;

/**
 * Starts runs on the workers: queued → running, the checks that make a run fail at once rather than item by
 * item (the dataset as frozen, the pinned cassettes, a plan that can be built), and the fan-out of its items
 * to the provider's queue. Also puts back what has no result, for the reconciler.
 */
@Injectable()
export class RunStartService {
  constructor(
    private readonly progress: RunProgressRepository,
    private readonly plans: RunPlans,
    private readonly failures: RunFailureService,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /**
   * queued → running, check the dataset still hashes as frozen, enqueue every item without a result. The
   * run, its suite and its dataset are read once and handed down; only a lost compare-and-set (another
   * worker started the run, or it was cancelled, meanwhile) reads the run again, to see which.
   */
  async startRun({ runId }: JobPayloads[JobName.StartRun]): Promise<void> {
    const loaded = await this.progress.startContext(runId);
    if (!loaded || (loaded.run.status !== 'queued' && loaded.run.status !== 'running')) {
      return;
    }
    const { run, suite, dataset } = loaded;
    if (run.status === 'queued') {
      if (!(await this.progress.start(runId))) {
        return this.startRun({ runId });
      }
      const problem =
        (await this.verifyDataset(run, dataset)) ??
        (await this.verifyCassettes(run)) ??
        (await this.plans.problem(run, suite));
      if (problem) {
        await this.failures.fail(run.id, problem);
        return;
      }
    }
    await this.fanOut(run, dataset, 0, 0);
  }

  /**
   * The next step of a run's fan-out (a FanOutRun job), while the run is running: each round reads the
   * run again, so a cancelled or failed run stops fanning out.
   */
  async continueFanOut(data: JobPayloads[JobName.FanOutRun]): Promise<void> {
    const loaded = await this.progress.startContext(data.runId);
    if (loaded?.run.status === 'running') {
      await this.fanOut(loaded.run, loaded.dataset, data.fromSeq, data.round);
    }
  }

  /**
   * Adds a job for every (item, epoch) with no result yet, every page at once (the reconciler's repair);
   * jobs that had failed for good are put back with fresh attempts. Says what it did.
   */
  async enqueueMissing(run: WorkerRun): Promise<EnqueueReport> {
    const dataset = await this.progress.datasetOf(run);
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

  /** Re-computes the dataset's sha256 from the stored items: edited rows make the run fail, not lie. */
  private async verifyDataset(run: WorkerRun, dataset: DatasetEntity): Promise<string | null> {
    const manifest = run.manifest;
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

  /**
   * Enqueues the run's items a page at a time while fewer than `runs.fanOutAhead` item jobs wait in the
   * provider's queue, then leaves a delayed FanOutRun job to go on from there. Redis holds a window of a
   * run, not all of it (a million-item run is not a million jobs at once), a run started later on the
   * same provider gets its jobs in behind a window rather than behind the whole earlier run, and the
   * workers' first items do not compete with one burst of enqueueing. Every step is idempotent: items
   * with a result are skipped and job ids are deterministic, so a step delivered twice adds nothing, and
   * a continuation lost with Redis leaves a run without progress, which the reconciler repairs.
   */
  private async fanOut(
    run: WorkerRun,
    dataset: DatasetEntity,
    fromSeq: number,
    round: number,
  ): Promise<void> {
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
}
