import {
  type Actor,
  assertHasRole,
  assertSelfOrAdmin,
  checkUserRoles,
  DomainError,
  hashApiToken,
  issueApiToken,
  type IssuedToken,
  type Role,
} from '@gatehouse/domain';
import {
  ApiTokenEntity,
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
import { type RequestContext } from '../request-context';
import {
  type ApiTokenView,
  type IssuedApiTokenView,
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
  tokenName?: string;
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

/** Teams, users and API tokens. Every change is audited; token secrets exist only in the response. */
@Injectable()
export class IdentityService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
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

  async createUser(
    context: RequestContext,
    input: CreateUserInput,
  ): Promise<{ user: UserView; token: IssuedApiTokenView }> {
    assertHasRole(context.actor, ['admin'], 'Creating a user');
    return this.uow.write(async (m) => {
      const user = await this.insertUser(m, context, input);
      const token = await this.storeToken(
        m,
        context,
        user.id,
        { name: input.tokenName ?? 'default' },
        issueApiToken(),
      );
      return { user, token };
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
      const before = toUserView(user, user.team);
      const teamId = input.teamId === undefined ? user.teamId : input.teamId;
      const roles = input.roles ?? user.roles;
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
      return after;
    });
  }

  async issueToken(
    context: RequestContext,
    userId: string,
    input: IssueTokenInput,
  ): Promise<IssuedApiTokenView> {
    assertSelfOrAdmin(context.actor, userId, 'Issuing an API token');
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
