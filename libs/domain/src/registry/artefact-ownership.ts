import { DomainError } from '../errors/domain-error';
import { type Actor, hasRole } from '../identity/roles';

export type ArtefactKind = 'dataset' | 'suite' | 'cassette';

/** Who holds a name: nobody yet, a team, or the platform (the shipped examples, an admin, a user without a team). */
export type NameHolder = { kind: 'unclaimed' } | { kind: 'team'; teamId: string } | { kind: 'platform' };

export type PublishDecision =
  | { allowed: true; ownerTeamId: string | null }
  | { allowed: false; reason: 'owned_by_another_team' | 'owned_by_the_platform' };

/**
 * May this actor publish new content (a version, a cassette's content) under a name? A name belongs to
 * whoever published it first: a team's name only to that team (admins included: an admin is not a member
 * of every team), a platform name (first published by Gatehouse itself, an admin or a user without a
 * team) only to admins and Gatehouse, and an unclaimed name to anyone, who then holds it for their team.
 */
export function decidePublish(actor: Actor, holder: NameHolder): PublishDecision {
  switch (holder.kind) {
    case 'unclaimed':
      return { allowed: true, ownerTeamId: actor.teamId };
    case 'team':
      return actor.teamId === holder.teamId
        ? { allowed: true, ownerTeamId: holder.teamId }
        : { allowed: false, reason: 'owned_by_another_team' };
    case 'platform':
      return actor.id === 'system' || hasRole(actor, 'admin')
        ? { allowed: true, ownerTeamId: null }
        : { allowed: false, reason: 'owned_by_the_platform' };
  }
}

/** decidePublish, as the 409 the API answers (it names the field, never the owning team). */
export function assertMayPublish(
  actor: Actor,
  kind: ArtefactKind,
  name: string,
  holder: NameHolder,
): string | null {
  const decision = decidePublish(actor, holder);
  if (decision.allowed) {
    return decision.ownerTeamId;
  }
  const whose = decision.reason === 'owned_by_another_team' ? 'another team' : 'the platform';
  throw new DomainError(
    'conflict',
    `The ${kind} name ${name} belongs to ${whose}: only ${
      decision.reason === 'owned_by_another_team' ? 'that team' : 'an admin'
    } can publish under it. Publish under a name of your own.`,
    [{ field: 'name', message: `belongs to ${whose}`, code: decision.reason }],
    'artefact_names_owned',
  );
}

/** May artefacts under a name held this way be replayed as evidence of a team (or of the platform's examples)? */
export function mayPinFrom(holder: NameHolder, teamIds: readonly (string | null)[]): boolean {
  return holder.kind === 'platform' || (holder.kind === 'team' && teamIds.includes(holder.teamId));
}
