import { type GatehouseConfig } from '@gatehouse/config';
import { createJobQueue, type JobConsumer, type JobProducer } from '@gatehouse/queue';
import { Inject, type Provider } from '@nestjs/common';
import { GATEHOUSE_CONFIG } from '../gatehouse-config.module';
import { MetricsService } from '../metrics/metrics.service';
import { QueueTelemetry } from './queue-telemetry';

export const JOB_QUEUE = Symbol('JOB_QUEUE');
export type JobQueue = JobProducer & JobConsumer;
export const InjectJobQueue = () => Inject(JOB_QUEUE);

/**
 * BullMQ with REDIS_URL, else the in-process queue; producers everywhere, a consumer only where started.
 * Queue errors, stalled jobs and failed attempts are logged (rate-limited) and counted in /metrics.
 */
export const jobQueueProvider: Provider = {
  provide: JOB_QUEUE,
  inject: [GATEHOUSE_CONFIG, MetricsService],
  useFactory: (config: GatehouseConfig, metrics: MetricsService): JobQueue =>
    createJobQueue(config.queue, new QueueTelemetry(metrics)),
};
