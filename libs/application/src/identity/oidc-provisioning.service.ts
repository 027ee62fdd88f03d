import { type OidcConfig } from '@gatehouse/config';
import {
  type Actor,
  checkUserRoles,
  OIDC_GRANTOR,
  rolesFromGroups,
  syncProviderRoles,
  syncProviderTeam,
} from '@gatehouse/domain';
import {
  OidcSignInRepository,
  TeamRepository,
  type Tx,
  UserEntity,
  UserRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { type Claims, displayName, groupsOf, verifiedEmail } from './oidc-claims';
import { OidcSignInRefused } from './oidc-refusals';
import { type WebSession, WebSessionsService } from './web-sessions.service';

/**
 * People signing in through the identity provider: found by issuer and subject or created (never joined to
 * an account by e-mail), their roles and team brought in line with their groups at every sign-in (see
 * syncProviderRoles and syncProviderTeam), each change audited, and a page session opened (`via: oidc`).
 */
@Injectable()
export class OidcProvisioningService {
  constructor(
    private readonly signIns: OidcSignInRepository,
    private readonly users: UserRepository,
    private readonly teams: TeamRepository,
    private readonly sessions: WebSessionsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Finds or creates the user, syncs roles and team from the groups, and opens the session (which keeps
   * the provider's ID token, sealed, for signing out there too).
   */
  async provision(
    tx: Tx,
    oidc: OidcConfig,
    claims: Claims,
    requestId: string | null,
    idToken: string | null = null,
  ): Promise<{ secret: string; session: WebSession }> {
    const subject = claims['sub'] as string;
    const groups = groupsOf(claims[oidc.groupsClaim]);
    const mapped = rolesFromGroups(groups, oidc.roleMap, oidc.teamMap);
    if (mapped.teamNames.length > 1) {
      throw new OidcSignInRefused('team_ambiguous', mapped.teamNames.join(', '));
    }
    const mappedTeam = mapped.teamNames[0] ? await this.teams.findByName(tx, mapped.teamNames[0]) : undefined;
    if (mappedTeam === null) {
      throw new OidcSignInRefused('team_unknown', mapped.teamNames[0]);
    }
    let user = await this.signIns.userBySubject(tx, oidc.issuer, subject);
    if (user?.disabledAt) {
      throw new OidcSignInRefused('user_disabled');
    }
    const now = new Date();
    if (!user) {
      const email = verifiedEmail(claims, oidc.trustedEmailDomains);
      if (email && (await this.signIns.emailHeld(tx, email))) {
        throw new OidcSignInRefused('email_taken');
      }
      user = Object.assign(new UserEntity(), {
        id: randomUUID(),
        name: displayName(claims, subject),
        email,
        teamId: mappedTeam?.id ?? null,
        teamSetBy: mappedTeam ? OIDC_GRANTOR : null,
        roles: [],
        rolesGrantedBy: {},
        oidcIssuer: oidc.issuer,
        oidcSubject: subject,
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
      });
      if (!(await this.users.insert(tx, user))) {
        // A concurrent first sign-in of the same person, or the address taken meanwhile.
        throw new OidcSignInRefused('email_taken');
      }
      await this.audit.record(
        tx,
        { actor: actorOf(user), requestId },
        {
          action: 'user.provisioned',
          subjectType: 'user',
          subjectId: user.id,
          after: {
            name: user.name,
            email: user.email,
            teamId: user.teamId,
            issuer: oidc.issuer,
            subject,
          },
        },
      );
    }
    const before = { roles: [...user.roles], rolesGrantedBy: user.rolesGrantedBy, teamId: user.teamId };
    const sync = syncProviderRoles(user.roles, user.rolesGrantedBy, mapped.roles);
    const team = syncProviderTeam(user, mappedTeam?.id ?? null);
    const teamId = team.teamId;
    const problems = checkUserRoles(sync.roles, teamId).filter(
      (p) => p.code !== 'required' || p.field !== 'roles',
    );
    if (problems.length > 0) {
      throw new OidcSignInRefused('team_required');
    }
    if (sync.granted.length + sync.removed.length > 0 || teamId !== user.teamId) {
      Object.assign(user, {
        roles: sync.roles,
        rolesGrantedBy: sync.grants,
        teamId,
        teamSetBy: team.teamSetBy,
        updatedAt: now,
      });
      delete user.team;
      await this.users.save(tx, user);
      await this.audit.record(
        tx,
        { actor: actorOf(user), requestId },
        {
          action: 'user.roles_synced',
          subjectType: 'user',
          subjectId: user.id,
          before,
          after: {
            roles: sync.roles,
            rolesGrantedBy: sync.grants,
            teamId,
            granted: sync.granted,
            removed: sync.removed,
            by: OIDC_GRANTOR,
          },
          reason: 'Roles and team follow the identity provider groups at each sign-in.',
        },
      );
    }
    return this.sessions.openOidcSession(tx, user, requestId, { issuer: oidc.issuer, idToken });
  }
}

function actorOf(user: UserEntity): Actor {
  return { id: user.id, name: user.name, teamId: user.teamId, roles: user.roles, signedInVia: 'oidc' };
}
