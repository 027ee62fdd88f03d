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
  enrolmentRefusal,
  hashApiToken,
  issueApiToken,
  issueEnrolmentToken,
  type IssuedToken,
} from '@gatehouse/domain';
import {
  ApiTokenRepository,
  EnrolmentRepository,
  TeamEntity,
  TeamRepository,
  type Tx,
  UnitOfWork,
  UserRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import {
  type CreateTeamInput,
  type CreateUserInput,
  type ExchangeEnrolmentInput,
  type IssueTokenInput,
  type UpdateUserInput,
} from './identity.inputs';
import {
  emailTaken,
  enrolmentRefused,
  lastActiveAdmin,
  teamNameTaken,
  tokenInUse,
  unknownTeam,
  userDisabled,
} from './identity.refusals';
import { applyUserChange, newApiToken, newEnrolment, newTeam, newUser } from './identity.rows';
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
    private readonly teams: TeamRepository,
    private readonly users: UserRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly enrolments: EnrolmentRepository,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: Pick<GatehouseConfig, 'enrolmentTtlHours'>,
  ) {}

  async createTeam(context: RequestContext, input: CreateTeamInput): Promise<TeamView> {
    assertHasRole(context.actor, ['admin'], 'Creating a team');
    return this.uow.write((tx) => this.insertTeam(tx, context, input));
  }

  /** Creates a team inside the caller's transaction; authorisation is the caller's job. */
  async insertTeam(tx: Tx, context: RequestContext, input: CreateTeamInput): Promise<TeamView> {
    if (await this.teams.existsNamed(tx, input.name)) {
      throw teamNameTaken(input.name);
    }
    const team = newTeam(input);
    if (!(await this.teams.insert(tx, team))) {
      throw teamNameTaken(input.name);
    }
    const view = toTeamView(team);
    await this.audit.record(tx, context, {
      action: 'team.created',
      subjectType: 'team',
      subjectId: team.id,
      after: view,
    });
    return view;
  }

  listTeams(): Promise<TeamView[]> {
    return this.teams.list().then((teams) => teams.map(toTeamView));
  }

  /** A new user and their one-time enrolment token: the admin hands it over; the user exchanges it. */
  async createUser(
    context: RequestContext,
    input: CreateUserInput,
  ): Promise<{ user: UserView; enrolment: IssuedEnrolmentView }> {
    assertHasRole(context.actor, ['admin'], 'Creating a user');
    return this.uow.write(async (tx) => {
      const user = await this.insertUser(tx, context, input);
      const enrolment = await this.insertEnrolment(tx, context, user.id);
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
    return this.uow.write(async (tx) => {
      const user = await this.users.findById(tx, userId);
      if (!user) {
        throw DomainError.notFound('The user');
      }
      if (user.disabledAt) {
        throw userDisabled();
      }
      const now = new Date();
      const tokens = await this.tokens.unrevokedOf(tx, userId);
      for (const token of tokens) {
        const before = toApiTokenView(token, now);
        token.revokedAt = now;
        await this.tokens.revoke(tx, token.id, now);
        await this.audit.record(tx, context, {
          action: 'api_token.revoked',
          subjectType: 'api_token',
          subjectId: token.id,
          before,
          after: toApiTokenView(token, now),
          reason: reason ?? 'A new enrolment was issued for the user.',
        });
      }
      for (const enrolment of await this.enrolments.openOf(tx, userId)) {
        await this.enrolments.revoke(tx, enrolment.id, now);
        await this.audit.record(tx, context, {
          action: 'enrolment.revoked',
          subjectType: 'enrolment',
          subjectId: enrolment.id,
          after: { ...toEnrolmentView(enrolment), revokedAt: now.toISOString() },
          reason: 'Replaced by a new enrolment.',
        });
      }
      const enrolment = await this.insertEnrolment(tx, context, userId, {
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
    return this.uow.write(async (tx) => {
      const now = new Date();
      const enrolment =
        input.token.length >= 20 && input.token.length <= 200
          ? await this.enrolments.findByHash(tx, hashApiToken(input.token))
          : null;
      const user = enrolment ? await this.users.findWithTeam(tx, enrolment.userId) : null;
      const refusal = enrolmentRefusal(user ? enrolment : null, Boolean(user?.disabledAt), now);
      if (refusal || !enrolment || !user) {
        throw enrolmentRefused(refusal ?? 'unknown');
      }
      if (!(await this.enrolments.spend(tx, enrolment.id, now))) {
        throw enrolmentRefused('used');
      }
      const context: RequestContext = {
        actor: { id: user.id, name: user.name, teamId: user.teamId, roles: user.roles },
        requestId,
      };
      const token = await this.storeToken(
        tx,
        context,
        user.id,
        { name: input.tokenName ?? 'default', expiresInDays: input.expiresInDays },
        issueApiToken(),
      );
      await this.enrolments.linkToken(tx, enrolment.id, token.id);
      await this.audit.record(tx, context, {
        action: 'enrolment.exchanged',
        subjectType: 'enrolment',
        subjectId: enrolment.id,
        after: { ...toEnrolmentView(enrolment), usedAt: now.toISOString(), issuedApiId: token.id },
      });
      return { user: toUserView(user, user.team), token };
    });
  }

  /** Creates a user inside the caller's transaction; authorisation is the caller's job. */
  async insertUser(tx: Tx, context: RequestContext, input: CreateUserInput): Promise<UserView> {
    const problems = checkUserRoles(input.roles, input.teamId ?? null);
    if (problems.length > 0) {
      throw DomainError.validation(problems);
    }
    const team = await this.findTeam(tx, input.teamId ?? null);
    if (input.email && (await this.users.emailTaken(tx, input.email))) {
      throw emailTaken(input.email);
    }
    const user = newUser(input, team?.id ?? null, context.actor.id);
    if (!(await this.users.insert(tx, user))) {
      throw emailTaken(input.email ?? '');
    }
    const view = toUserView(user, team);
    await this.audit.record(tx, context, {
      action: 'user.created',
      subjectType: 'user',
      subjectId: user.id,
      after: view,
    });
    return view;
  }

  listUsers(limit: number, offset: number): Promise<{ items: UserView[]; total: number }> {
    return this.users
      .page(limit, offset)
      .then(({ items, total }) => ({ items: items.map((u) => toUserView(u, u.team)), total }));
  }

  getUser(id: string): Promise<UserView> {
    return this.uow.read(async (tx) => {
      const user = await this.users.findWithTeam(tx, id);
      if (!user) {
        throw DomainError.notFound('The user');
      }
      return toUserView(user, user.team);
    });
  }

  async updateUser(context: RequestContext, id: string, input: UpdateUserInput): Promise<UserView> {
    assertHasRole(context.actor, ['admin'], 'Changing a user');
    return this.uow.write(async (tx) => {
      const user = await this.users.findWithTeam(tx, id);
      if (!user) {
        throw DomainError.notFound('The user');
      }
      assertNotOwnRoleChange(context.actor, user.id, user.roles, input.roles);
      const before = toUserView(user, user.team);
      const teamId = input.teamId === undefined ? user.teamId : input.teamId;
      const roles = input.roles ?? user.roles;
      const change = changeRoleGrants(user.rolesGrantedBy, user.roles, roles, context.actor.id);
      // A user the identity provider provisioned may hold no role yet: an admin can still change or disable
      // them without granting one (only a change of roles must leave at least one).
      const problems = checkUserRoles(roles, teamId).filter(
        (p) => input.roles !== undefined || p.code !== 'required' || p.field !== 'roles',
      );
      if (problems.length > 0) {
        throw DomainError.validation(problems);
      }
      const team = await this.findTeam(tx, teamId);
      const losesAdmin =
        user.roles.includes('admin') && (!roles.includes('admin') || input.disabled === true);
      if (losesAdmin && (await this.users.activeAdminCount(tx)) <= 1) {
        throw lastActiveAdmin();
      }
      if (input.email && input.email !== user.email && (await this.users.emailTaken(tx, input.email))) {
        throw emailTaken(input.email);
      }
      applyUserChange(user, input, team?.id ?? null, roles, change, context.actor.id);
      await this.users.save(tx, user);
      const after = toUserView(user, team);
      await this.audit.record(tx, context, {
        action: input.disabled === true && !before.disabled ? 'user.disabled' : 'user.updated',
        subjectType: 'user',
        subjectId: user.id,
        before,
        after,
        reason: input.reason,
      });
      if (change.granted.length + change.removed.length > 0) {
        await this.audit.record(tx, context, {
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
    return this.uow.write(async (tx) => {
      const user = await this.users.findById(tx, userId);
      if (!user) {
        throw DomainError.notFound('The user');
      }
      if (user.disabledAt) {
        throw userDisabled();
      }
      return this.storeToken(tx, context, userId, input, issueApiToken());
    });
  }

  listTokens(context: RequestContext, userId: string): Promise<ApiTokenView[]> {
    assertSelfOrAdmin(context.actor, userId, 'Listing API tokens');
    return this.tokens.listOf(userId).then((tokens) => tokens.map((t) => toApiTokenView(t)));
  }

  async revokeToken(context: RequestContext, tokenId: string, reason?: string): Promise<ApiTokenView> {
    return this.uow.write(async (tx) => {
      const token = await this.tokens.findById(tx, tokenId);
      if (!token) {
        throw DomainError.notFound('The API token');
      }
      assertSelfOrAdmin(context.actor, token.userId, 'Revoking an API token');
      const before = toApiTokenView(token);
      if (token.revokedAt) {
        return before;
      }
      token.revokedAt = new Date();
      await this.tokens.revoke(tx, token.id, token.revokedAt);
      const after = toApiTokenView(token);
      await this.audit.record(tx, context, {
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
    const holder = await this.tokens.holder(hashApiToken(rawToken));
    if (!holder || holder.revokedAt || holder.disabledAt) {
      return null;
    }
    if (holder.expiresAt && holder.expiresAt <= new Date()) {
      return null;
    }
    return {
      id: holder.userId,
      name: holder.name,
      teamId: holder.teamId,
      roles: holder.roles,
      signedInVia: 'api_token',
    };
  }

  /** Stores a token (generated, or given by the operator for the bootstrap admin) and audits its issue. */
  async storeToken(
    tx: Tx,
    context: RequestContext,
    userId: string,
    input: IssueTokenInput,
    issued: IssuedToken,
  ): Promise<IssuedApiTokenView> {
    const now = new Date();
    const entity = newApiToken(userId, input, issued, now);
    if (!(await this.tokens.insert(tx, entity))) {
      throw tokenInUse();
    }
    const view = toApiTokenView(entity, now);
    await this.audit.record(tx, context, {
      action: 'api_token.issued',
      subjectType: 'api_token',
      subjectId: entity.id,
      after: view,
    });
    return { ...view, token: issued.token };
  }

  private async insertEnrolment(
    tx: Tx,
    context: RequestContext,
    userId: string,
    note: { revokedTokens?: number; reason?: string } = {},
  ): Promise<IssuedEnrolmentView> {
    const issued = issueEnrolmentToken();
    const entity = newEnrolment(userId, issued, context.actor.id, this.config.enrolmentTtlHours);
    await this.enrolments.insert(tx, entity);
    const view = toEnrolmentView(entity);
    await this.audit.record(tx, context, {
      action: 'enrolment.issued',
      subjectType: 'enrolment',
      subjectId: entity.id,
      // Named so the audit's secret filter (which drops any "token" member) keeps it.
      after: { ...view, ...(note.revokedTokens === undefined ? {} : { revokedCount: note.revokedTokens }) },
      reason: note.reason,
    });
    return { ...view, token: issued.token };
  }

  private async findTeam(tx: Tx, teamId: string | null): Promise<TeamEntity | null> {
    if (!teamId) {
      return null;
    }
    const team = await this.teams.findById(tx, teamId);
    if (!team) {
      throw unknownTeam();
    }
    return team;
  }
}
