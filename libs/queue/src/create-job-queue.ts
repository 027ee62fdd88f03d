import { type QueueConfig } from '@gatehouse/config';
import { BullMqJobQueue } from './bullmq-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { type JobConsumer, type JobProducer, type QueueObserver, SILENT_OBSERVER } from './job-queue';

/** The queue the configuration selects: BullMQ with REDIS_URL, the in-process queue without. */
export function createJobQueue(
  config: QueueConfig,
  observer: QueueObserver = SILENT_OBSERVER,
): JobProducer & JobConsumer {
  return config.kind === 'redis'
    ? new BullMqJobQueue(config.url.reveal(), config.prefix, undefined, observer)
    : new InProcessJobQueue(observer);
}
