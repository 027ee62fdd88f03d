import { ApplicationModule, ItemExecutorService, RunStartService } from '@gatehouse/application';
import { loadConfig } from '@gatehouse/config';
import { type JobContext } from '@gatehouse/queue';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Platform } from './platform';

/**
 * The application services in this test process, on the platform's database and queue (as a producer
 * only: it consumes no jobs), so a test can deliver a job to the run services by hand.
 */
export class ExecutionContext {
  private constructor(
    private readonly app: INestApplicationContext,
    /** The start job, by the run's id (the queue hands RunStartService the job's data). */
    readonly starts: { startRun(runId: string): Promise<void> },
    readonly items: ItemExecutorService,
  ) {}

  static async open(platform: Platform): Promise<ExecutionContext> {
    const env = { ...platform.baseEnv, GATEHOUSE_AUTO_MIGRATE: 'false', LOG_LEVEL: 'silent' };
    const config = loadConfig(env);
    const app = await NestFactory.createApplicationContext(ApplicationModule.forRoot(config), {
      logger: false,
      abortOnError: false,
    });
    await app.init();
    const start = app.get(RunStartService);
    const starts = { startRun: (runId: string) => start.startRun({ runId }) };
    return new ExecutionContext(app, starts, app.get(ItemExecutorService));
  }

  /** What a worker would pass for the `attempt`-th delivery of a job. */
  static delivery(attempt: number): JobContext {
    return {
      signal: new AbortController().signal,
      attemptsStarted: attempt,
      enqueuedAt: Date.now(),
      worker: `in-test-delivery-${attempt}`,
    };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
