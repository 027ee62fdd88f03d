import { NotificationRepository } from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { EvidenceExpiryNotices } from './evidence-expiry-notices';
import { NotificationsService } from './notifications.service';

/** Deliveries enqueued per sweep at most (the next sweep takes the rest). */
const PER_SWEEP = 500;

/**
 * The outbox's safety net, run with the reconciler (every GATEHOUSE_RECONCILE_EVERY_MS on the workers):
 * re-enqueues pending and retrying deliveries whose time has come, which covers a process that died
 * between a commit and its enqueue, a queue that lost its jobs (Redis flushed, the in-process queue
 * restarted) and a sender that died mid-call (its lease ran out). Duplicate jobs are harmless: each
 * attempt is taken by compare-and-set. Then the evidence-expiry scan, at most hourly.
 */
@Injectable()
export class NotificationSweepService {
  private readonly logger = new Logger(NotificationSweepService.name);

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly outbox: NotificationsService,
    private readonly expiry: EvidenceExpiryNotices,
  ) {}

  async sweep(now = new Date()): Promise<number> {
    const due = await this.notifications.due(now, PER_SWEEP);
    let enqueued = 0;
    for (const delivery of due) {
      try {
        await this.outbox.enqueue({
          id: delivery.id,
          attempts: delivery.attempts,
          dueAt: delivery.nextAttemptAt,
        });
        enqueued += 1;
      } catch (error) {
        this.logger.warn(
          `Sweep could not enqueue delivery ${delivery.id}: ${error instanceof Error ? error.message : String(error)}`,
        );
        break; // the queue is away: the next sweep tries again
      }
    }
    try {
      await this.expiry.scanIfDue(now);
    } catch (error) {
      this.logger.warn(
        `Evidence expiry scan failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return enqueued;
  }
}
