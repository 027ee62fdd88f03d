import { SYSTEM_ACTOR, type WatchAlertKind } from '@gatehouse/domain';
import { type AiUseCaseEntity, type Tx, WatchAlertEntity, WatchRepository } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { configMismatch, watchAlertOpened } from '../../notifications/notification-builders';
import { NotificationsService } from '../../notifications/notifications.service';
import { type RequestContext } from '../../request-context';

/** The watch acts as the platform, under a name the audit trail shows. */
export const WATCH_CONTEXT: RequestContext = {
  actor: { ...SYSTEM_ACTOR, name: 'Gatehouse watch' },
  requestId: null,
};

/** An alert to open: what it is about and what it says. */
export interface NewWatchAlert {
  kind: WatchAlertKind;
  dedupeKey: string;
  summary: string;
  details: Record<string, unknown>;
  /** Which event tells people (none for expiring evidence: the evidence notices already warn). */
  notify: 'config_mismatch' | 'alert_opened' | null;
  /** What the use case's marks became in this transaction, for the audit event. */
  marks: { underChangeSince: Date | null; underReviewSince: Date | null };
}

/**
 * Opening and resolving watch alerts, each with its audit event and notification, inside the caller's
 * transaction (opened by `NotificationsService.write`, so deliveries go once it commits). The caller holds
 * the use case's row lock and has checked that no alert with the key is open.
 */
@Injectable()
export class WatchAlerts {
  constructor(
    private readonly watch: WatchRepository,
    private readonly audit: AuditService,
    private readonly outbox: NotificationsService,
  ) {}

  async open(tx: Tx, useCase: AiUseCaseEntity, alert: NewWatchAlert, now: Date): Promise<WatchAlertEntity> {
    const row = Object.assign(new WatchAlertEntity(), {
      id: randomUUID(),
      aiUseCaseId: useCase.id,
      kind: alert.kind,
      dedupeKey: alert.dedupeKey,
      openKey: alert.dedupeKey,
      status: 'open',
      summary: alert.summary.slice(0, 500),
      details: alert.details,
      openedAt: now,
      resolvedAt: null,
      resolvedBy: null,
    } satisfies WatchAlertEntity);
    await this.watch.insertAlert(tx, row);
    await this.audit.record(tx, WATCH_CONTEXT, {
      action: alert.kind === 'config_mismatch' ? 'ai_use_case.config_mismatch' : 'ai_use_case.watch_alert',
      subjectType: 'ai_use_case',
      subjectId: useCase.id,
      before: {
        underChangeSince: useCase.underChangeSince?.toISOString() ?? null,
        underReviewSince: useCase.underReviewSince?.toISOString() ?? null,
      },
      after: {
        alertId: row.id,
        kind: row.kind,
        summary: row.summary,
        details: row.details,
        underChangeSince: alert.marks.underChangeSince?.toISOString() ?? null,
        underReviewSince: alert.marks.underReviewSince?.toISOString() ?? null,
      },
    });
    const facts = {
      id: useCase.id,
      name: useCase.name,
      stage: useCase.stage,
      ownerTeamId: useCase.ownerTeamId,
    };
    const about = { id: row.id, kind: row.kind, summary: row.summary };
    if (alert.notify === 'config_mismatch') {
      await this.outbox.record(tx, configMismatch(facts, about));
    } else if (alert.notify === 'alert_opened') {
      await this.outbox.record(tx, watchAlertOpened(facts, about));
    }
    return row;
  }

  /** Resolves an open alert (compare-and-set) with its audit event; false when it was resolved already. */
  async resolve(
    tx: Tx,
    context: RequestContext,
    alert: WatchAlertEntity,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    if (!(await this.watch.resolveAlert(tx, alert.id, context.actor.id, now))) {
      return false;
    }
    await this.watch.updateResolution(tx, alert.id, { ...alert.details, resolution: reason });
    await this.audit.record(tx, context, {
      action: 'watch_alert.resolved',
      subjectType: 'watch_alert',
      subjectId: alert.id,
      before: { status: 'open', kind: alert.kind, aiUseCaseId: alert.aiUseCaseId },
      after: { status: 'resolved', resolvedBy: context.actor.id },
      reason,
    });
    return true;
  }
}
