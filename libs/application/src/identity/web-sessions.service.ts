import { type Actor, hashApiToken, sha256Hex } from '@gatehouse/domain';
import {
  ApiTokenRepository,
  type Tx,
  UnitOfWork,
  WebSessionEntity,
  WebSessionRepository,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../audit/audit.service';

/** How long a browser stays signed in (it also ends when its API token is revoked or expires). */
export const WEB_SESSION_HOURS = 8;

export interface WebSession {
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Browser sessions for the web pages: signing in with an API token opens one; the cookie carries only a
 * random secret (its sha256 is stored), and every request re-checks the token and the user behind it.
 */
@Injectable()
export class WebSessionsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: ApiTokenRepository,
    private readonly sessions: WebSessionRepository,
    private readonly audit: AuditService,
  ) {}

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
   */
  async openOidcSession(
    tx: Tx,
    user: { id: string; name: string; teamId: string | null; roles: Actor['roles'] },
    requestId: string | null,
    note: { issuer: string },
  ): Promise<{ secret: string; session: WebSession }> {
    const now = new Date();
    await this.sessions.deleteExpired(tx, now);
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + WEB_SESSION_HOURS * 3_600_000);
    const session = Object.assign(new WebSessionEntity(), {
      id: sha256Hex(secret),
      userId: user.id,
      tokenId: null,
      via: 'oidc' as const,
      csrfToken: randomBytes(32).toString('base64url'),
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
    if (!secret || secret.length > 100) {
      return null;
    }
    const session = await this.sessions.findWithHolder(sha256Hex(secret));
    const now = new Date();
    const user = session?.user;
    if (!session || session.expiresAt <= now || !user || user.disabledAt) {
      return null;
    }
    if (session.via === 'api_token') {
      // A token session ends with its token: revoked, expired or gone.
      const token = session.token;
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
      actor: {
        id: user.id,
        name: user.name,
        teamId: user.teamId,
        roles: user.roles,
        signedInVia: session.via,
      },
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    };
  }

  async signOut(secret: string | undefined, requestId: string | null): Promise<void> {
    const session = await this.resolve(secret);
    if (!secret || !session) {
      return;
    }
    await this.uow.write(async (tx) => {
      await this.sessions.delete(tx, sha256Hex(secret));
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
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== expected.length) {
    return false;
  }
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
}
