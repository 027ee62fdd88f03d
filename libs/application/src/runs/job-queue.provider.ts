import { type GatehouseConfig } from '@gatehouse/config';
import { createJobQueue, type JobConsumer, type JobProducer } from '@gatehouse/queue';
import { Inject, type Provider } from '@nestjs/common';
import { GATEHOUSE_CONFIG } from '../gatehouse-config.module';

export const JOB_QUEUE = Symbol('JOB_QUEUE');
export type JobQueue = JobProducer & JobConsumer;
export const InjectJobQueue = () => Inject(JOB_QUEUE);

/** BullMQ with REDIS_URL, else the in-process queue; producers everywhere, a consumer only where started. */
export const jobQueueProvider: Provider = {
  provide: JOB_QUEUE,
  inject: [GATEHOUSE_CONFIG],
  useFactory: (config: GatehouseConfig): JobQueue => createJobQueue(config.queue),
};
