import { changeRoleGrants, type IssuedToken, type Role } from '@gatehouse/domain';
import { ApiTokenEntity, EnrolmentEntity, TeamEntity, UserEntity } from '@gatehouse/persistence';
import { randomUUID } from 'node:crypto';
import {
  type CreateTeamInput,
  type CreateUserInput,
  type IssueTokenInput,
  type UpdateUserInput,
} from './identity.inputs';

/** The rows identity writes, built from what the caller sent (checks and audit stay in the service). */
export function newTeam(input: CreateTeamInput): TeamEntity {
  return Object.assign(new TeamEntity(), {
    id: randomUUID(),
    name: input.name,
    description: input.description ?? null,
    createdAt: new Date(),
  });
}

/** A user whose every role was granted by `grantedBy`. */
export function newUser(input: CreateUserInput, teamId: string | null, grantedBy: string): UserEntity {
  const now = new Date();
  return Object.assign(new UserEntity(), {
    id: randomUUID(),
    name: input.name,
    email: input.email ?? null,
    teamId,
    teamSetBy: teamId ? grantedBy : null,
    roles: input.roles,
    rolesGrantedBy: changeRoleGrants(null, [], input.roles, grantedBy).grants,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * Applies an admin's change to a user (and drops the loaded team, which no longer applies). A team the
 * admin sets is recorded as set `by` them, so the identity provider's group mapping leaves it alone.
 */
export function applyUserChange(
  user: UserEntity,
  input: UpdateUserInput,
  teamId: string | null,
  roles: Role[],
  change: ReturnType<typeof changeRoleGrants>,
  by: string,
): void {
  Object.assign(user, {
    name: input.name ?? user.name,
    email: input.email === undefined ? user.email : input.email,
    teamId,
    teamSetBy: teamId === user.teamId ? user.teamSetBy : teamId ? by : null,
    roles,
    rolesGrantedBy: change.granted.length + change.removed.length > 0 ? change.grants : user.rolesGrantedBy,
    disabledAt:
      input.disabled === undefined
        ? user.disabledAt
        : input.disabled
          ? (user.disabledAt ?? new Date())
          : null,
    updatedAt: new Date(),
  });
  delete user.team;
}

export function newApiToken(
  userId: string,
  input: IssueTokenInput,
  issued: IssuedToken,
  now: Date,
): ApiTokenEntity {
  return Object.assign(new ApiTokenEntity(), {
    id: randomUUID(),
    userId,
    name: input.name,
    tokenHash: issued.hash,
    displayPrefix: issued.displayPrefix,
    createdAt: now,
    expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
    revokedAt: null,
  });
}

/** A one-time enrolment issued by `createdBy`, valid for `ttlHours`. */
export function newEnrolment(
  userId: string,
  issued: IssuedToken,
  createdBy: string,
  ttlHours: number,
): EnrolmentEntity {
  const now = new Date();
  return Object.assign(new EnrolmentEntity(), {
    id: randomUUID(),
    userId,
    tokenHash: issued.hash,
    displayPrefix: issued.displayPrefix,
    createdBy,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlHours * 3_600_000),
    usedAt: null,
    apiTokenId: null,
    revokedAt: null,
  });
}
