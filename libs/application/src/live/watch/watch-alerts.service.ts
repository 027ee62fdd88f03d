import {
  assertCanResolveWatchAlert,
  assertCanViewAiUseCase,
  DomainError,
  isWatchAlertKind,
  WATCH_LIMITS,
  type WatchAlertKind,
} from '@gatehouse/domain';
import {
  type ReevaluationEntity,
  UnitOfWork,
  type WatchAlertEntity,
  WatchRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { type RequestContext } from '../../request-context';
import { zodProblems } from '../../validation/zod-problems';
import { WatchAlerts } from './watch-alerts';

/** A watch alert as the API shows it. */
export interface WatchAlertView {
  id: string;
  aiUseCaseId: string;
  kind: WatchAlertKind;
  status: 'open' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

/** A scheduled re-evaluation as the API shows it. */
export interface ReevaluationView {
  id: string;
  evaluationId: string;
  status: 'running' | 'passed' | 'regressed';
  runs: { suite: string; baselineRunId: string; runId: string | null; error: string | null }[];
  findings: string[];
  startedAt: string;
  completedAt: string | null;
}

export const resolveWatchAlertSchema = z.strictObject({
  note: z
    .string({ message: 'must be text' })
    .trim()
    .min(1, 'must say why the alert is resolved')
    .max(WATCH_LIMITS.maxResolveNote, `must be at most ${WATCH_LIMITS.maxResolveNote} characters`),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The watch's alerts and re-evaluations of a use case, read by whoever may see it; resolving by hand. */
@Injectable()
export class WatchAlertsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly watch: WatchRepository,
    private readonly alerts: WatchAlerts,
  ) {}

  async list(
    context: RequestContext,
    aiUseCaseId: string,
    options: { status?: 'open' | 'resolved'; limit?: number } = {},
  ): Promise<WatchAlertView[]> {
    return this.uow.read(async (tx) => {
      const useCase = UUID.test(aiUseCaseId) ? await this.watch.findUseCase(tx, aiUseCaseId) : null;
      if (!useCase) {
        throw DomainError.notFound('The AI use case');
      }
      assertCanViewAiUseCase(context.actor, useCase);
      const rows = await this.watch.listAlerts(tx, aiUseCaseId, {
        status: options.status,
        limit: Math.min(Math.max(options.limit ?? 100, 1), 500),
      });
      return rows.map(toWatchAlertView);
    });
  }

  async reevaluations(context: RequestContext, aiUseCaseId: string): Promise<ReevaluationView[]> {
    return this.uow.read(async (tx) => {
      const useCase = UUID.test(aiUseCaseId) ? await this.watch.findUseCase(tx, aiUseCaseId) : null;
      if (!useCase) {
        throw DomainError.notFound('The AI use case');
      }
      assertCanViewAiUseCase(context.actor, useCase);
      return (await this.watch.listReevaluations(tx, aiUseCaseId, 50)).map(toReevaluationView);
    });
  }

  /**
   * Resolves an open alert by hand, with a note (audited): a reviewer outside the owning team, or the
   * owning team for drift and expiring evidence. A configuration mismatch is never resolved by hand. The
   * use case's marks stay until an approved re-evaluation clears them.
   */
  async resolve(context: RequestContext, alertId: string, body: unknown): Promise<WatchAlertView> {
    const parsed = resolveWatchAlertSchema.safeParse(body);
    if (!parsed.success) {
      throw DomainError.validation(zodProblems(parsed.error));
    }
    return this.uow.write(async (tx) => {
      const alert = UUID.test(alertId) ? await this.watch.findAlert(tx, alertId) : null;
      const useCase = alert ? await this.watch.lockUseCase(tx, alert.aiUseCaseId) : null;
      if (!alert || !useCase) {
        throw DomainError.notFound('The watch alert');
      }
      try {
        assertCanViewAiUseCase(context.actor, useCase);
      } catch {
        throw DomainError.notFound('The watch alert');
      }
      if (!isWatchAlertKind(alert.kind)) {
        throw new DomainError('invalid_state', 'This alert is of an unknown kind.', [], 'watch_alert_kind');
      }
      assertCanResolveWatchAlert(context.actor, useCase, alert.kind);
      const now = new Date();
      if (
        alert.status !== 'open' ||
        !(await this.alerts.resolve(tx, context, alert, parsed.data.note, now))
      ) {
        throw new DomainError('invalid_state', 'This alert is resolved already.', [], 'watch_alert_open');
      }
      const resolved = await this.watch.findAlert(tx, alert.id);
      return toWatchAlertView(resolved as WatchAlertEntity);
    });
  }
}

export function toWatchAlertView(row: WatchAlertEntity): WatchAlertView {
  return {
    id: row.id,
    aiUseCaseId: row.aiUseCaseId,
    kind: row.kind as WatchAlertKind,
    status: row.status === 'open' ? 'open' : 'resolved',
    summary: row.summary,
    details: row.details,
    openedAt: row.openedAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    resolvedBy: row.resolvedBy,
  };
}

function toReevaluationView(row: ReevaluationEntity): ReevaluationView {
  return {
    id: row.id,
    evaluationId: row.evaluationId,
    status: row.status as ReevaluationView['status'],
    runs: row.runs,
    findings: row.outcome?.findings ?? [],
    startedAt: row.startedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}
