import { type GatehouseConfig } from '@gatehouse/config';
import { type Actor, hashApiToken, sha256Hex } from '@gatehouse/domain';
import {
  ApiTokenRepository,
  type Tx,
  UnitOfWork,
  WebSessionEntity,
  WebSessionRepository,
} from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { SecretBox } from '../connections/secret-box';
import { InjectConfig } from '../gatehouse-config.module';

/** How long a browser stays signed in (it also ends when its API token is revoked or expires). */
export const WEB_SESSION_HOURS = 8;

/** An ID token longer than this is not kept (no provider's end-session URL would take it as a hint). */
const MAX_KEPT_ID_TOKEN_CHARS = 16_384;

export interface WebSession {
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
}

/** A session just ended: how it was opened and, for a provider session, the ID token to end the provider's. */
export interface EndedWebSession {
  actor: Actor;
  via: 'api_token' | 'oidc';
  /** The provider's ID token (for `id_token_hint`); null for token sessions or when none was kept. */
  idToken: string | null;
}

/**
 * Browser sessions for the web pages: signing in with an API token opens one; the cookie carries only a
 * random secret (its sha256 is stored), and every request re-checks the token and the user behind it.
 */
@Injectable()
export class WebSessionsService {
  private readonly logger = new Logger('WebSessions');
  private readonly box: SecretBox;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: ApiTokenRepository,
    private readonly sessions: WebSessionRepository,
    private readonly audit: AuditService,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.box = SecretBox.fromConfig(config);
  }

  /** Opens a session for a valid API token; null when the token is unknown, revoked, expired or disabled. */
  async signIn(
    rawToken: string,
    requestId: string | null,
  ): Promise<{ secret: string; session: WebSession } | null> {
    const token = rawToken.trim();
    if (token.length < 20 || token.length > 200) {
      return null;
    }
    return this.uow.write(async (tx) => {
      const row = await this.tokens.findByHashWithUser(tx, hashApiToken(token));
      const now = new Date();
      if (!row?.user || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || row.user.disabledAt) {
        return null;
      }
      await this.sessions.deleteExpired(tx, now);
      const secret = randomBytes(32).toString('base64url');
      const hours = WEB_SESSION_HOURS * 3_600_000;
      const expiresAt = new Date(Math.min(now.getTime() + hours, row.expiresAt?.getTime() ?? Infinity));
      const session = Object.assign(new WebSessionEntity(), {
        id: sha256Hex(secret),
        userId: row.user.id,
        tokenId: row.id,
        via: 'api_token' as const,
        csrfToken: randomBytes(32).toString('base64url'),
        idTokenSealed: null,
        createdAt: now,
        expiresAt,
      });
      await this.sessions.insert(tx, session);
      const actor: Actor = {
        id: row.user.id,
        name: row.user.name,
        teamId: row.user.teamId,
        roles: row.user.roles,
        signedInVia: 'api_token',
      };
      await this.audit.record(
        tx,
        { actor, requestId },
        {
          action: 'web_session.started',
          subjectType: 'user',
          subjectId: actor.id,
          after: {
            via: 'api_token',
            tokenId: row.id,
            tokenPrefix: row.displayPrefix,
            expiresAt: expiresAt.toISOString(),
          },
        },
      );
      return { secret, session: { actor, csrfToken: session.csrfToken, expiresAt } };
    });
  }

  /**
   * Opens a session for a user the identity provider just vouched for (the caller checked the user may sign
   * in), inside the caller's transaction, so provisioning, role changes and the session commit together.
   * The provider's ID token is kept sealed with the session, to sign out at the provider later.
   */
  async openOidcSession(
    tx: Tx,
    user: { id: string; name: string; teamId: string | null; roles: Actor['roles'] },
    requestId: string | null,
    note: { issuer: string; idToken: string | null },
  ): Promise<{ secret: string; session: WebSession }> {
    const now = new Date();
    await this.sessions.deleteExpired(tx, now);
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + WEB_SESSION_HOURS * 3_600_000);
    const id = sha256Hex(secret);
    const session = Object.assign(new WebSessionEntity(), {
      id,
      userId: user.id,
      tokenId: null,
      via: 'oidc' as const,
      csrfToken: randomBytes(32).toString('base64url'),
      idTokenSealed: note.idToken ? this.sealIdToken(note.idToken, id) : null,
      createdAt: now,
      expiresAt,
    });
    await this.sessions.insert(tx, session);
    const actor: Actor = {
      id: user.id,
      name: user.name,
      teamId: user.teamId,
      roles: user.roles,
      signedInVia: 'oidc',
    };
    await this.audit.record(
      tx,
      { actor, requestId },
      {
        action: 'web_session.started',
        subjectType: 'user',
        subjectId: actor.id,
        after: { via: 'oidc', issuer: note.issuer, expiresAt: expiresAt.toISOString() },
      },
    );
    return { secret, session: { actor, csrfToken: session.csrfToken, expiresAt } };
  }

  /** The session behind a cookie's secret, or null (unknown, expired, token revoked or expired, user disabled). */
  async resolve(secret: string | undefined): Promise<WebSession | null> {
    return (await this.lookup(secret))?.session ?? null;
  }

  /**
   * Ends the session behind a cookie's secret (its row, and the ID token kept with it, deleted); answers
   * what the sign-out needs to end the provider's session too, or null when there was no live session.
   */
  async signOut(secret: string | undefined, requestId: string | null): Promise<EndedWebSession | null> {
    const found = await this.lookup(secret);
    if (!secret || !found) {
      if (secret && secret.length <= 100) {
        // A session that no longer counts (its user disabled, its token revoked, expired) is deleted too,
        // with the ID token kept with it: a user enabled again within the session's 8 hours must not find a
        // copied cookie working again. It cannot be used, so deleting it needs no CSRF token.
        await this.uow.write((tx) => this.sessions.delete(tx, sha256Hex(secret)));
      }
      return null;
    }
    const { row, session } = found;
    await this.uow.write(async (tx) => {
      await this.sessions.delete(tx, row.id);
      await this.audit.record(
        tx,
        { actor: session.actor, requestId },
        {
          action: 'web_session.ended',
          subjectType: 'user',
          subjectId: session.actor.id,
        },
      );
    });
    return {
      actor: session.actor,
      via: row.via,
      idToken: row.via === 'oidc' && row.idTokenSealed ? this.openIdToken(row.idTokenSealed, row.id) : null,
    };
  }

  private async lookup(
    secret: string | undefined,
  ): Promise<{ row: WebSessionEntity; session: WebSession } | null> {
    if (!secret || secret.length > 100) {
      return null;
    }
    const row = await this.sessions.findWithHolder(sha256Hex(secret));
    const now = new Date();
    const user = row?.user;
    if (!row || row.expiresAt <= now || !user || user.disabledAt) {
      return null;
    }
    if (row.via === 'api_token') {
      // A token session ends with its token: revoked, expired or gone.
      const token = row.token;
      if (
        !token ||
        token.userId !== user.id ||
        token.revokedAt ||
        (token.expiresAt && token.expiresAt <= now)
      ) {
        return null;
      }
    }
    return {
      row,
      session: {
        actor: {
          id: user.id,
          name: user.name,
          teamId: user.teamId,
          roles: user.roles,
          signedInVia: row.via,
        },
        csrfToken: row.csrfToken,
        expiresAt: row.expiresAt,
      },
    };
  }

  /**
   * The ID token sealed under the server's secrets key, bound to the session's id; null (not kept) when the
   * server has no key: signing out at the provider then goes without `id_token_hint`.
   */
  private sealIdToken(idToken: string, sessionId: string): string | null {
    if (idToken.length > MAX_KEPT_ID_TOKEN_CHARS) {
      return null;
    }
    try {
      return this.box.seal(idToken, `web_session:${sessionId}`);
    } catch {
      return null;
    }
  }

  private openIdToken(sealed: string, sessionId: string): string | null {
    try {
      return this.box.open(sealed, `web_session:${sessionId}`);
    } catch {
      // Sealed under a key this server no longer has: the provider is asked without the hint.
      this.logger.warn('the ID token kept with a session could not be opened (another secrets key)');
      return null;
    }
  }
}

/**
 * Constant-time comparison of a submitted CSRF token (or sign-out state) with the expected one. Lengths are
 * compared in bytes: a submitted value of as many characters but more bytes (non-ASCII) would make
 * timingSafeEqual throw, a 500 instead of a refusal.
 */
export function csrfMatches(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== expected.length) {
    return false;
  }
  const given = Buffer.from(submitted);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
