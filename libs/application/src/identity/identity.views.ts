import { type Role, type RoleGrants } from '@gatehouse/domain';
import {
  type ApiTokenEntity,
  type EnrolmentEntity,
  type TeamEntity,
  type UserEntity,
} from '@gatehouse/persistence';

export interface TeamView {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
}

export interface UserView {
  id: string;
  name: string;
  email: string | null;
  team: { id: string; name: string } | null;
  roles: Role[];
  /** Who granted each role (a user id, `system` or `cli`); a role missing here was granted before this was recorded. */
  rolesGrantedBy: RoleGrants;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type ApiTokenStatus = 'active' | 'revoked' | 'expired';

export interface ApiTokenView {
  id: string;
  userId: string;
  name: string;
  displayPrefix: string;
  status: ApiTokenStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A token just issued: the one time its secret value is returned. */
export interface IssuedApiTokenView extends ApiTokenView {
  token: string;
}

/** A one-time enrolment token's record; the token itself exists only in the response that issued it. */
export interface EnrolmentView {
  id: string;
  userId: string;
  displayPrefix: string;
  createdAt: string;
  expiresAt: string;
}

export interface IssuedEnrolmentView extends EnrolmentView {
  token: string;
}

export const toEnrolmentView = (enrolment: EnrolmentEntity): EnrolmentView => ({
  id: enrolment.id,
  userId: enrolment.userId,
  displayPrefix: enrolment.displayPrefix,
  createdAt: enrolment.createdAt.toISOString(),
  expiresAt: enrolment.expiresAt.toISOString(),
});

export const toTeamView = (team: TeamEntity): TeamView => ({
  id: team.id,
  name: team.name,
  description: team.description,
  createdAt: team.createdAt.toISOString(),
});

export const toUserView = (user: UserEntity, team: TeamEntity | null | undefined): UserView => ({
  id: user.id,
  name: user.name,
  email: user.email,
  team: team ? { id: team.id, name: team.name } : null,
  roles: user.roles,
  rolesGrantedBy: user.rolesGrantedBy ?? {},
  disabled: user.disabledAt !== null,
  createdAt: user.createdAt.toISOString(),
  updatedAt: user.updatedAt.toISOString(),
});

export const tokenStatus = (token: ApiTokenEntity, now: Date): ApiTokenStatus =>
  token.revokedAt ? 'revoked' : token.expiresAt && token.expiresAt <= now ? 'expired' : 'active';

export const toApiTokenView = (token: ApiTokenEntity, now = new Date()): ApiTokenView => ({
  id: token.id,
  userId: token.userId,
  name: token.name,
  displayPrefix: token.displayPrefix,
  status: tokenStatus(token, now),
  createdAt: token.createdAt.toISOString(),
  expiresAt: token.expiresAt?.toISOString() ?? null,
  revokedAt: token.revokedAt?.toISOString() ?? null,
});
