import { type GatehouseConfig, loadConfig } from '@gatehouse/config';
import {
  GatePolicyRepository,
  GateRepository,
  NotificationRepository,
  type UnitOfWork,
  UserRepository,
  WebhookEndpointRepository,
} from '@gatehouse/persistence';
import { InProcessJobQueue, type JobProducer } from '@gatehouse/queue';
import { ApprovalEligibility } from '../gates/approval-eligibility';
import { type JobQueue } from '../runs/job-queue.provider';
import { NotificationsService } from './notifications.service';

/**
 * The outbox outside Nest, its repositories built on `uow`: for services made by hand (tests of one
 * service). Without a queue, deliveries go to an in-process queue nobody consumes: they stay pending.
 */
export function notificationsServiceOn(
  uow: UnitOfWork,
  queue: JobProducer = new InProcessJobQueue(),
  config: GatehouseConfig = loadConfig({}),
): NotificationsService {
  return new NotificationsService(
    uow,
    new NotificationRepository(uow),
    new WebhookEndpointRepository(uow),
    new ApprovalEligibility(new GateRepository(uow), new GatePolicyRepository(uow), new UserRepository(uow)),
    queue as JobQueue,
    config,
    new UserRepository(uow),
  );
}
