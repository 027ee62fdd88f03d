import { In, IsNull, LessThanOrEqual, Not } from 'typeorm';
import {
  AiUseCaseEntity,
  type DeliveryStatus,
  EvaluationRunEntity,
  NotificationDeliveryEntity,
  NotificationEventEntity,
  UserEntity,
  type WebhookEndpointEntity,
} from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** A delivery with its event and, for webhooks, its endpoint. */
export interface DeliveryWithEvent {
  delivery: NotificationDeliveryEntity;
  event: NotificationEventEntity;
  endpoint: WebhookEndpointEntity | null;
}

/**
 * Notification events and their deliveries: the transactional outbox. Events and deliveries are inserted
 * in the transaction of the change that caused them, idempotently (the event id and the delivery's
 * (event, channel, target) are unique); a delivery moves pending → retrying → delivered | failed by
 * compare-and-set on its attempt count, so two jobs for the same attempt send once.
 */
export class NotificationRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Inserts the event unless one with its id exists; true when this call inserted it. */
  async insertEvent(tx: Tx, event: NotificationEventEntity): Promise<boolean> {
    const m = managerOf(tx);
    if (await m.existsBy(NotificationEventEntity, { id: event.id })) {
      return false;
    }
    await m.createQueryBuilder().insert().into(NotificationEventEntity).values(event).orIgnore().execute();
    return true;
  }

  /** Inserts the deliveries an event has not got yet (same event, channel and target: skipped). */
  async insertDeliveries(tx: Tx, deliveries: NotificationDeliveryEntity[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += 200) {
      await managerOf(tx)
        .createQueryBuilder()
        .insert()
        .into(NotificationDeliveryEntity)
        .values(deliveries.slice(i, i + 200))
        .orIgnore()
        .execute();
    }
  }

  /** The event's deliveries still to send. */
  undelivered(tx: Tx, eventId: string): Promise<NotificationDeliveryEntity[]> {
    return managerOf(tx).find(NotificationDeliveryEntity, {
      where: { eventId, status: In(['pending', 'retrying']) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async withEvent(tx: Tx, id: string): Promise<DeliveryWithEvent | null> {
    const delivery = await managerOf(tx).findOne(NotificationDeliveryEntity, {
      where: { id },
      relations: { event: true, endpoint: true },
    });
    if (!delivery?.event) {
      return null;
    }
    const { event, endpoint, ...columns } = delivery;
    return {
      delivery: Object.assign(new NotificationDeliveryEntity(), columns),
      event,
      endpoint: endpoint ?? null,
    };
  }

  findDelivery(tx: Tx, id: string): Promise<NotificationDeliveryEntity | null> {
    return managerOf(tx).findOneBy(NotificationDeliveryEntity, { id });
  }

  /**
   * Takes attempt `attempt + 1` of a pending or retrying delivery whose count is still `attempt`: true for
   * the one caller that moved it. `leaseUntil` is when a sweep may try again if this attempt never reports.
   */
  async claim(tx: Tx, id: string, attempt: number, leaseUntil: Date, now: Date): Promise<boolean> {
    const { affected } = await managerOf(tx).update(
      NotificationDeliveryEntity,
      { id, attempts: attempt, status: In(['pending', 'retrying']) },
      { attempts: attempt + 1, nextAttemptAt: leaseUntil, updatedAt: now },
    );
    return (affected ?? 0) === 1;
  }

  /** Records the outcome of attempt `attempts` (only if no later attempt or replay moved the delivery). */
  async settle(
    tx: Tx,
    id: string,
    attempts: number,
    outcome:
      | { status: 'delivered' }
      | { status: 'retrying'; error: string; nextAttemptAt: Date }
      | { status: 'failed'; error: string },
    now: Date,
  ): Promise<boolean> {
    const changes: Partial<NotificationDeliveryEntity> =
      outcome.status === 'delivered'
        ? { status: 'delivered', deliveredAt: now, nextAttemptAt: null, lastError: null }
        : outcome.status === 'retrying'
          ? { status: 'retrying', lastError: outcome.error, nextAttemptAt: outcome.nextAttemptAt }
          : { status: 'failed', lastError: outcome.error, nextAttemptAt: null };
    const { affected } = await managerOf(tx).update(
      NotificationDeliveryEntity,
      { id, attempts, status: In(['pending', 'retrying']) },
      { ...changes, updatedAt: now },
    );
    return (affected ?? 0) === 1;
  }

  /** Pending or retrying deliveries whose time has come (lost jobs, crashed senders), oldest first. */
  due(now: Date, limit: number): Promise<NotificationDeliveryEntity[]> {
    return this.uow.read((tx) =>
      managerOf(tx).find(NotificationDeliveryEntity, {
        where: [
          { status: In(['pending', 'retrying']), nextAttemptAt: LessThanOrEqual(now) },
          { status: In(['pending', 'retrying']), nextAttemptAt: IsNull() },
        ],
        order: { updatedAt: 'ASC', id: 'ASC' },
        take: limit,
      }),
    );
  }

  /** Deliveries newest first, optionally of one status, with their events' types. */
  async list(
    tx: Tx,
    filter: { status?: DeliveryStatus; limit: number },
  ): Promise<{ delivery: NotificationDeliveryEntity; type: string }[]> {
    const rows = await managerOf(tx).find(NotificationDeliveryEntity, {
      where: filter.status ? { status: filter.status } : {},
      relations: { event: true },
      order: { updatedAt: 'DESC', id: 'DESC' },
      take: filter.limit,
    });
    return rows.map(({ event, ...delivery }) => ({
      delivery: Object.assign(new NotificationDeliveryEntity(), delivery),
      type: event?.type ?? 'unknown',
    }));
  }

  /** Puts a delivery back to pending with fresh attempts; false when it is pending or retrying already. */
  async replay(tx: Tx, id: string, now: Date): Promise<boolean> {
    const { affected } = await managerOf(tx).update(
      NotificationDeliveryEntity,
      { id, status: In(['failed', 'delivered']) },
      {
        status: 'pending',
        attempts: 0,
        lastError: null,
        nextAttemptAt: now,
        deliveredAt: null,
        updatedAt: now,
      },
    );
    return (affected ?? 0) === 1;
  }

  /** Whether an event with this id was recorded (scans that warn once check before they build one). */
  eventExists(tx: Tx, id: string): Promise<boolean> {
    return managerOf(tx).existsBy(NotificationEventEntity, { id });
  }

  /** The active members of a team who have an e-mail address (whom a team's e-mails go to). */
  teamRecipients(tx: Tx, teamId: string): Promise<UserEntity[]> {
    return managerOf(tx).find(UserEntity, {
      where: { teamId, disabledAt: IsNull(), email: Not(IsNull()) },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  /** A user, if active (e-mails are only sent to active users). */
  activeUser(tx: Tx, id: string): Promise<UserEntity | null> {
    return managerOf(tx).findOneBy(UserEntity, { id, disabledAt: IsNull() });
  }

  /** What a failed run's notification reads: its suite, who started it, their team, and its use case. */
  async runFacts(
    tx: Tx,
    runId: string,
  ): Promise<{
    run: EvaluationRunEntity;
    suite: string;
    starterTeamId: string | null;
    useCase: AiUseCaseEntity | null;
  } | null> {
    const run = await managerOf(tx).findOne(EvaluationRunEntity, {
      where: { id: runId },
      relations: { suite: true },
    });
    if (!run) {
      return null;
    }
    const starter = await managerOf(tx).findOneBy(UserEntity, { id: run.createdBy });
    const useCase = run.aiUseCaseId
      ? await managerOf(tx).findOneBy(AiUseCaseEntity, { id: run.aiUseCaseId })
      : null;
    return {
      run,
      suite: run.suite ? `${run.suite.name}@${run.suite.version}` : run.suiteId,
      starterTeamId: starter?.teamId ?? null,
      useCase,
    };
  }
}
