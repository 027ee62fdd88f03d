import { type GatehouseConfig } from '@gatehouse/config';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { InjectConfig } from '../gatehouse-config.module';
import { MetricsService } from '../metrics/metrics.service';
import { InjectJobQueue, type JobQueue } from './job-queue.provider';
import { RunJobs } from './execution/run-jobs';

/** Whether this process consumes jobs: the worker always, the API only with the in-process queue. */
export const CONSUME_JOBS = Symbol('CONSUME_JOBS');

/**
 * Starts the job consumer once the application is up and stops it first on shutdown (in-flight jobs
 * go back to the queue before the database closes); closes the queue connections last.
 */
@Injectable()
export class JobRunnerService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunnerService.name);
  private consuming = false;

  constructor(
    @Inject(CONSUME_JOBS) private readonly consume: boolean,
    @InjectJobQueue() private readonly queue: JobQueue,
    private readonly jobs: RunJobs,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.onScrape(async () => {
      const counts = await this.queue.counts();
      this.metrics.queueDepth.reset();
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, value] of Object.entries(states)) {
          this.metrics.queueDepth.set({ queue, state }, value);
        }
      }
    });
    if (!this.consume) {
      return;
    }
    const { runs } = this.config;
    await this.queue.start(this.jobs.handlers(), {
      itemConcurrency: runs.itemConcurrency,
      controlConcurrency: 4,
      reconcileEveryMs: runs.reconcileEveryMs,
      watchEveryMs: this.config.live.watchEveryMs,
      lockMs: runs.lockMs,
      maxItemsPerMinute: runs.maxItemsPerMinute,
      worker: `${hostname()}-${process.pid}`,
    });
    this.consuming = true;
    this.logger.log(
      `Consuming jobs from the ${this.config.queue.kind} queue (${runs.itemConcurrency} items in flight per provider).`,
    );
  }

  async onModuleDestroy(): Promise<void> {
    if (this.consuming) {
      this.consuming = false;
      await this.queue.stop();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
