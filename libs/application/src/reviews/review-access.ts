import { type Actor, DomainError, hasRole } from '@gatehouse/domain';

/**
 * Who may draw a review sample of a run, and review its items: a reviewer, or an engineer or service-team
 * member of the team the evidence belongs to (the use case's owning team; for a run of no use case, the
 * suite's). Admin alone is not enough: administering the platform is not judging its evidence. A member
 * of the owning team is counted but never as independent (see isIndependentReviewer).
 */
export function canReviewRun(actor: Actor, owningTeamId: string | null): boolean {
  if (hasRole(actor, 'reviewer')) {
    return true;
  }
  return hasRole(actor, 'engineer', 'service_team') && actor.teamId !== null && actor.teamId === owningTeamId;
}

export function assertCanReviewRun(actor: Actor, owningTeamId: string | null, action: string): void {
  if (!canReviewRun(actor, owningTeamId)) {
    throw DomainError.forbidden(
      `${action} needs the "reviewer" role, or the "engineer" or "service_team" role in the team that owns the evidence.`,
      'review_by_reviewer_or_owning_team',
    );
  }
}
