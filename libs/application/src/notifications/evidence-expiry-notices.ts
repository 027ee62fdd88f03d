import { type GatehouseConfig } from '@gatehouse/config';
import { NotificationRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { notificationEventId } from '@gatehouse/domain';
import { InjectConfig } from '../gatehouse-config.module';
import { EvidenceExpiry } from '../work/evidence-expiry';
import { evidenceExpiring } from './notification-builders';
import { NotificationsService } from './notifications.service';

/** How often one process scans at most (the events are once per approving evaluation whatever the rate). */
const SCAN_EVERY_MS = 3_600_000;

/**
 * Warns each owning team once when the evidence its use case's stage rests on goes stale within
 * GATEHOUSE_EVIDENCE_WARN_DAYS (or already has): an `evidence.expiring` event whose id is
 * `evidence.expiring:<use case>:<approving evaluation>`, so a use case is warned once per approval, however
 * many workers scan and however often. A new approval (a re-approval with fresh runs) warns again when
 * its own evidence nears its end.
 */
@Injectable()
export class EvidenceExpiryNotices {
  private readonly logger = new Logger(EvidenceExpiryNotices.name);
  private lastScan = 0;
  private readonly warnDays: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly expiry: EvidenceExpiry,
    private readonly notifications: NotificationRepository,
    private readonly outbox: NotificationsService,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.warnDays = config.notify.evidenceWarnDays;
  }

  /** Scans unless this process scanned within the hour; returns the events recorded. */
  async scanIfDue(now = new Date()): Promise<number> {
    if (now.getTime() - this.lastScan < SCAN_EVERY_MS) {
      return 0;
    }
    this.lastScan = now.getTime();
    return this.scan(now);
  }

  /** Records an `evidence.expiring` event for each use case not yet warned about its current approval. */
  async scan(now = new Date()): Promise<number> {
    const expiring = await this.uow.read((tx) => this.expiry.expiringWithin(tx, this.warnDays, now));
    let recorded = 0;
    for (const row of expiring) {
      const id = notificationEventId('evidence.expiring', row.aiUseCaseId, row.evaluationId);
      try {
        const added = await this.outbox.write(async (tx) => {
          if (await this.notifications.eventExists(tx, id)) {
            return false;
          }
          const useCase = {
            id: row.aiUseCaseId,
            name: row.name,
            stage: row.stage,
            ownerTeamId: row.ownerTeamId,
          };
          await this.outbox.record(tx, evidenceExpiring(useCase, row.evaluationId, row.expiresAt));
          return true;
        });
        recorded += added ? 1 : 0;
      } catch (error) {
        this.logger.warn(
          `Evidence expiry notice for ${row.aiUseCaseId} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return recorded;
  }
}
