import { DomainError } from '../errors/domain-error';
import { permits } from '../errors/permits';
import { type Actor, hasRole } from '../identity/roles';

/**
 * An evaluation run's life: `queued → running → aggregating → completed`. A queued or running run may be
 * cancelled (it is then aggregated once more, as a partial report, and stays cancelled); a running or
 * aggregating run fails when it cannot go on. Completed, cancelled and failed are final.
 */
export const RUN_STATUSES = ['queued', 'running', 'aggregating', 'completed', 'cancelled', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Where each status may go next; the workers' compare-and-set updates follow these edges. */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'cancelled'],
  running: ['aggregating', 'cancelled', 'failed'],
  aggregating: ['completed', 'failed'],
  completed: [],
  cancelled: [],
  failed: [],
};

/** The statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter(
  (status) => RUN_TRANSITIONS[status].length === 0,
);

/** The statuses a run can still be cancelled from. */
export const CANCELLABLE_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((status) =>
  RUN_TRANSITIONS[status].includes('cancelled'),
);

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** Still moving: progress may change (the pages follow it live). */
export function isLiveRunStatus(status: RunStatus): boolean {
  return !isTerminalRunStatus(status);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** What the run rules need to know about a run. */
export interface RunOwnership {
  createdBy: string;
  status: RunStatus;
}

/** The AI use case a run is evidence for, if any: its owning team may act on the run. */
export interface RunUseCase {
  ownerTeamId: string;
}

/**
 * Who may cancel a run: the person who started it, an admin, or an engineer or service-team member of the
 * team that owns the run's AI use case. Only a queued or running run can be cancelled; the permission is
 * checked first, so someone without it learns nothing of the run's state.
 */
export function assertCanCancelRun(actor: Actor, run: RunOwnership, useCase: RunUseCase | null): void {
  const owningTeam =
    useCase !== null &&
    actor.teamId !== null &&
    actor.teamId === useCase.ownerTeamId &&
    hasRole(actor, 'engineer', 'service_team');
  if (run.createdBy !== actor.id && !hasRole(actor, 'admin') && !owningTeam) {
    throw DomainError.forbidden(
      'Only the person who started the run, its team or an admin can cancel it.',
      'cancel_own_runs',
    );
  }
  if (!CANCELLABLE_RUN_STATUSES.includes(run.status)) {
    throw new DomainError('invalid_state', `The run is already ${run.status}.`, [], 'cancel_running_runs');
  }
}

/** What a user may do with a run now: the pages offer exactly these, the services enforce the same rules. */
export interface RunActions {
  cancel: boolean;
}

export function allowedRunActions(actor: Actor, run: RunOwnership, useCase: RunUseCase | null): RunActions {
  return { cancel: permits(() => assertCanCancelRun(actor, run, useCase)) };
}
