import { type GatehouseConfig, type OidcConfig } from '@gatehouse/config';
import { type Actor, sha256Hex } from '@gatehouse/domain';
import { OidcSignInEntity, OidcSignInRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type Claims } from './oidc-claims';
import { OidcProviderClient, openIdClient } from './oidc-client';
import { OidcProvisioningService } from './oidc-provisioning.service';
import { describe, OidcSignInRefused, safeCode } from './oidc-refusals';
import { type WebSession } from './web-sessions.service';

export * from './oidc-refusals';

/** How long a browser has between leaving for the identity provider and coming back. */
export const OIDC_SIGN_IN_MINUTES = 10;

/** Who is named in the audit log for a refused sign-in whose person is not known. */
const SIGN_IN_ACTOR: Actor = { id: 'anonymous', name: 'Someone signing in', teamId: null, roles: [] };

/**
 * Sign-in through the organisation's OpenID Connect provider: authorisation code with PKCE (S256), `state`
 * and `nonce` kept in a single-use row keyed by the sha256 of a cookie secret, and openid-client
 * validating the ID token (signature, issuer, audience, expiry, nonce). People are provisioned on first
 * sign-in; their roles and team follow the configured group mappings at every sign-in.
 */
@Injectable()
export class OidcSignInService {
  private readonly logger = new Logger('OidcSignIn');
  private readonly provider: OidcProviderClient;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly signIns: OidcSignInRepository,
    private readonly provisioning: OidcProvisioningService,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: Pick<GatehouseConfig, 'oidc' | 'http'>,
  ) {
    this.provider = new OidcProviderClient(() => this.settings());
  }

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
    const configuration = await this.provider.configuration(requestId);
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
      const now = new Date();
      await this.signIns.deleteExpired(tx, now);
      if ((await this.signIns.countPending(tx, now)) >= oidc.maxPendingSignIns) {
        throw new OidcSignInRefused('too_many_sign_ins');
      }
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
      const { claims, idToken } = await this.exchange(query, pending, requestId);
      subject = typeof claims['sub'] === 'string' ? claims['sub'] : null;
      const opened = await this.uow.write((tx) =>
        this.provisioning.provision(tx, oidc, claims, requestId, idToken),
      );
      return { ...opened, returnTo: pending.returnTo };
    } catch (error) {
      if (error instanceof OidcSignInRefused) {
        await this.recordRefusal(error, { pendingId, subject, issuer: oidc.issuer }, requestId);
      }
      throw error;
    }
  }

  /**
   * The code for tokens; the ID token validated; the claims (userinfo merged under the ID token's) and the
   * ID token itself (kept with the session for signing out at the provider; never logged).
   */
  private async exchange(
    query: URLSearchParams,
    pending: OidcSignInEntity,
    requestId: string | null,
  ): Promise<{ claims: Claims; idToken: string | null }> {
    const client = await openIdClient();
    const configuration = await this.provider.configuration(requestId);
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
      throw this.provider.classify(client, error);
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
    return { claims: { ...userinfo, ...idClaims }, idToken: tokens.id_token ?? null };
  }

  /** Where the provider sends the browser after signing out there: registered at the provider. */
  get postLogoutRedirectUri(): string {
    return `${this.config.http.publicUrl}/signed-out`;
  }

  /**
   * The provider's end-session URL for a session that came from it (OpenID Connect RP-initiated logout):
   * `id_token_hint` (when kept), `client_id`, `state`, and `post_logout_redirect_uri` always the configured
   * public URL's /signed-out (never from the request). Null when the operator turned it off
   * (GATEHOUSE_OIDC_END_SESSION=false), the provider names no `end_session_endpoint`, or its discovery
   * fails: the person is then signed out of Gatehouse only.
   */
  async endSessionUrl(idToken: string | null, state: string, requestId: string | null): Promise<URL | null> {
    const oidc = this.config.oidc;
    if (!oidc?.endSession) {
      return null;
    }
    let configuration: Awaited<ReturnType<OidcProviderClient['configuration']>>;
    try {
      configuration = await this.provider.configuration(requestId);
    } catch {
      // Logged by configuration(); the Gatehouse session is already ended.
      return null;
    }
    if (!configuration.serverMetadata().end_session_endpoint) {
      return null;
    }
    const client = await openIdClient();
    try {
      return client.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: this.postLogoutRedirectUri,
        client_id: oidc.clientId,
        state,
        ...(idToken ? { id_token_hint: idToken } : {}),
      });
    } catch (error) {
      // An end_session_endpoint that is not https (without GATEHOUSE_OIDC_ALLOW_HTTP) or not a URL.
      this.logger.warn(`the provider's end_session_endpoint cannot be used: ${describe(error)}`);
      return null;
    }
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

  private settings(): OidcConfig {
    if (!this.config.oidc) {
      throw new Error('No identity provider is configured (GATEHOUSE_OIDC_ISSUER)');
    }
    return this.config.oidc;
  }
}
