import { type AiUseCaseOwnership, assertCanViewAiUseCase } from '../ai-use-cases/ai-use-case-access';
import { type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { permits } from '../errors/permits';
import { type Actor, hasRole } from '../identity/roles';

/**
 * Who may do what with a use case's live use (its ingest tokens and live settings).
 *
 * - Reading the settings and the token list (never a secret): the owning team (any role), assurance
 *   reviewers and admins, as for the use case's audit trail. Anyone else who can see the use case gets 403;
 *   anyone who cannot see it (another team's draft) gets 404.
 * - Minting tokens and changing settings: the owning team's service team or engineers, as for pilot
 *   observations and the registered target. Neither a reviewer nor an admin is a team member by that fact:
 *   assurance must not configure what it assures, and a platform admin must not be able to send data in a
 *   team's name.
 * - Revoking a token: the owning team's service team or engineers, and admins. Revoking only ever stops
 *   data coming in, so it is the platform team's emergency brake for a token that leaked.
 * - Tokens are minted at test, learn and scale: a proposed use case has passed no gate, so no live
 *   system may send data yet; a retired one must no longer run. Settings change until retirement.
 *   Revoking is allowed at every stage.
 */

/** The stages at which a use case may be given new ingest tokens. */
export const INGEST_TOKEN_STAGES: readonly Stage[] = ['test', 'learn', 'scale'];

const inOwningTeam = (actor: Actor, useCase: AiUseCaseOwnership) =>
  actor.teamId !== null && actor.teamId === useCase.ownerTeamId;

const isOwningTeamMaker = (actor: Actor, useCase: AiUseCaseOwnership) =>
  inOwningTeam(actor, useCase) && hasRole(actor, 'service_team', 'engineer');

const retired = (what: string) =>
  new DomainError('invalid_state', `A retired AI use case ${what}.`, [], 'retired_is_final');

/** The owning team (any role), reviewers and admins read the live settings and the token list. */
export function assertCanReadLive(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!inOwningTeam(actor, useCase) && !hasRole(actor, 'reviewer', 'admin')) {
    throw DomainError.forbidden(
      "Only the owning team, assurance reviewers and admins can see an AI use case's live settings and ingest tokens.",
      'live_read_by_owning_team_or_reviewer',
    );
  }
}

/** The owning team's service team or engineers mint ingest tokens, at test, learn or scale. */
export function assertCanMintIngestToken(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!isOwningTeamMaker(actor, useCase)) {
    throw DomainError.forbidden(
      'Only the service team or engineers of the team that owns the AI use case can create its ingest tokens.',
      'ingest_token_by_owning_team',
    );
  }
  if (useCase.stage === 'retired') {
    throw retired('no longer takes live data, so it gets no new ingest tokens');
  }
  if (!INGEST_TOKEN_STAGES.includes(useCase.stage)) {
    throw new DomainError(
      'invalid_state',
      `Ingest tokens are created from the test stage on (test, learn or scale); this use case is at ${useCase.stage}. Pass the gate to test first.`,
      [],
      'ingest_token_from_test',
    );
  }
}

/** The owning team's service team or engineers, or an admin in an emergency, revoke an ingest token. */
export function assertCanRevokeIngestToken(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!isOwningTeamMaker(actor, useCase) && !hasRole(actor, 'admin')) {
    throw DomainError.forbidden(
      'Only the service team or engineers of the team that owns the AI use case, or an admin, can revoke its ingest tokens.',
      'ingest_token_revoked_by_owning_team_or_admin',
    );
  }
}

/** The owning team's service team or engineers change the live settings, until the use case is retired. */
export function assertCanChangeLiveSettings(actor: Actor, useCase: AiUseCaseOwnership): void {
  assertCanViewAiUseCase(actor, useCase);
  if (!isOwningTeamMaker(actor, useCase)) {
    throw DomainError.forbidden(
      'Only the service team or engineers of the team that owns the AI use case can change its live settings.',
      'live_settings_by_owning_team',
    );
  }
  if (useCase.stage === 'retired') {
    throw retired('can no longer be changed');
  }
}

/** What a user may do with a use case's live use now: each flag the verdict of the assert its service runs. */
export interface LiveActions {
  read: boolean;
  mintToken: boolean;
  revokeToken: boolean;
  changeSettings: boolean;
}

export function allowedLiveActions(actor: Actor, useCase: AiUseCaseOwnership): LiveActions {
  return {
    read: permits(() => assertCanReadLive(actor, useCase)),
    mintToken: permits(() => assertCanMintIngestToken(actor, useCase)),
    revokeToken: permits(() => assertCanRevokeIngestToken(actor, useCase)),
    changeSettings: permits(() => assertCanChangeLiveSettings(actor, useCase)),
  };
}
