import { type GatehouseConfig } from '@gatehouse/config';
import {
  type Actor,
  assertHasRole,
  assertIssuingForSelf,
  assertNotOwnRoleChange,
  assertSelfOrAdmin,
  changeRoleGrants,
  checkUserRoles,
  DomainError,
  ENROLMENT_REFUSALS,
  enrolmentRefusal,
  hashApiToken,
  issueApiToken,
  issueEnrolmentToken,
  type IssuedToken,
  type Role,
} from '@gatehouse/domain';
import {
  ApiTokenEntity,
  EnrolmentEntity,
  isUniqueViolation,
  rawDateOrNull,
  rawJson,
  TeamEntity,
  UnitOfWork,
  UserEntity,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import {
  type ApiTokenView,
  type IssuedApiTokenView,
  type IssuedEnrolmentView,
  toEnrolmentView,
  type TeamView,
  toApiTokenView,
  toTeamView,
  toUserView,
  type UserView,
} from './identity.views';

const AUTHENTICATE_SQL = `
SELECT u.id AS user_id, u.name, u.team_id, u.roles, t.revoked_at, t.expires_at, u.disabled_at
  FROM api_tokens t
  JOIN users u ON u.id = t.user_id
 WHERE t.token_hash = ?`;

export interface CreateTeamInput {
  name: string;
  description?: string;
}

export interface CreateUserInput {
  name: string;
  email?: string;
  teamId?: string | null;
  roles: Role[];
}

export interface UpdateUserInput {
  name?: string;
  email?: string | null;
  teamId?: string | null;
  roles?: Role[];
  disabled?: boolean;
  reason?: string;
}

export interface IssueTokenInput {
  name: string;
  expiresInDays?: number;
}

export interface ExchangeEnrolmentInput {
  /** The one-time enrolment token an admin handed over. */
  token: string;
  tokenName?: string;
  expiresInDays?: number;
}

/**
 * Teams, users and API tokens. Every change is audited; token secrets exist only in the response. No one
 * holds a token they did not issue themselves: an admin creates a user with a one-time enrolment token,
 * which the user exchanges for their own API token; after that, people issue their own tokens. Admins
 * revoke tokens and re-issue enrolments (which revokes the user's tokens, so a take-over is never silent)
 * and never change their own roles; who granted each role is recorded for the gate approvals rule.
 */
@Injectable()
export class IdentityService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: Pick<GatehouseConfig, 'enrolmentTtlHours'>,
  ) {}

  async createTeam(context: RequestContext, input: CreateTeamInput): Promise<TeamView> {
    assertHasRole(context.actor, ['admin'], 'Creating a team');
    return this.uow.write((m) => this.insertTeam(m, context, input));
  }

  /** Creates a team inside the caller's transaction; authorisation is the caller's job. */
  async insertTeam(m: EntityManager, context: RequestContext, input: CreateTeamInput): Promise<TeamView> {
    if (await m.existsBy(TeamEntity, { name: input.name })) {
      throw teamNameTaken(input.name);
    }
    const team = Object.assign(new TeamEntity(), {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      createdAt: new Date(),
    });
    await insertOrConflict(m, TeamEntity, team, () => teamNameTaken(input.name));
    const view = toTeamView(team);
    await this.audit.record(m, context, {
      action: 'team.created',
      subjectType: 'team',
      subjectId: team.id,
      after: view,
    });
    return view;
  }

  listTeams(): Promise<TeamView[]> {
    return this.uow.read(async (m) => (await m.find(TeamEntity, { order: { name: 'ASC' } })).map(toTeamView));
  }

  /** A new user and their one-time enrolment token: the admin hands it over; the user exchanges it. */
  async createUser(
    context: RequestContext,
    input: CreateUserInput,
  ): Promise<{ user: UserView; enrolment: IssuedEnrolmentView }> {
    assertHasRole(context.actor, ['admin'], 'Creating a user');
    return this.uow.write(async (m) => {
      const user = await this.insertUser(m, context, input);
      const enrolment = await this.insertEnrolment(m, context, user.id);
      return { user, enrolment };
    });
  }

  /**
   * A new enrolment for a user who lost their tokens (or whose tokens may be known to someone else): every
   * API token and earlier enrolment of theirs is revoked in the same transaction, and all of it audited.
   */
  async reissueEnrolment(
    context: RequestContext,
    userId: string,
    reason?: string,
  ): Promise<{ enrolment: IssuedEnrolmentView; revokedTokens: number }> {
    assertHasRole(context.actor, ['admin'], 'Re-issuing an enrolment');
    return this.uow.write(async (m) => {
      const user = await m.findOneBy(UserEntity, { id: userId });
      if (!user) {
        throw DomainError.notFound('The user');
      }
      if (user.disabledAt) {
        throw new DomainError('invalid_state', 'The user is disabled.', [], 'user_disabled');
      }
      const now = new Date();
      const tokens = await m.findBy(ApiTokenEntity, { userId, revokedAt: IsNull() });
      for (const token of tokens) {
        const before = toApiTokenView(token, now);
        token.revokedAt = now;
        await m.update(ApiTokenEntity, { id: token.id }, { revokedAt: now });
        await this.audit.record(m, context, {
          action: 'api_token.revoked',
          subjectType: 'api_token',
          subjectId: token.id,
          before,
          after: toApiTokenView(token, now),
          reason: reason ?? 'A new enrolment was issued for the user.',
        });
      }
      const enrolments = await m.findBy(EnrolmentEntity, { userId, usedAt: IsNull(), revokedAt: IsNull() });
      for (const enrolment of enrolments) {
        await m.update(EnrolmentEntity, { id: enrolment.id }, { revokedAt: now });
        await this.audit.record(m, context, {
          action: 'enrolment.revoked',
          subjectType: 'enrolment',
          subjectId: enrolment.id,
          after: { ...toEnrolmentView(enrolment), revokedAt: now.toISOString() },
          reason: 'Replaced by a new enrolment.',
        });
      }
      const enrolment = await this.insertEnrolment(m, context, userId, {
        revokedTokens: tokens.length,
        reason,
      });
      return { enrolment, revokedTokens: tokens.length };
    });
  }

  /**
   * Exchanges a one-time enrolment token for the user's own API token (only they see it). Needs no other
   * credential; the enrolment is spent by a compare-and-set, so of two concurrent exchanges one wins.
   */
  async exchangeEnrolment(
    input: ExchangeEnrolmentInput,
    requestId: string | null,
  ): Promise<{ user: UserView; token: IssuedApiTokenView }> {
    return this.uow.write(async (m) => {
      const now = new Date();
      const enrolment =
        input.token.length >= 20 && input.token.length <= 200
          ? await m.findOneBy(EnrolmentEntity, { tokenHash: hashApiToken(input.token) })
          : null;
      const user = enrolment
        ? await m.findOne(UserEntity, { where: { id: enrolment.userId }, relations: { team: true } })
        : null;
      const refusal = enrolmentRefusal(user ? enrolment : null, Boolean(user?.disabledAt), now);
      if (refusal || !enrolment || !user) {
        throw enrolmentRefused(refusal ?? 'unknown');
      }
      const spent = await m
        .createQueryBuilder()
        .update(EnrolmentEntity)
        .set({ usedAt: now })
        .where('id = :id AND used_at IS NULL AND revoked_at IS NULL', { id: enrolment.id })
        .execute();
      if (spent.affected !== 1) {
        throw enrolmentRefused('used');
      }
      const context: RequestContext = {
        actor: { id: user.id, name: user.name, teamId: user.teamId, roles: user.roles },
        requestId,
      };
      const token = await this.storeToken(
        m,
        context,
        user.id,
        { name: input.tokenName ?? 'default', expiresInDays: input.expiresInDays },
        issueApiToken(),
      );
      await m.update(EnrolmentEntity, { id: enrolment.id }, { apiTokenId: token.id });
      await this.audit.record(m, context, {
        action: 'enrolment.exchanged',
        subjectType: 'enrolment',
        subjectId: enrolment.id,
        after: { ...toEnrolmentView(enrolment), usedAt: now.toISOString(), issuedApiId: token.id },
      });
      return { user: toUserView(user, user.team), token };
    });
  }

  /** Creates a user inside the caller's transaction; authorisation is the caller's job. */
  async insertUser(m: EntityManager, context: RequestContext, input: CreateUserInput): Promise<UserView> {
    const problems = checkUserRoles(input.roles, input.teamId ?? null);
    if (problems.length > 0) {
      throw DomainError.validation(problems);
    }
    const team = await this.findTeam(m, input.teamId ?? null);
    if (input.email && (await m.existsBy(UserEntity, { email: input.email }))) {
      throw emailTaken(input.email);
    }
    const now = new Date();
    const user = Object.assign(new UserEntity(), {
      id: randomUUID(),
      name: input.name,
      email: input.email ?? null,
      teamId: team?.id ?? null,
      roles: input.roles,
      rolesGrantedBy: changeRoleGrants(null, [], input.roles, context.actor.id).grants,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await insertOrConflict(m, UserEntity, user, () => emailTaken(input.email ?? ''));
    const view = toUserView(user, team);
    await this.audit.record(m, context, {
      action: 'user.created',
      subjectType: 'user',
      subjectId: user.id,
      after: view,
    });
    return view;
  }

  listUsers(limit: number, offset: number): Promise<{ items: UserView[]; total: number }> {
    return this.uow.read(async (m) => {
      const [users, total] = await m.findAndCount(UserEntity, {
        relations: { team: true },
        order: { name: 'ASC', id: 'ASC' },
        take: limit,
        skip: offset,
      });
      return { items: users.map((u) => toUserView(u, u.team)), total };
    });
  }

  getUser(id: string): Promise<UserView> {
    return this.uow.read(async (m) => {
      const user = await m.findOne(UserEntity, { where: { id }, relations: { team: true } });
      if (!user) {
        throw DomainError.notFound('The user');
      }
      return toUserView(user, user.team);
    });
  }

  async updateUser(context: RequestContext, id: string, input: UpdateUserInput): Promise<UserView> {
    assertHasRole(context.actor, ['admin'], 'Changing a user');
    return this.uow.write(async (m) => {
      const user = await m.findOne(UserEntity, { where: { id }, relations: { team: true } });
      if (!user) {
        throw DomainError.notFound('The user');
      }
      assertNotOwnRoleChange(context.actor, user.id, user.roles, input.roles);
      const before = toUserView(user, user.team);
      const teamId = input.teamId === undefined ? user.teamId : input.teamId;
      const roles = input.roles ?? user.roles;
      const change = changeRoleGrants(user.rolesGrantedBy, user.roles, roles, context.actor.id);
      const problems = checkUserRoles(roles, teamId);
      if (problems.length > 0) {
        throw DomainError.validation(problems);
      }
      const team = await this.findTeam(m, teamId);
      const losesAdmin =
        user.roles.includes('admin') && (!roles.includes('admin') || input.disabled === true);
      if (losesAdmin && (await this.activeAdminCount(m)) <= 1) {
        throw new DomainError(
          'conflict',
          'This is the last active admin: make another admin first.',
          [],
          'keep_one_admin',
        );
      }
      if (
        input.email &&
        input.email !== user.email &&
        (await m.existsBy(UserEntity, { email: input.email }))
      ) {
        throw emailTaken(input.email);
      }
      Object.assign(user, {
        name: input.name ?? user.name,
        email: input.email === undefined ? user.email : input.email,
        teamId: team?.id ?? null,
        roles,
        rolesGrantedBy:
          change.granted.length + change.removed.length > 0 ? change.grants : user.rolesGrantedBy,
        disabledAt:
          input.disabled === undefined
            ? user.disabledAt
            : input.disabled
              ? (user.disabledAt ?? new Date())
              : null,
        updatedAt: new Date(),
      });
      delete user.team;
      await m.save(UserEntity, user);
      const after = toUserView(user, team);
      await this.audit.record(m, context, {
        action: input.disabled === true && !before.disabled ? 'user.disabled' : 'user.updated',
        subjectType: 'user',
        subjectId: user.id,
        before,
        after,
        reason: input.reason,
      });
      if (change.granted.length + change.removed.length > 0) {
        await this.audit.record(m, context, {
          action: 'user.roles_changed',
          subjectType: 'user',
          subjectId: user.id,
          before: { roles: before.roles, rolesGrantedBy: before.rolesGrantedBy },
          after: {
            roles: after.roles,
            rolesGrantedBy: after.rolesGrantedBy,
            granted: change.granted,
            removed: change.removed,
            by: context.actor.id,
          },
          reason: input.reason,
        });
      }
      return after;
    });
  }

  async issueToken(
    context: RequestContext,
    userId: string,
    input: IssueTokenInput,
  ): Promise<IssuedApiTokenView> {
    assertIssuingForSelf(context.actor, userId);
    return this.uow.write(async (m) => {
      const user = await m.findOneBy(UserEntity, { id: userId });
      if (!user) {
        throw DomainError.notFound('The user');
      }
      if (user.disabledAt) {
        throw new DomainError('invalid_state', 'The user is disabled.', [], 'user_disabled');
      }
      return this.storeToken(m, context, userId, input, issueApiToken());
    });
  }

  listTokens(context: RequestContext, userId: string): Promise<ApiTokenView[]> {
    assertSelfOrAdmin(context.actor, userId, 'Listing API tokens');
    return this.uow.read(async (m) =>
      (await m.find(ApiTokenEntity, { where: { userId }, order: { createdAt: 'DESC' } })).map((t) =>
        toApiTokenView(t),
      ),
    );
  }

  async revokeToken(context: RequestContext, tokenId: string, reason?: string): Promise<ApiTokenView> {
    return this.uow.write(async (m) => {
      const token = await m.findOneBy(ApiTokenEntity, { id: tokenId });
      if (!token) {
        throw DomainError.notFound('The API token');
      }
      assertSelfOrAdmin(context.actor, token.userId, 'Revoking an API token');
      const before = toApiTokenView(token);
      if (token.revokedAt) {
        return before;
      }
      token.revokedAt = new Date();
      await m.update(ApiTokenEntity, { id: token.id }, { revokedAt: token.revokedAt });
      const after = toApiTokenView(token);
      await this.audit.record(m, context, {
        action: 'api_token.revoked',
        subjectType: 'api_token',
        subjectId: token.id,
        before,
        after,
        reason,
      });
      return after;
    });
  }

  /**
   * The actor behind a bearer token, or null when the token is unknown, revoked, expired or its user
   * disabled. Read on every request (one hand-written statement, so it stays cheap), never cached: a
   * revocation or a disabled user takes effect on the next request, on every replica.
   */
  async authenticate(rawToken: string): Promise<Actor | null> {
    if (rawToken.length < 20 || rawToken.length > 200) {
      return null;
    }
    const hash = hashApiToken(rawToken);
    return this.uow.read(async (m) => {
      const [row] = await this.uow.rows<{
        user_id: string;
        name: string;
        team_id: string | null;
        roles: unknown;
        revoked_at: unknown;
        expires_at: unknown;
        disabled_at: unknown;
      }>(m, AUTHENTICATE_SQL, [hash]);
      if (!row || rawDateOrNull(row.revoked_at) || rawDateOrNull(row.disabled_at)) {
        return null;
      }
      const expiresAt = rawDateOrNull(row.expires_at);
      if (expiresAt && expiresAt <= new Date()) {
        return null;
      }
      return { id: row.user_id, name: row.name, teamId: row.team_id, roles: rawJson<Role[]>(row.roles) };
    });
  }

  /** Stores a token (generated, or given by the operator for the bootstrap admin) and audits its issue. */
  async storeToken(
    m: EntityManager,
    context: RequestContext,
    userId: string,
    input: IssueTokenInput,
    issued: IssuedToken,
  ): Promise<IssuedApiTokenView> {
    const now = new Date();
    const entity = Object.assign(new ApiTokenEntity(), {
      id: randomUUID(),
      userId,
      name: input.name,
      tokenHash: issued.hash,
      displayPrefix: issued.displayPrefix,
      createdAt: now,
      expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
      revokedAt: null,
    });
    await insertOrConflict(
      m,
      ApiTokenEntity,
      entity,
      () => new DomainError('conflict', 'This token is already in use.'),
    );
    const view = toApiTokenView(entity, now);
    await this.audit.record(m, context, {
      action: 'api_token.issued',
      subjectType: 'api_token',
      subjectId: entity.id,
      after: view,
    });
    return { ...view, token: issued.token };
  }

  private async insertEnrolment(
    m: EntityManager,
    context: RequestContext,
    userId: string,
    note: { revokedTokens?: number; reason?: string } = {},
  ): Promise<IssuedEnrolmentView> {
    const issued = issueEnrolmentToken();
    const now = new Date();
    const entity = Object.assign(new EnrolmentEntity(), {
      id: randomUUID(),
      userId,
      tokenHash: issued.hash,
      displayPrefix: issued.displayPrefix,
      createdBy: context.actor.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.enrolmentTtlHours * 3_600_000),
      usedAt: null,
      apiTokenId: null,
      revokedAt: null,
    });
    await m.insert(EnrolmentEntity, entity);
    const view = toEnrolmentView(entity);
    await this.audit.record(m, context, {
      action: 'enrolment.issued',
      subjectType: 'enrolment',
      subjectId: entity.id,
      // Named so the audit's secret filter (which drops any "token" member) keeps it.
      after: { ...view, ...(note.revokedTokens === undefined ? {} : { revokedCount: note.revokedTokens }) },
      reason: note.reason,
    });
    return { ...view, token: issued.token };
  }

  /** Roles are a JSON list, so the count happens here; there are tens of users, not millions. */
  async activeAdminCount(m: EntityManager): Promise<number> {
    const users = await m.find(UserEntity, {
      where: { disabledAt: IsNull() },
      select: { id: true, roles: true },
    });
    return users.filter((u) => u.roles.includes('admin')).length;
  }

  private async findTeam(m: EntityManager, teamId: string | null): Promise<TeamEntity | null> {
    if (!teamId) {
      return null;
    }
    const team = await m.findOneBy(TeamEntity, { id: teamId });
    if (!team) {
      throw DomainError.validation([
        { field: 'teamId', message: 'is not a known team', code: 'unknown_reference' },
      ]);
    }
    return team;
  }
}

const enrolmentRefused = (refusal: keyof typeof ENROLMENT_REFUSALS) =>
  new DomainError(
    'unauthenticated',
    ENROLMENT_REFUSALS[refusal],
    [{ field: 'token', message: ENROLMENT_REFUSALS[refusal], code: `enrolment_${refusal}` }],
    `enrolment_${refusal}`,
  );

const teamNameTaken = (name: string) =>
  new DomainError('conflict', `A team called "${name}" already exists.`, [
    { field: 'name', message: 'is already taken', code: 'unique' },
  ]);

const emailTaken = (email: string) =>
  new DomainError('conflict', `A user with the email "${email}" already exists.`, [
    { field: 'email', message: 'is already taken', code: 'unique' },
  ]);

/** Inserts a row; a unique violation that slipped past the pre-check (a concurrent insert) becomes a 409. */
async function insertOrConflict<T extends object>(
  m: EntityManager,
  target: new () => T,
  row: T,
  conflict: () => DomainError,
): Promise<void> {
  try {
    await m.insert(target, row as never);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict();
    }
    throw error;
  }
}
