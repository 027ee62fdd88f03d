import { DomainError } from '../errors/domain-error';
import { permits } from '../errors/permits';
import {
  assertCanPromote,
  assertCanProposeGate,
  assertCanRecordPilot,
  assertCanStepBack,
} from '../gates/gate-access';
import { type Actor, hasRole } from '../identity/roles';
import {
  type AiUseCaseOwnership,
  assertCanEditAiUseCase,
  assertCanOverrideRiskTier,
  assertCanRegisterAiUseCase,
  assertCanRegisterTarget,
  assertCanViewAiUseCase,
} from './ai-use-case-access';

/**
 * A use case's audit trail is its owning team's (any role: it is how a team checks what was done in its
 * name), the assurance reviewers' and the admins'. The JSON API's /v1/audit-events, which spans every team,
 * is for reviewers and admins only.
 */
export function assertCanReadAiUseCaseAuditTrail(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  const inOwningTeam = actor.teamId !== null && actor.teamId === useCase.ownerTeamId;
  if (!inOwningTeam && !hasRole(actor, 'reviewer', 'admin')) {
    throw DomainError.forbidden(
      'Only the owning team, assurance reviewers and admins can read an AI use case’s audit trail.',
      'audit_trail_by_owning_team_or_reviewer',
    );
  }
}

/**
 * What a user may do with an AI use case now, each flag the verdict of the assert the service enforces, so a
 * page never offers what the API would refuse (nor hides what it would allow).
 */
export interface AiUseCaseActions {
  /** Change the record (risks, fields): the owning service team, until retired. */
  edit: boolean;
  /** Register the system under test: the owning team's service team or engineers, until retired. */
  registerTarget: boolean;
  /** Ask for a gate evaluation: the owning team's service team or engineers, or an admin. */
  proposeGate: boolean;
  /** Move through a gate that passed: the owning service team, or an admin. */
  promote: boolean;
  /** Record what the pilot showed: the owning team, at learn. */
  recordPilot: boolean;
  /** Demote or retire: the owning service team, an independent reviewer or an admin. */
  stepBack: boolean;
  /** Override the derived risk tier: a reviewer from outside the owning team, until retired. */
  overrideRiskTier: boolean;
  /** Read the use case's audit trail. */
  readAuditTrail: boolean;
}

export function allowedAiUseCaseActions(actor: Actor, useCase: AiUseCaseOwnership): AiUseCaseActions {
  return {
    edit: permits(() => assertCanEditAiUseCase(actor, useCase)),
    registerTarget: permits(() => assertCanRegisterTarget(actor, useCase)),
    proposeGate: permits(() => assertCanProposeGate(actor, useCase)),
    promote: permits(() => assertCanPromote(actor, useCase)),
    recordPilot: permits(() => assertCanRecordPilot(actor, useCase)),
    stepBack: permits(() => assertCanStepBack(actor, useCase)),
    overrideRiskTier: permits(() => assertCanOverrideRiskTier(actor, useCase)),
    readAuditTrail: permits(() => assertCanReadAiUseCaseAuditTrail(actor, useCase)),
  };
}

/** Whether the user may register AI use cases at all (for their own team): the list page's button. */
export function mayRegisterAiUseCases(actor: Actor): boolean {
  return actor.teamId !== null && permits(() => assertCanRegisterAiUseCase(actor, actor.teamId ?? ''));
}
