import { DomainError } from '../errors/domain-error';
import { type Actor, hasRole } from '../identity/roles';
import { type Stage } from './stage';

/** What the access rules need to know about an AI use case. */
export interface AiUseCaseOwnership {
  ownerTeamId: string;
  stage: Stage;
}

const isOwningTeamMember = (actor: Actor, useCase: AiUseCaseOwnership) =>
  actor.teamId !== null && actor.teamId === useCase.ownerTeamId;

/**
 * A use case still at `proposed` is its team's draft: only that team, reviewers and admins see it.
 * Everyone else gets "not found", so a draft's existence does not leak across teams.
 */
export function canViewAiUseCase(actor: Actor, useCase: AiUseCaseOwnership): boolean {
  return (
    hasRole(actor, 'admin', 'reviewer') || isOwningTeamMember(actor, useCase) || useCase.stage !== 'proposed'
  );
}

export function assertCanViewAiUseCase(actor: Actor, useCase: AiUseCaseOwnership): void {
  if (!canViewAiUseCase(actor, useCase)) {
    throw DomainError.notFound('The AI use case');
  }
}

/** Service teams register use cases for their own team. */
export function assertCanRegisterAiUseCase(actor: Actor, ownerTeamId: string): void {
  if (!hasRole(actor, 'service_team')) {
    throw DomainError.forbidden(
      'Only members of a service team can register an AI use case.',
      'role_service_team',
    );
  }
  if (actor.teamId !== ownerTeamId) {
    throw DomainError.forbidden(
      'You can only register AI use cases for your own team.',
      'register_for_own_team',
    );
  }
}

/** The owning service team maintains the record. */
export function assertCanEditAiUseCase(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!hasRole(actor, 'service_team') || !isOwningTeamMember(actor, useCase)) {
    throw DomainError.forbidden(
      "Only the owning service team can change an AI use case's record.",
      'edit_by_owning_service_team',
    );
  }
  if (useCase.stage === 'retired') {
    throw new DomainError(
      'invalid_state',
      'A retired AI use case can no longer be changed.',
      [],
      'retired_is_final',
    );
  }
}

/**
 * Overriding the derived risk tier is an assurance decision: a reviewer from outside the owning team,
 * so a team cannot talk its own use case into a lighter gate.
 */
export function assertCanOverrideRiskTier(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!hasRole(actor, 'reviewer')) {
    throw DomainError.forbidden('Only an assurance reviewer can override a risk tier.', 'role_reviewer');
  }
  if (isOwningTeamMember(actor, useCase)) {
    throw new DomainError(
      'separation_of_duties',
      "A reviewer cannot override the risk tier of their own team's AI use case.",
      [],
      'reviewer_not_in_owning_team',
    );
  }
  if (useCase.stage === 'retired') {
    throw new DomainError(
      'invalid_state',
      'A retired AI use case goes through no more gates, so its risk tier can no longer be overridden.',
      [],
      'retired_is_final',
    );
  }
}

/** The owning team's service team or engineers register the system under test. */
export function assertCanRegisterTarget(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!isOwningTeamMember(actor, useCase) || !hasRole(actor, 'service_team', 'engineer')) {
    throw DomainError.forbidden(
      'Only the team that owns the AI use case can register its target.',
      'target_by_owning_team',
    );
  }
  if (useCase.stage === 'retired') {
    throw new DomainError(
      'invalid_state',
      'A retired AI use case can no longer be changed.',
      [],
      'retired_is_final',
    );
  }
}
