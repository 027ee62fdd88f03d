import { backoffDelayMs, type GatehouseConfig } from '@gatehouse/config';
import {
  type NotificationEventEntity,
  NotificationRepository,
  UnitOfWork,
  type UserEntity,
  UserRepository,
} from '@gatehouse/persistence';
import { type JobContext, type JobPayloads, type JobName } from '@gatehouse/queue';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PlatformNetwork } from '../connections/platform-network';
import { InjectConfig } from '../gatehouse-config.module';
import { MetricsService } from '../metrics/metrics.service';
import { personalisation } from './notification-builders';
import { NotificationsService } from './notifications.service';
import { NotifyEmailSender } from './notify-email-sender';
import { type AttemptOutcome, sendWebhook } from './webhook-sender';
import { WebhookSecrets } from './webhook-secrets';

/**
 * Sends one delivery (the `notification.deliver` job). The attempt is taken by compare-and-set on the
 * delivery's attempt count (two jobs for the same attempt, from a re-enqueue or a sweep, send once), with
 * a lease: `next_attempt_at` moves past the call's time-out, so a sender that dies mid-call is retried by
 * the sweep. Then the e-mail or webhook goes out and the outcome is recorded: delivered; or retrying, with
 * the next attempt after an exponential backoff with jitter (a delayed job); or failed, after
 * GATEHOUSE_NOTIFY_MAX_ATTEMPTS attempts or a refusal that will not change. A delivered delivery is never
 * sent again. Failures are handled here, not by the queue's own retries (one layer of retries).
 */
@Injectable()
export class DeliveryService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly config: GatehouseConfig['notify'];
  private readonly email: NotifyEmailSender;
  private dispatcher: ReturnType<PlatformNetwork['policy']['dispatcher']> | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly users: UserRepository,
    private readonly outbox: NotificationsService,
    private readonly secrets: WebhookSecrets,
    private readonly network: PlatformNetwork,
    private readonly metrics: MetricsService,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.config = config.notify;
    this.email = new NotifyEmailSender(config.notify);
  }

  async deliver(data: JobPayloads[JobName.DeliverNotification], _context?: JobContext): Promise<void> {
    const now = new Date();
    const lease = new Date(now.getTime() + 3 * this.config.webhookTimeoutMs + 30_000);
    const claimed = await this.uow.write((tx) =>
      this.notifications.claim(tx, data.deliveryId, data.attempt, lease, now),
    );
    if (!claimed) {
      return; // delivered, failed, replayed, or this attempt was taken by another job
    }
    const attempts = data.attempt + 1;
    const outcome = await this.attempt(data.deliveryId).catch((error: unknown): AttemptOutcome => ({
      kind: 'retry',
      error: `internal ${error instanceof Error ? error.name : 'error'}`,
    }));
    await this.settle(data.deliveryId, attempts, outcome);
  }

  /** Sends the delivery once; what happened, in words fit for an admin (no secret, no address, no body). */
  private async attempt(deliveryId: string): Promise<AttemptOutcome> {
    const found = await this.uow.read(async (tx) => {
      const row = await this.notifications.withEvent(tx, deliveryId);
      const recipient = row?.delivery.recipientUserId
        ? await this.users.findById(tx, row.delivery.recipientUserId)
        : null;
      return row ? { ...row, recipient } : null;
    });
    if (!found) {
      return { kind: 'permanent', error: 'delivery or event gone' };
    }
    const { delivery, event, endpoint, recipient } = found;
    if (delivery.channel === 'email') {
      if (!recipient?.email || recipient.disabledAt !== null) {
        return { kind: 'permanent', error: 'recipient has no e-mail address or is disabled' };
      }
      const left = audienceLeft(event, recipient);
      if (left) {
        return { kind: 'permanent', error: left };
      }
      return this.email.send(
        delivery.templateId ?? '',
        recipient.email,
        personalisation(event.type, event.payload, recipient.name),
        delivery.id,
      );
    }
    if (!endpoint || endpoint.disabledAt !== null) {
      return { kind: 'permanent', error: 'endpoint disabled' };
    }
    this.dispatcher ??= this.network.policy.dispatcher();
    return sendWebhook({
      url: endpoint.url,
      secret: this.secrets.open(endpoint),
      messageId: event.id,
      body: { type: event.type, timestamp: event.createdAt.toISOString(), data: event.payload },
      timeoutMs: this.config.webhookTimeoutMs,
      dispatcher: this.dispatcher,
    });
  }

  private async settle(deliveryId: string, attempts: number, outcome: AttemptOutcome): Promise<void> {
    const now = new Date();
    const final = outcome.kind === 'permanent' || attempts >= this.config.maxAttempts;
    const nextAttemptAt =
      outcome.kind === 'retry' && !final
        ? new Date(now.getTime() + backoffDelayMs(attempts, this.config.backoffMs))
        : null;
    const recorded = await this.uow.write(async (tx) => {
      const delivery = await this.notifications.findDelivery(tx, deliveryId);
      const settled = await this.notifications.settle(
        tx,
        deliveryId,
        attempts,
        outcome.kind === 'delivered'
          ? { status: 'delivered' }
          : nextAttemptAt
            ? { status: 'retrying', error: outcome.error, nextAttemptAt }
            : { status: 'failed', error: outcome.error },
        now,
      );
      return settled ? delivery : null;
    });
    if (!recorded) {
      return; // replayed meanwhile: the replay's job carries on
    }
    const label = outcome.kind === 'delivered' ? 'delivered' : nextAttemptAt ? 'retrying' : 'failed';
    this.metrics.notificationAttempts.inc({ channel: recorded.channel, outcome: label });
    if (nextAttemptAt) {
      await this.outbox.enqueue({ id: deliveryId, attempts, dueAt: nextAttemptAt });
    } else if (outcome.kind !== 'delivered') {
      this.logger.warn(
        `Notification delivery ${deliveryId} (${recorded.channel}) failed after ${attempts} attempt(s): ${outcome.error}`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.email.close();
    await this.dispatcher?.close();
  }
}

/**
 * Why a recipient may no longer read an event they were e-mailed about when it was recorded (a retry or a
 * replay comes later): they left the team it is about, or, for an approval request, are no longer a reviewer
 * outside the owning team. Null when they may (or the event went to its starter alone).
 */
function audienceLeft(event: NotificationEventEntity, recipient: UserEntity): string | null {
  if (event.teamId === null) {
    return null;
  }
  if (event.type === 'evaluation.awaiting_approval') {
    return recipient.roles.includes('reviewer') && recipient.teamId !== event.teamId
      ? null
      : 'recipient may no longer decide the evaluation';
  }
  if (event.type === 'use_case.config_mismatch' || event.type === 'watch.alert_opened') {
    // The owning team, or a reviewer outside it.
    return recipient.teamId === event.teamId || recipient.roles.includes('reviewer')
      ? null
      : 'recipient is no longer in the team the event is about nor a reviewer';
  }
  if (event.type === 'live_settings.weakened') {
    // A reviewer outside the owning team.
    return recipient.roles.includes('reviewer') && recipient.teamId !== event.teamId
      ? null
      : 'recipient is no longer a reviewer outside the team the event is about';
  }
  return recipient.teamId === event.teamId ? null : 'recipient is no longer in the team the event is about';
}
