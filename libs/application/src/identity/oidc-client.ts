import { type OidcClientAuth, type OidcConfig } from '@gatehouse/config';
import { Logger } from '@nestjs/common';
import { createPrivateKey, webcrypto } from 'node:crypto';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import { describe, OidcSignInRefused, safeCode } from './oidc-refusals';

/** Discovery is read again after this long (keys rotate on their own: openid-client refetches the JWKS). */
const DISCOVERY_TTL_MS = 6 * 3_600_000;
/** The largest answer read from the identity provider (discovery, keys, tokens, userinfo). */
export const MAX_PROVIDER_ANSWER_BYTES = 1_048_576;

/**
 * The identity provider as openid-client sees it: its discovered configuration (cached; a failure is not
 * cached, so the next try retries), every call to it size-capped, and its errors turned into refusals that
 * say what went wrong without tokens or codes.
 */
export class OidcProviderClient {
  private readonly logger = new Logger('OidcSignIn');
  private discovered: { at: number; config: Promise<OpenIdClient.Configuration> } | null = null;

  constructor(private readonly settings: () => OidcConfig) {}

  /** The provider's discovered configuration. */
  async configuration(requestId: string | null): Promise<OpenIdClient.Configuration> {
    if (!this.discovered || Date.now() - this.discovered.at > DISCOVERY_TTL_MS) {
      const attempt = this.discover(this.settings());
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

  /** Turns openid-client's errors into refusals that say what went wrong, without tokens or codes. */
  classify(client: typeof OpenIdClient, error: unknown): OidcSignInRefused {
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

  private async discover(oidc: OidcConfig): Promise<OpenIdClient.Configuration> {
    const client = await openIdClient();
    const auth = await clientAuthentication(client, oidc.clientAuth);
    return client.discovery(new URL(oidc.issuer), oidc.clientId, undefined, auth, {
      timeout: 10,
      execute: oidc.allowHttp ? [client.allowInsecureRequests] : [],
      // Used for every later call to the provider too (openid-client keeps it on the configuration).
      [client.customFetch]: cappedFetch,
    });
  }
}

/**
 * fetch, reading at most MAX_PROVIDER_ANSWER_BYTES of the answer: the provider is configured by the
 * operator, but a misbehaving or impersonated one must not fill the server's memory.
 */
export async function cappedFetch(url: string, options: OpenIdClient.CustomFetchOptions): Promise<Response> {
  const response = await fetch(url, options as RequestInit);
  if (!response.body || [101, 204, 205, 304].includes(response.status)) {
    return response;
  }
  const tooLarge = () =>
    new Error(
      `the identity provider's answer from ${new URL(url).origin} is larger than ${MAX_PROVIDER_ANSWER_BYTES} bytes`,
    );
  if (Number(response.headers.get('content-length') ?? 0) > MAX_PROVIDER_ANSWER_BYTES) {
    await response.body.cancel();
    throw tooLarge();
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > MAX_PROVIDER_ANSWER_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export /** openid-client ships only ES modules: loaded with import() (Node 20.19+ and Jest both manage). */
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
