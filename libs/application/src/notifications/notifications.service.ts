import { type GatehouseConfig } from '@gatehouse/config';
import {
  NotificationDeliveryEntity,
  NotificationEventEntity,
  NotificationRepository,
  type Tx,
  UnitOfWork,
  type UserEntity,
  UserRepository,
  WebhookEndpointRepository,
} from '@gatehouse/persistence';
import { JobName, jobIds } from '@gatehouse/queue';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApprovalEligibility } from '../gates/approval-eligibility';
import { InjectConfig } from '../gatehouse-config.module';
import { InjectJobQueue, type JobQueue } from '../runs/job-queue.provider';
import { type NewNotification, runFailed } from './notification-builders';

/** A delivery to hand to the queue once its transaction has committed. */
interface Enqueue {
  id: string;
  attempts: number;
  dueAt: Date | null;
}

/**
 * Records notification events as a transactional outbox. `record` runs inside the transaction of the change
 * that caused the event: it inserts the event (its id is its idempotency key, so recording it twice records
 * it once) and one pending delivery per recipient: an e-mail to each person the event is for who has an
 * address (when the event's Notify template is configured) and a call to each enabled webhook endpoint that
 * takes the event's type about its team. Nothing is sent inside the transaction: `write` enqueues the
 * deliveries once it has committed, and the sweep (`NotificationSweepService`, run with the reconciler)
 * enqueues whatever a crash between commit and enqueue left pending.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger(NotificationsService.name);
  /** Deliveries recorded in transactions opened by `write`, until they commit. */
  private readonly recorded = new WeakMap<Tx, Enqueue[]>();
  private readonly config: GatehouseConfig['notify'];
  private readonly publicUrl: string;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly eligibility: ApprovalEligibility,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() config: GatehouseConfig,
    private readonly users: UserRepository,
  ) {
    this.config = config.notify;
    this.publicUrl = config.http.publicUrl;
  }

  /**
   * `uow.write`, and once the transaction has committed, the deliveries `record` added in it are enqueued.
   * An enqueue that fails is logged and left to the sweep: the rows are the truth.
   */
  async write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    let pending: Enqueue[] = [];
    const result = await this.uow.write((tx) => {
      pending = [];
      this.recorded.set(tx, pending);
      return work(tx);
    });
    await this.enqueueAll(pending);
    return result;
  }

  /**
   * Records the event and its deliveries in `tx` (see the class). Returns how many deliveries it added.
   * Inside a transaction not opened by `write` the deliveries are sent by the next sweep.
   */
  async record(tx: Tx, event: NewNotification): Promise<number> {
    const now = new Date();
    const inserted = await this.notifications.insertEvent(
      tx,
      Object.assign(new NotificationEventEntity(), {
        id: event.id,
        type: event.type,
        teamId: event.teamId,
        aiUseCaseId: event.aiUseCaseId,
        payload: { ...event.payload, link: this.absolute(event.payload.link) },
        createdAt: now,
      }),
    );
    if (!inserted) {
      return 0; // recorded before: its deliveries were worked out then
    }
    const base = { eventId: event.id, status: 'pending' as const, attempts: 0, lastError: null };
    const times = { nextAttemptAt: now, deliveredAt: null, createdAt: now, updatedAt: now };
    const deliveries: NotificationDeliveryEntity[] = [];
    const template = this.config.apiKey ? this.config.templates[event.type] : undefined;
    if (template) {
      for (const user of await this.audience(tx, event)) {
        deliveries.push(
          Object.assign(new NotificationDeliveryEntity(), {
            ...base,
            ...times,
            id: randomUUID(),
            channel: 'email',
            targetKey: user.id,
            endpointId: null,
            recipientUserId: user.id,
            templateId: template,
          }),
        );
      }
    }
    for (const endpoint of await this.endpoints.subscribed(tx, event.type, event.teamId)) {
      deliveries.push(
        Object.assign(new NotificationDeliveryEntity(), {
          ...base,
          ...times,
          id: randomUUID(),
          channel: 'webhook',
          targetKey: endpoint.id,
          endpointId: endpoint.id,
          recipientUserId: null,
          templateId: null,
        }),
      );
    }
    await this.notifications.insertDeliveries(tx, deliveries);
    this.recorded.get(tx)?.push(...deliveries.map((d) => ({ id: d.id, attempts: 0, dueAt: now })));
    return deliveries.length;
  }

  /** Records `run.failed` for a run that has just failed in `tx` (to its use case's team, else its starter's). */
  async recordRunFailed(tx: Tx, runId: string, reason: string): Promise<number> {
    const facts = await this.notifications.runFacts(tx, runId);
    if (!facts) {
      return 0;
    }
    const useCase = facts.useCase;
    return this.record(
      tx,
      runFailed({
        id: runId,
        suite: facts.suite,
        reason,
        startedBy: facts.run.createdBy,
        starterTeamId: facts.starterTeamId,
        useCase: useCase
          ? { id: useCase.id, name: useCase.name, stage: useCase.stage, ownerTeamId: useCase.ownerTeamId }
          : null,
      }),
    );
  }

  /** Hands a delivery's next attempt to the queue, `dueAt` (or at once). */
  async enqueue(delivery: Enqueue): Promise<void> {
    const delayMs = delivery.dueAt ? Math.max(0, delivery.dueAt.getTime() - Date.now()) : 0;
    await this.queue.add(
      JobName.DeliverNotification,
      { deliveryId: delivery.id, attempt: delivery.attempts },
      jobIds.deliverNotification(delivery.id, delivery.attempts, delivery.dueAt?.getTime() ?? 0),
      delayMs > 0 ? { delayMs } : {},
    );
  }

  private async enqueueAll(pending: Enqueue[]): Promise<void> {
    for (const delivery of pending) {
      try {
        await this.enqueue(delivery);
      } catch (error) {
        this.logger.warn(
          `Delivery ${delivery.id} could not be enqueued (the sweep will): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** The people an event's e-mails go to: active, with an address. */
  private async audience(tx: Tx, event: NewNotification): Promise<UserEntity[]> {
    const audience = event.audience;
    let users: UserEntity[];
    switch (audience.kind) {
      case 'eligible_reviewers':
        users = await this.eligibility.eligibleReviewers(tx, audience.evaluation, audience.ownerTeamId);
        break;
      case 'team':
        users = await this.notifications.teamRecipients(tx, audience.teamId);
        break;
      case 'starter': {
        const user = await this.notifications.activeUser(tx, audience.userId);
        users = user ? [user] : [];
        break;
      }
      case 'team_and_reviewers': {
        const reviewers = await this.users.activeWithRole(tx, 'reviewer');
        users = [
          ...(await this.notifications.teamRecipients(tx, audience.teamId)),
          ...reviewers.filter((user) => user.teamId !== audience.teamId),
        ];
        break;
      }
      case 'users': {
        users = [];
        for (const id of new Set(audience.userIds)) {
          const user = await this.notifications.activeUser(tx, id);
          if (user) {
            users.push(user);
          }
        }
        break;
      }
    }
    return users.filter((user) => user.email && user.disabledAt === null);
  }

  private absolute(path: string): string {
    return `${this.publicUrl}${path.startsWith('/') ? path : `/${path}`}`;
  }
}
