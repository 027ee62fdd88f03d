import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { Secret } from './secret';

/** The roles a group may grant (the same list as the domain's ROLES; config depends on nothing else). */
export const OIDC_MAPPABLE_ROLES = ['service_team', 'engineer', 'reviewer', 'admin'] as const;
export type OidcMappedRole = (typeof OIDC_MAPPABLE_ROLES)[number];

/** How Gatehouse proves itself at the provider's token endpoint. */
export type OidcClientAuth =
  | { kind: 'client_secret'; secret: Secret }
  | {
      kind: 'private_key_jwt';
      /** The private key as read at start: a PEM text or a JWK (JSON); never printed. */
      key: Secret;
      format: 'pem' | 'jwk';
      /** The key id the provider knows the public key by (a JWK's `kid`), if any. */
      keyId: string | null;
      /**
       * Certificate thumbprints from the JWK (`x5t`, `x5t#S256`), sent in the assertion's header: Microsoft
       * Entra ID finds a certificate credential by them.
       */
      thumbprints: Record<string, string>;
      /** The JWS algorithm the key signs with: RS256 for RSA, ES256/ES384/ES512 for EC, EdDSA for Ed25519. */
      algorithm: 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';
    };

/** Sign-in through the organisation's OpenID Connect identity provider (see docs/identity-provider.md). */
export interface OidcConfig {
  /** The issuer identifier (discovery reads `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientAuth: OidcClientAuth;
  scopes: string[];
  /** The claim holding the person's groups (or app roles): `groups` by default, `roles` on Entra app roles. */
  groupsClaim: string;
  /** Group → the roles it grants (a group may grant several; several groups may grant one role). */
  roleMap: Record<string, OidcMappedRole[]>;
  /** Group → the name of an existing Gatehouse team. */
  teamMap: Record<string, string>;
  /** The provider's name on the sign-in button: "Sign in with <buttonText>". */
  buttonText: string;
  /** Plain http to the provider (a local or test provider only; refused with NODE_ENV=production). */
  allowHttp: boolean;
  /**
   * Mail domains the provider's tenant owns: an `email` claim in one of them is taken as the person's
   * address even without `email_verified: true` (Microsoft Entra ID does not send that claim). Empty: only
   * addresses the provider says it verified are kept.
   */
  trustedEmailDomains: string[];
  /**
   * Sign-ins started and not yet back from the provider (each a row for 10 minutes) above which new ones
   * are refused with 503: anyone can start one, so their number is bounded.
   */
  maxPendingSignIns: number;
  /**
   * Whether signing out of Gatehouse also asks the provider to end its session (OpenID Connect RP-initiated
   * logout, when its discovery names an `end_session_endpoint`); on by default (GATEHOUSE_OIDC_END_SESSION).
   */
  endSession: boolean;
}

export interface OidcSettings {
  /** Null when no identity provider is configured. */
  oidc: OidcConfig | null;
  /** Whether /sign-in offers the API-token form (always true without an identity provider). */
  webTokenSignIn: boolean;
}

type Problem = { variable: string; message: string };

const optional = z.string().optional();
const oidcEnvironment = z.object({
  NODE_ENV: optional,
  GATEHOUSE_OIDC_ISSUER: optional,
  GATEHOUSE_OIDC_CLIENT_ID: optional,
  GATEHOUSE_OIDC_CLIENT_SECRET: optional,
  GATEHOUSE_OIDC_PRIVATE_KEY_FILE: optional,
  GATEHOUSE_OIDC_SCOPES: optional,
  GATEHOUSE_OIDC_GROUPS_CLAIM: optional,
  GATEHOUSE_OIDC_ROLE_MAP: optional,
  GATEHOUSE_OIDC_TEAM_MAP: optional,
  GATEHOUSE_OIDC_BUTTON_TEXT: optional,
  GATEHOUSE_OIDC_ALLOW_HTTP: optional,
  GATEHOUSE_OIDC_EMAIL_DOMAINS: optional,
  GATEHOUSE_OIDC_MAX_PENDING: optional,
  GATEHOUSE_OIDC_END_SESSION: optional,
  GATEHOUSE_WEB_TOKEN_SIGN_IN: optional,
});

const OIDC_ONLY = [
  'GATEHOUSE_OIDC_CLIENT_ID',
  'GATEHOUSE_OIDC_CLIENT_SECRET',
  'GATEHOUSE_OIDC_PRIVATE_KEY_FILE',
  'GATEHOUSE_OIDC_SCOPES',
  'GATEHOUSE_OIDC_GROUPS_CLAIM',
  'GATEHOUSE_OIDC_ROLE_MAP',
  'GATEHOUSE_OIDC_TEAM_MAP',
  'GATEHOUSE_OIDC_BUTTON_TEXT',
  'GATEHOUSE_OIDC_ALLOW_HTTP',
  'GATEHOUSE_OIDC_EMAIL_DOMAINS',
  'GATEHOUSE_OIDC_MAX_PENDING',
  'GATEHOUSE_OIDC_END_SESSION',
] as const;

/**
 * The identity-provider settings, all or nothing: without GATEHOUSE_OIDC_ISSUER none of the others may be
 * set (a half-configured provider is a mistake to show at start, not at the first sign-in). Every problem
 * is returned, for the one ConfigError that lists them all. The private key file is read here, once.
 */
export function parseOidcSettings(
  env: Record<string, string | undefined>,
  cwd: string,
): { settings: OidcSettings; problems: Problem[] } {
  const e = oidcEnvironment.parse(
    Object.fromEntries(Object.entries(env).filter(([key, v]) => v !== '' && key in oidcEnvironment.shape)),
  );
  const problems: Problem[] = [];
  const problem = (variable: string, message: string) => problems.push({ variable, message });
  const tokenSignIn = parseBoolean(
    e.GATEHOUSE_WEB_TOKEN_SIGN_IN,
    true,
    'GATEHOUSE_WEB_TOKEN_SIGN_IN',
    problem,
  );

  if (!e.GATEHOUSE_OIDC_ISSUER) {
    for (const variable of OIDC_ONLY) {
      if (e[variable] !== undefined) {
        problem(variable, 'is set but GATEHOUSE_OIDC_ISSUER is not: set the issuer too, or unset this');
      }
    }
    if (tokenSignIn === false) {
      problem(
        'GATEHOUSE_WEB_TOKEN_SIGN_IN',
        'cannot be false without an identity provider (GATEHOUSE_OIDC_ISSUER): nobody could sign in to the pages',
      );
    }
    return { settings: { oidc: null, webTokenSignIn: true }, problems };
  }

  const production = e.NODE_ENV === 'production';
  const allowHttp = parseBoolean(e.GATEHOUSE_OIDC_ALLOW_HTTP, false, 'GATEHOUSE_OIDC_ALLOW_HTTP', problem);
  if (allowHttp && production) {
    problem(
      'GATEHOUSE_OIDC_ALLOW_HTTP',
      'must not be true with NODE_ENV=production: use the provider over https',
    );
  }
  const issuer = e.GATEHOUSE_OIDC_ISSUER;
  if (!URL.canParse(issuer)) {
    problem(
      'GATEHOUSE_OIDC_ISSUER',
      'is not a valid URL (for example https://login.microsoftonline.com/<tenant-id>/v2.0)',
    );
  } else {
    const url = new URL(issuer);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) {
      problem(
        'GATEHOUSE_OIDC_ISSUER',
        url.protocol === 'http:'
          ? 'must be https (plain http only for a local test provider, with GATEHOUSE_OIDC_ALLOW_HTTP=true)'
          : 'must be an https URL',
      );
    }
    if (url.search || url.hash || url.username || url.password) {
      problem(
        'GATEHOUSE_OIDC_ISSUER',
        'must be the issuer identifier alone: no query, fragment or credentials',
      );
    }
  }

  const clientId = e.GATEHOUSE_OIDC_CLIENT_ID?.trim();
  if (!clientId) {
    problem(
      'GATEHOUSE_OIDC_CLIENT_ID',
      'is required with GATEHOUSE_OIDC_ISSUER (the client or application id registered at the provider)',
    );
  } else if (clientId.length > 255 || /\s/.test(clientId)) {
    problem('GATEHOUSE_OIDC_CLIENT_ID', 'must be at most 255 characters without spaces');
  }

  const clientAuth = parseClientAuth(
    e.GATEHOUSE_OIDC_CLIENT_SECRET,
    e.GATEHOUSE_OIDC_PRIVATE_KEY_FILE,
    cwd,
    problem,
  );

  const scopes = (e.GATEHOUSE_OIDC_SCOPES ?? 'openid email profile').split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) {
    problem('GATEHOUSE_OIDC_SCOPES', 'must include openid');
  }
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(s))) {
    problem('GATEHOUSE_OIDC_SCOPES', 'must be scope names separated by spaces');
  }

  const groupsClaim = e.GATEHOUSE_OIDC_GROUPS_CLAIM?.trim() || 'groups';
  if (!/^[\w.:/-]{1,100}$/.test(groupsClaim)) {
    problem('GATEHOUSE_OIDC_GROUPS_CLAIM', 'must be a claim name (letters, digits, _ . : / -)');
  }

  const roleMap: Record<string, OidcMappedRole[]> = {};
  for (const [group, role] of mapEntries(e.GATEHOUSE_OIDC_ROLE_MAP, 'GATEHOUSE_OIDC_ROLE_MAP', problem)) {
    if (!(OIDC_MAPPABLE_ROLES as readonly string[]).includes(role)) {
      problem(
        'GATEHOUSE_OIDC_ROLE_MAP',
        `"${group}=${role}": ${role} is not a role (use ${OIDC_MAPPABLE_ROLES.join(', ')})`,
      );
      continue;
    }
    const roles = (roleMap[group] ??= []);
    if (!roles.includes(role as OidcMappedRole)) {
      roles.push(role as OidcMappedRole);
    }
  }
  const teamMap: Record<string, string> = {};
  for (const [group, team] of mapEntries(e.GATEHOUSE_OIDC_TEAM_MAP, 'GATEHOUSE_OIDC_TEAM_MAP', problem)) {
    if (teamMap[group] !== undefined && teamMap[group] !== team) {
      problem('GATEHOUSE_OIDC_TEAM_MAP', `"${group}" is mapped to two teams (${teamMap[group]} and ${team})`);
    }
    teamMap[group] = team;
  }

  const buttonText = e.GATEHOUSE_OIDC_BUTTON_TEXT?.trim() || 'your organisation’s account';
  if (buttonText.length > 80) {
    problem('GATEHOUSE_OIDC_BUTTON_TEXT', 'must be at most 80 characters');
  }

  const trustedEmailDomains = (e.GATEHOUSE_OIDC_EMAIL_DOMAINS ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  for (const domain of trustedEmailDomains) {
    if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
      problem(
        'GATEHOUSE_OIDC_EMAIL_DOMAINS',
        `"${domain.slice(0, 80)}" is not a mail domain (e.g. digital.example.gov.uk): list the domains your tenant owns, separated by commas`,
      );
    }
  }

  const maxPendingSignIns = Number(e.GATEHOUSE_OIDC_MAX_PENDING ?? 10_000);
  if (!Number.isInteger(maxPendingSignIns) || maxPendingSignIns < 1 || maxPendingSignIns > 1_000_000) {
    problem('GATEHOUSE_OIDC_MAX_PENDING', 'must be a whole number from 1 to 1000000');
  }

  const endSession = parseBoolean(e.GATEHOUSE_OIDC_END_SESSION, true, 'GATEHOUSE_OIDC_END_SESSION', problem);

  if (problems.length > 0 || !clientAuth || !clientId) {
    return { settings: { oidc: null, webTokenSignIn: true }, problems };
  }
  return {
    settings: {
      oidc: {
        issuer,
        clientId,
        clientAuth,
        scopes,
        groupsClaim,
        roleMap,
        teamMap,
        buttonText,
        allowHttp,
        trustedEmailDomains,
        maxPendingSignIns,
        endSession,
      },
      webTokenSignIn: tokenSignIn,
    },
    problems,
  };
}

function parseBoolean(
  value: string | undefined,
  fallback: boolean,
  variable: string,
  problem: (variable: string, message: string) => void,
): boolean {
  if (value === undefined) {
    return fallback;
  }
  if (['true', '1', 'yes'].includes(value)) {
    return true;
  }
  if (['false', '0', 'no'].includes(value)) {
    return false;
  }
  problem(variable, 'must be true or false');
  return fallback;
}

/** `group=value` entries separated by commas; the value follows the last `=` (group names may hold `=`). */
function mapEntries(
  value: string | undefined,
  variable: string,
  problem: (variable: string, message: string) => void,
): [string, string][] {
  const entries: [string, string][] = [];
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) {
      continue;
    }
    const at = entry.lastIndexOf('=');
    const group = at > 0 ? entry.slice(0, at).trim() : '';
    const target = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!group || !target) {
      problem(variable, `"${entry}" must be group=value (for example ai-assurance=reviewer)`);
      continue;
    }
    if (group.length > 255 || target.length > 120) {
      problem(variable, `"${entry.slice(0, 40)}…" is too long`);
      continue;
    }
    entries.push([group, target]);
  }
  return entries;
}

function parseClientAuth(
  secret: string | undefined,
  keyFile: string | undefined,
  cwd: string,
  problem: (variable: string, message: string) => void,
): OidcClientAuth | null {
  if (secret !== undefined && keyFile !== undefined) {
    problem(
      'GATEHOUSE_OIDC_PRIVATE_KEY_FILE',
      'is set together with GATEHOUSE_OIDC_CLIENT_SECRET: choose one way to authenticate to the provider',
    );
    return null;
  }
  if (secret !== undefined) {
    if (secret.length < 8 || secret.length > 1000) {
      // Never the value itself in the message.
      problem('GATEHOUSE_OIDC_CLIENT_SECRET', 'must be 8 to 1000 characters');
      return null;
    }
    return { kind: 'client_secret', secret: new Secret(secret) };
  }
  if (keyFile === undefined) {
    problem(
      'GATEHOUSE_OIDC_CLIENT_SECRET',
      'is required with GATEHOUSE_OIDC_ISSUER, or GATEHOUSE_OIDC_PRIVATE_KEY_FILE for private_key_jwt',
    );
    return null;
  }
  const path = isAbsolute(keyFile) ? keyFile : resolve(cwd, keyFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problem(
      'GATEHOUSE_OIDC_PRIVATE_KEY_FILE',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${path}`,
    );
    return null;
  }
  try {
    const format = text.trimStart().startsWith('{') ? 'jwk' : 'pem';
    const jwk = format === 'jwk' ? (JSON.parse(text) as Record<string, unknown>) : null;
    const key = jwk
      ? createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPrivateKey(text);
    const algorithm = signingAlgorithm(key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
    if (!algorithm) {
      problem(
        'GATEHOUSE_OIDC_PRIVATE_KEY_FILE',
        `holds a ${key.asymmetricKeyType} key: use an RSA, EC (P-256, P-384, P-521) or Ed25519 key`,
      );
      return null;
    }
    return {
      kind: 'private_key_jwt',
      key: new Secret(text),
      format,
      keyId: typeof jwk?.['kid'] === 'string' ? jwk['kid'] : null,
      thumbprints: jwk ? jwkThumbprints(jwk) : certificateThumbprints(text, key),
      algorithm,
    };
  } catch {
    problem(
      'GATEHOUSE_OIDC_PRIVATE_KEY_FILE',
      `does not hold a private key as PEM or JWK (with a certificate: the certificate of that key): ${path}`,
    );
    return null;
  }
}

/** The certificate thumbprints a JWK carries (`x5t`, `x5t#S256`). */
function jwkThumbprints(jwk: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    ['x5t', 'x5t#S256'].flatMap((name) => {
      const value = jwk[name];
      return typeof value === 'string' && /^[\w-]{20,100}$/.test(value) ? [[name, value]] : [];
    }),
  );
}

/**
 * The thumbprints of the certificate in a PEM file that holds the private key and its certificate (as an
 * Entra ID certificate credential is uploaded); none when there is no certificate or it is for another key.
 */
function certificateThumbprints(pem: string, key: KeyObject): Record<string, string> {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) {
    return {};
  }
  const certificate = new X509Certificate(block);
  if (!certificate.checkPrivateKey(key)) {
    throw new Error('the certificate is not for the private key');
  }
  const thumbprint = (hex: string) => Buffer.from(hex.replace(/:/g, ''), 'hex').toString('base64url');
  return { x5t: thumbprint(certificate.fingerprint), 'x5t#S256': thumbprint(certificate.fingerprint256) };
}

function signingAlgorithm(
  type: string | undefined,
  curve: string | undefined,
): Extract<OidcClientAuth, { kind: 'private_key_jwt' }>['algorithm'] | null {
  if (type === 'rsa') {
    return 'RS256';
  }
  if (type === 'ed25519') {
    return 'EdDSA';
  }
  if (type === 'ec') {
    return ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as const)[curve ?? ''] ?? null;
  }
  return null;
}
