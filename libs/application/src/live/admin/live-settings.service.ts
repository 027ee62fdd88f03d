import {
  type Actor,
  assertCanChangeLiveSettings,
  assertCanReadLive,
  DomainError,
  type LiveSettings,
  liveSettingsChangeNeedsReason,
  liveWatchWeakenings,
} from '@gatehouse/domain';
import { LiveSettingsEntity, LiveSettingsRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { GateReads } from '../../gates/gate-reads';
import { type RequestContext } from '../../request-context';
import { liveSettingsOf } from '../live-settings';
import { MIN_LIVE_REASON, parseLiveSettingsChange } from './live-admin-inputs';
import { type LiveSettingsView } from './live-admin.views';

/**
 * A use case's live settings: read by the owning team, reviewers and admins (the defaults until set);
 * replaced whole by the owning team's service team or engineers. Keeping captured text unredacted needs a
 * reason. Every change is audited with the settings before and after.
 */
@Injectable()
export class LiveSettingsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly settings: LiveSettingsRepository,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
  ) {}

  async get(caller: Actor | RequestContext, useCaseId: string): Promise<LiveSettingsView> {
    const actor = 'actor' in caller ? caller.actor : caller;
    return this.uow.read(async (tx) => {
      const useCase = await this.reads.useCase(tx, actor, useCaseId);
      assertCanReadLive(actor, useCase);
      return toLiveSettingsView(useCase.id, await this.settings.find(tx, useCase.id));
    });
  }

  /** Replaces the settings (body: every setting, and `reason`). Unchanged settings write nothing. */
  async update(context: RequestContext, useCaseId: string, body: unknown): Promise<LiveSettingsView> {
    return this.uow.write(async (tx) => {
      const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
      assertCanChangeLiveSettings(context.actor, useCase);
      const { settings, reason } = parseLiveSettingsChange(body);
      const stored = await this.settings.find(tx, useCase.id);
      const before = liveSettingsOf(stored);
      if (liveSettingsChangeNeedsReason(before, settings) && (reason ?? '').length < MIN_LIVE_REASON) {
        throw DomainError.validation(
          [
            {
              field: 'reason',
              message: `is required (at least ${MIN_LIVE_REASON} characters) to keep captured or sampled text without redacting personal data: say why, and where the DPIA covers it`,
              code: 'required',
            },
          ],
          'Keeping personal data in stored text needs a reason.',
        );
      }
      const weakened = liveWatchWeakenings(before, settings);
      if (
        (useCase.stage === 'learn' || useCase.stage === 'scale') &&
        weakened.length > 0 &&
        (reason ?? '').length < MIN_LIVE_REASON
      ) {
        throw DomainError.validation(
          [
            {
              field: 'reason',
              message: `is required (at least ${MIN_LIVE_REASON} characters) to weaken the watch at ${useCase.stage} (${weakened.join(', ')}): say why; reviewers read it in the audit trail`,
              code: 'required',
            },
          ],
          'Weakening the watch over live use needs a reason.',
        );
      }
      if (stored && sameSettings(before, settings)) {
        return toLiveSettingsView(useCase.id, stored);
      }
      const row = Object.assign(new LiveSettingsEntity(), {
        aiUseCaseId: useCase.id,
        ...settings,
        drift: { ...settings.drift },
        updatedBy: context.actor.id,
        updatedAt: new Date(),
      });
      await this.settings.save(tx, row);
      await this.audit.record(tx, context, {
        action: 'live_settings.changed',
        subjectType: 'ai_use_case',
        subjectId: useCase.id,
        before: { ...before, stored: stored !== null },
        after: settings,
        reason,
      });
      return toLiveSettingsView(useCase.id, row);
    });
  }
}

function toLiveSettingsView(aiUseCaseId: string, row: LiveSettingsEntity | null): LiveSettingsView {
  return {
    aiUseCaseId,
    ...liveSettingsOf(row),
    stored: row !== null,
    updatedBy: row?.updatedBy ?? null,
    updatedAt: row ? row.updatedAt.toISOString() : null,
  };
}

function sameSettings(a: LiveSettings, b: LiveSettings): boolean {
  const { drift: da, ...ra } = a;
  const { drift: db, ...rb } = b;
  return (
    (Object.keys(ra) as (keyof typeof ra)[]).every((k) => ra[k] === rb[k]) &&
    (Object.keys(da) as (keyof typeof da)[]).every((k) => da[k] === db[k])
  );
}
