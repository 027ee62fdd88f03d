import { type GatehouseConfig, type OidcClientAuth, type OidcConfig } from '@gatehouse/config';
import {
  type Actor,
  checkUserRoles,
  OIDC_GRANTOR,
  rolesFromGroups,
  sha256Hex,
  syncProviderRoles,
  syncProviderTeam,
} from '@gatehouse/domain';
import {
  OidcSignInEntity,
  OidcSignInRepository,
  TeamRepository,
  type Tx,
  UnitOfWork,
  UserEntity,
  UserRepository,
} from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { createPrivateKey, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type WebSession, WebSessionsService } from './web-sessions.service';

/** How long a browser has between leaving for the identity provider and coming back. */
export const OIDC_SIGN_IN_MINUTES = 10;
/** Discovery is read again after this long (keys rotate on their own: openid-client refetches the JWKS). */
const DISCOVERY_TTL_MS = 6 * 3_600_000;

/** Why a sign-in through the identity provider was refused: the status and what to tell the person. */
export const OIDC_REFUSALS = {
  provider_error: { status: 401, message: 'The identity provider did not sign you in' },
  no_pending_sign_in: {
    status: 400,
    message:
      'This sign-in was not started from this browser, was already used, or took longer than 10 minutes',
  },
  state_mismatch: {
    status: 400,
    message: 'The answer from the identity provider does not belong to the sign-in this browser started',
  },
  token_refused: {
    status: 401,
    message:
      'The identity provider refused to complete the sign-in (its one-time code may have been used already)',
  },
  id_token_wrong_audience: {
    status: 401,
    message: 'The identity provider’s answer was issued for another application',
  },
  id_token_expired: { status: 401, message: 'The identity provider’s answer had expired' },
  id_token_invalid: { status: 401, message: 'The identity provider’s answer could not be verified' },
  provider_unreachable: {
    status: 502,
    message: 'Gatehouse could not reach the identity provider, or did not understand its answer',
  },
  user_disabled: {
    status: 403,
    message: 'Your Gatehouse account is disabled: ask a Gatehouse administrator if you need it again',
  },
  email_taken: {
    status: 409,
    message:
      'Another Gatehouse account already uses your e-mail address, so Gatehouse did not create a second one or join them: ask a Gatehouse administrator to sort out your accounts, then sign in again',
  },
  team_unknown: {
    status: 409,
    message:
      'Your identity provider groups name a team Gatehouse does not have: ask a Gatehouse administrator to create it or correct the team mapping',
  },
  team_ambiguous: {
    status: 409,
    message:
      'Your identity provider groups name more than one Gatehouse team: ask a Gatehouse administrator which team you belong to',
  },
  team_required: {
    status: 409,
    message:
      'Your identity provider groups give you a team role but no team: ask a Gatehouse administrator to map your team group or set your team',
  },
} as const;

export type OidcRefusalReason = keyof typeof OIDC_REFUSALS;

/** A refused sign-in: the controller shows the message with a way to sign in again. Never holds a token. */
export class OidcSignInRefused extends Error {
  readonly status: number;

  constructor(
    readonly reason: OidcRefusalReason,
    /** A short, safe detail (an OAuth error code, a claim name). */
    readonly detail: string | null = null,
  ) {
    super(`${OIDC_REFUSALS[reason].message}${detail ? ` (${detail})` : ''}.`);
    this.name = 'OidcSignInRefused';
    this.status = OIDC_REFUSALS[reason].status;
  }
}

/** Who is named in the audit log for a refused sign-in whose person is not known. */
const SIGN_IN_ACTOR: Actor = { id: 'anonymous', name: 'Someone signing in', teamId: null, roles: [] };

type Claims = Record<string, unknown>;

/**
 * Sign-in through the organisation's OpenID Connect provider: authorisation code with PKCE (S256), `state`
 * and `nonce` kept in a single-use row keyed by the sha256 of a cookie secret, and openid-client
 * validating the ID token (signature, issuer, audience, expiry, nonce). People are provisioned on first
 * sign-in; their roles and team follow the configured group mappings at every sign-in.
 */
@Injectable()
export class OidcSignInService {
  private readonly logger = new Logger('OidcSignIn');
  private discovered: { at: number; config: Promise<OpenIdClient.Configuration> } | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly signIns: OidcSignInRepository,
    private readonly users: UserRepository,
    private readonly teams: TeamRepository,
    private readonly sessions: WebSessionsService,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: Pick<GatehouseConfig, 'oidc' | 'http'>,
  ) {}

  get enabled(): boolean {
    return this.config.oidc !== null;
  }

  get buttonText(): string | null {
    return this.config.oidc?.buttonText ?? null;
  }

  /** Where the provider sends the browser back: registered at the provider as the redirect URI. */
  get redirectUri(): string {
    return `${this.config.http.publicUrl}/sign-in/oidc/callback`;
  }

  /**
   * Starts a sign-in: stores the pending row and answers the URL to send the browser to and the secret its
   * cookie holds.
   */
  async start(
    returnTo: string,
    requestId: string | null,
  ): Promise<{ cookieSecret: string; redirectTo: string; maxAgeMs: number }> {
    const oidc = this.settings();
    const client = await openIdClient();
    const configuration = await this.configuration(requestId);
    const codeVerifier = client.randomPKCECodeVerifier();
    const row = Object.assign(new OidcSignInEntity(), {
      id: '',
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      returnTo: returnTo.slice(0, 500),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + OIDC_SIGN_IN_MINUTES * 60_000),
    });
    const cookieSecret = randomBytes(32).toString('base64url');
    row.id = sha256Hex(cookieSecret);
    await this.uow.write(async (tx) => {
      await this.signIns.deleteExpired(tx, new Date());
      await this.signIns.insert(tx, row);
    });
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: oidc.scopes.join(' '),
      state: row.state,
      nonce: row.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { cookieSecret, redirectTo: url.href, maxAgeMs: OIDC_SIGN_IN_MINUTES * 60_000 };
  }

  /**
   * Completes a sign-in from the provider's answer (the callback's query string): spends the pending row,
   * exchanges the code, provisions the user and opens a session. Refusals are audited and thrown as
   * OidcSignInRefused.
   */
  async finish(
    cookieSecret: string | undefined,
    query: URLSearchParams,
    requestId: string | null,
  ): Promise<{ secret: string; session: WebSession; returnTo: string }> {
    const oidc = this.settings();
    let pendingId: string | null = null;
    let subject: string | null = null;
    try {
      const pending =
        cookieSecret && cookieSecret.length <= 100
          ? await this.uow.write((tx) => this.signIns.take(tx, sha256Hex(cookieSecret)))
          : null;
      pendingId = pending?.id ?? null;
      const providerError = query.get('error');
      if (providerError !== null) {
        throw new OidcSignInRefused('provider_error', safeCode(providerError));
      }
      if (!pending || pending.expiresAt <= new Date()) {
        throw new OidcSignInRefused('no_pending_sign_in');
      }
      if (query.get('state') !== pending.state) {
        throw new OidcSignInRefused('state_mismatch');
      }
      const claims = await this.exchange(query, pending, requestId);
      subject = typeof claims['sub'] === 'string' ? claims['sub'] : null;
      const opened = await this.uow.write((tx) => this.provision(tx, oidc, claims, requestId));
      return { ...opened, returnTo: pending.returnTo };
    } catch (error) {
      if (error instanceof OidcSignInRefused) {
        await this.recordRefusal(error, { pendingId, subject, issuer: oidc.issuer }, requestId);
      }
      throw error;
    }
  }

  /** The code for tokens; the ID token validated; the claims (userinfo merged under the ID token's). */
  private async exchange(
    query: URLSearchParams,
    pending: OidcSignInEntity,
    requestId: string | null,
  ): Promise<Claims> {
    const client = await openIdClient();
    const configuration = await this.configuration(requestId);
    const currentUrl = new URL(this.redirectUri);
    currentUrl.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.classify(client, error);
    }
    const idClaims = tokens.claims() as Claims | undefined;
    if (!idClaims || typeof idClaims['sub'] !== 'string') {
      throw new OidcSignInRefused('id_token_invalid', 'no subject');
    }
    // OpenID Connect Core 1.0 §2: `sub` MUST NOT exceed 255 ASCII characters (and the column holds 255).
    if (idClaims['sub'].length === 0 || idClaims['sub'].length > 255) {
      throw new OidcSignInRefused('id_token_invalid', 'claim sub');
    }
    let userinfo: Claims = {};
    if (configuration.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        userinfo = (await client.fetchUserInfo(
          configuration,
          tokens.access_token,
          idClaims['sub'],
        )) as Claims;
      } catch (error) {
        this.logger.warn(
          `userinfo could not be read, signing in with the ID token's claims alone: ${describe(error)}`,
        );
      }
    }
    return { ...userinfo, ...idClaims };
  }

  /** Finds or creates the user, syncs roles and team from the groups, and opens the session. */
  private async provision(
    tx: Tx,
    oidc: OidcConfig,
    claims: Claims,
    requestId: string | null,
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
    return this.sessions.openOidcSession(tx, user, requestId, { issuer: oidc.issuer });
  }

  private async recordRefusal(
    refusal: OidcSignInRefused,
    about: { pendingId: string | null; subject: string | null; issuer: string },
    requestId: string | null,
  ): Promise<void> {
    try {
      await this.uow.write((tx) =>
        this.audit.record(
          tx,
          { actor: SIGN_IN_ACTOR, requestId },
          {
            action: 'web_session.refused',
            subjectType: 'oidc_sign_in',
            subjectId: about.pendingId ?? 'none',
            after: {
              via: 'oidc',
              reason: refusal.reason,
              detail: refusal.detail,
              issuer: about.issuer,
              subject: about.subject,
            },
            reason: refusal.message,
          },
        ),
      );
    } catch (error) {
      this.logger.error(`could not audit a refused sign-in (${refusal.reason}): ${describe(error)}`);
    }
  }

  /** Turns openid-client's errors into refusals that say what went wrong, without tokens or codes. */
  private classify(client: typeof OpenIdClient, error: unknown): OidcSignInRefused {
    if (error instanceof client.ResponseBodyError) {
      return new OidcSignInRefused('token_refused', safeCode(error.error));
    }
    if (error instanceof client.AuthorizationResponseError) {
      return new OidcSignInRefused('provider_error', safeCode(error.error));
    }
    const code = (error as { code?: unknown }).code;
    const claim = claimOf(error);
    if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'aud') {
      return new OidcSignInRefused('id_token_wrong_audience');
    }
    if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && claim === 'exp') {
      return new OidcSignInRefused('id_token_expired');
    }
    if (typeof code === 'string' && /JWT|JWS|KEY_SELECTION|SIGNATURE/.test(code)) {
      this.logger.warn(`ID token refused: ${describe(error)}`);
      return new OidcSignInRefused('id_token_invalid', claim ? `claim ${claim}` : null);
    }
    this.logger.warn(`token exchange failed: ${describe(error)}`);
    return new OidcSignInRefused('provider_unreachable');
  }

  private settings(): OidcConfig {
    if (!this.config.oidc) {
      throw new Error('No identity provider is configured (GATEHOUSE_OIDC_ISSUER)');
    }
    return this.config.oidc;
  }

  /** The provider's discovered configuration, cached; a failure is not cached, so the next try retries. */
  private async configuration(requestId: string | null): Promise<OpenIdClient.Configuration> {
    if (!this.discovered || Date.now() - this.discovered.at > DISCOVERY_TTL_MS) {
      const oidc = this.settings();
      const attempt = this.discover(oidc);
      this.discovered = { at: Date.now(), config: attempt };
      attempt.catch(() => {
        if (this.discovered?.config === attempt) {
          this.discovered = null;
        }
      });
    }
    try {
      return await this.discovered.config;
    } catch (error) {
      this.logger.error(
        `identity provider discovery failed for ${this.settings().issuer} (request ${requestId ?? '-'}): ${describe(error)}`,
      );
      throw new OidcSignInRefused('provider_unreachable');
    }
  }

  private async discover(oidc: OidcConfig): Promise<OpenIdClient.Configuration> {
    const client = await openIdClient();
    const auth = await clientAuthentication(client, oidc.clientAuth);
    return client.discovery(new URL(oidc.issuer), oidc.clientId, undefined, auth, {
      timeout: 10,
      execute: oidc.allowHttp ? [client.allowInsecureRequests] : [],
    });
  }
}

/** openid-client ships only ES modules: loaded with import() (Node 20.19+ and Jest both manage). */
function openIdClient(): Promise<typeof OpenIdClient> {
  return import('openid-client');
}

async function clientAuthentication(
  client: typeof OpenIdClient,
  auth: OidcClientAuth,
): Promise<OpenIdClient.ClientAuth> {
  if (auth.kind === 'client_secret') {
    return client.ClientSecretPost(auth.secret.reveal());
  }
  const text = auth.key.reveal();
  const keyObject =
    auth.format === 'jwk'
      ? createPrivateKey({ key: JSON.parse(text) as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPrivateKey(text);
  const algorithm = {
    RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    ES256: { name: 'ECDSA', namedCurve: 'P-256' },
    ES384: { name: 'ECDSA', namedCurve: 'P-384' },
    ES512: { name: 'ECDSA', namedCurve: 'P-521' },
    EdDSA: { name: 'Ed25519' },
  }[auth.algorithm];
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    keyObject.export({ type: 'pkcs8', format: 'der' }),
    algorithm,
    false,
    ['sign'],
  );
  const thumbprints = auth.thumbprints;
  return client.PrivateKeyJwt(auth.keyId ? { key, kid: auth.keyId } : key, {
    [client.modifyAssertion]: (header) => {
      Object.assign(header, thumbprints);
    },
  });
}

function actorOf(user: UserEntity): Actor {
  return { id: user.id, name: user.name, teamId: user.teamId, roles: user.roles, signedInVia: 'oidc' };
}

/** The groups claim as a list of strings (a single string counts as one group; anything else as none). */
function groupsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return list.filter((g): g is string => typeof g === 'string' && g.length <= 255).slice(0, 1000);
}

/**
 * The e-mail address, only when the provider says it verified it, or when it is in a domain the operator
 * says the provider's tenant owns (GATEHOUSE_OIDC_EMAIL_DOMAINS: Entra ID sends no `email_verified`).
 */
function verifiedEmail(claims: Claims, trustedDomains: readonly string[]): string | null {
  const email = claims['email'];
  if (typeof email !== 'string') {
    return null;
  }
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(trimmed)) {
    return null;
  }
  const domain = trimmed.slice(trimmed.lastIndexOf('@') + 1);
  // A trusted domain stands in for a missing `email_verified` (Entra ID), never for a provider's explicit
  // `false`: an unverified address could otherwise squat a colleague's and refuse them their own account.
  const verified = claims['email_verified'];
  return verified === true || (verified === undefined && trustedDomains.includes(domain)) ? trimmed : null;
}

function displayName(claims: Claims, subject: string): string {
  for (const key of ['name', 'preferred_username', 'email']) {
    const value = claims[key];
    if (typeof value === 'string' && value.trim()) {
      return value.trim().slice(0, 120);
    }
  }
  return `User ${subject.slice(0, 60)}`;
}

/** An OAuth error code as it may be shown and logged: short, and only the characters such codes use. */
function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,60}$/.test(value) ? value : 'unknown_error';
}

/** The claim an oauth4webapi check failed on (`aud`, `exp`, …), from the error's cause chain. */
function claimOf(error: unknown): string | null {
  let cause: unknown = error;
  for (let depth = 0; depth < 3 && cause && typeof cause === 'object'; depth++) {
    const claim = (cause as { claim?: unknown }).claim;
    if (typeof claim === 'string') {
      return /^\w{1,30}$/.test(claim) ? claim : null;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

/** An error for the log: its name, code and message (never a response body, which may hold a token). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error).slice(0, 200);
  }
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? `; cause: ${error.cause.message}` : '';
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}${cause}`.slice(0, 500);
}
