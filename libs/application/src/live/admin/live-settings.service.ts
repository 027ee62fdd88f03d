import {
  type Actor,
  assertCanChangeLiveSettings,
  assertCanReadLive,
  DomainError,
  type LiveSettings,
  liveSettingsChangeNeedsReason,
  liveWatchWeakenings,
} from '@gatehouse/domain';
import {
  type AiUseCaseEntity,
  GateRepository,
  LiveSettingsEntity,
  LiveSettingsRepository,
  type Tx,
  UnitOfWork,
  UserRepository,
} from '@gatehouse/persistence';
import { type GatehouseConfig } from '@gatehouse/config';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { InjectConfig } from '../../gatehouse-config.module';
import { GateReads } from '../../gates/gate-reads';
import { liveSettingsWeakened } from '../../notifications/notification-builders';
import { NotificationsService } from '../../notifications/notifications.service';
import { type RequestContext } from '../../request-context';
import { liveSettingsOf } from '../live-settings';
import { MIN_LIVE_REASON, parseLiveSettingsChange } from './live-admin-inputs';
import { type LiveSettingsView } from './live-admin.views';
import { watchWeakeningToTell } from './live-settings-notices';

/**
 * A use case's live settings: read by the owning team, reviewers and admins (the defaults until set);
 * replaced whole by the owning team's service team or engineers. Keeping captured text unredacted needs a
 * reason, and so does weakening the watch at learn or scale. Every change is audited with the settings
 * before and after; at learn or scale a weakening (or redaction turned off) also tells the use case's
 * reviewers (`live_settings.weakened`), recorded in the same transaction so a refused change tells nobody.
 */
@Injectable()
export class LiveSettingsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly settings: LiveSettingsRepository,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
    private readonly outbox: NotificationsService,
    private readonly gates: GateRepository,
    private readonly users: UserRepository,
    @InjectConfig() private readonly config: GatehouseConfig,
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
    return this.outbox.write(async (tx) => {
      const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
      assertCanChangeLiveSettings(context.actor, useCase);
      const { settings, reason } = parseLiveSettingsChange(body);
      const maxJudgeCalls = this.config.live.maxJudgeCallsPerDay;
      if (settings.judgeCallsPerDay > maxJudgeCalls) {
        throw DomainError.validation(
          [
            {
              field: 'judgeCallsPerDay',
              message: `is at most ${maxJudgeCalls} on this server (the operator's limit on what model judges may cost each use case a day)`,
              code: 'too_big',
            },
          ],
          'The model-judge budget is over what this server allows.',
        );
      }
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
              message: `is required (at least ${MIN_LIVE_REASON} characters) to weaken the watch at ${useCase.stage} (${weakened.join(', ')}): say why; the use case's reviewers are told`,
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
      const weakening = watchWeakeningToTell(useCase.stage, before, settings);
      if (weakening) {
        const facts = {
          id: useCase.id,
          name: useCase.name,
          stage: useCase.stage,
          ownerTeamId: useCase.ownerTeamId,
        };
        await this.outbox.record(
          tx,
          liveSettingsWeakened(
            facts,
            {
              id: randomUUID(),
              changedBy: { id: context.actor.id, name: context.actor.name },
              ...weakening,
              reason: reason ?? '',
            },
            await this.reviewersOf(tx, useCase),
          ),
        );
      }
      return toLiveSettingsView(useCase.id, row);
    });
  }

  /**
   * The use case's reviewers: the active reviewers outside the owning team who approved an evaluation its
   * promotions or re-approvals went through; when none of them is left, every active reviewer outside the
   * team (someone independent is always told).
   */
  private async reviewersOf(tx: Tx, useCase: AiUseCaseEntity): Promise<string[]> {
    const independent = (await this.users.activeWithRole(tx, 'reviewer')).filter(
      (user) => user.teamId !== useCase.ownerTeamId,
    );
    const approvers = new Set<string>();
    for (const evaluationId of (await this.gates.approvingEvaluations(tx, useCase.id)).evaluationIds) {
      for (const decision of await this.gates.decisions(tx, evaluationId)) {
        if (decision.decision === 'approve') {
          approvers.add(decision.approverId);
        }
      }
    }
    const theirs = independent.filter((user) => approvers.has(user.id));
    return (theirs.length > 0 ? theirs : independent).map((user) => user.id);
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
