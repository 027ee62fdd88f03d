import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from './config';

const ISSUER = 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0';
const base = {
  GATEHOUSE_OIDC_ISSUER: ISSUER,
  GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse-app',
  GATEHOUSE_OIDC_CLIENT_SECRET: 'client-secret-value-123',
};

/** A throw-away test certificate and its EC P-256 key (as an Entra ID certificate credential would be kept). */
const TEST_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBijCCAS+gAwIBAgIUCPm5j7YNCsRxcjVfQFPxLQUl9N4wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZ2F0ZWhvdXNlLXRlc3QwIBcNMjYxMjA1MDEwMTI4WhgPMjEy
NjExMTEwMTAxMjhaMBkxFzAVBgNVBAMMDmdhdGVob3VzZS10ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE7g95Wr13PRWi0O9EX1xlq4mCfsGY2rzkocVC1pjf
tl2f1tQwF82lzAszlw2oW/e9uXpKx4WX/UmazXCecexZmKNTMFEwHQYDVR0OBBYE
FGDjDmTtDs8RKGJZbNovjQ/5JmKJMB8GA1UdIwQYMBaAFGDjDmTtDs8RKGJZbNov
jQ/5JmKJMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAO0C/HRp
7skUY9mJaP5diLdm3eXUVAWPdf3zTCX48wh4AiEA7dDGCSAlzgju+yNruoMKWa4e
QlyClGQw0sZMvmWjiP0=
-----END CERTIFICATE-----
`;
const TEST_CERTIFICATE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJs3JMqRn/2lx1M7B
ZF4GQBaQOkMYMwHxsBaLqzrhLfChRANCAATuD3lavXc9FaLQ70RfXGWriYJ+wZja
vOShxULWmN+2XZ/W1DAXzaXMCzOXDahb9725ekrHhZf9SZrNcJ5x7FmY
-----END PRIVATE KEY-----
`;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.problems.map((p) => `${p.variable}: ${p.message}`);
    }
    throw error;
  }
  return [];
}

describe('identity provider configuration', () => {
  it('is off by default, and the API-token form stays', () => {
    const config = loadConfig({});
    expect(config.oidc).toBeNull();
    expect(config.webTokenSignIn).toBe(true);
  });

  it('reads a complete provider with its defaults and maps', () => {
    const config = loadConfig({
      ...base,
      GATEHOUSE_OIDC_ROLE_MAP:
        'ai-assurance=reviewer, ml-engineers=engineer,ml-engineers=service_team,ai-assurance=reviewer',
      GATEHOUSE_OIDC_TEAM_MAP: 'grp-benefits=Benefits,cn=a=b=Tax Credits',
      GATEHOUSE_OIDC_BUTTON_TEXT: 'Microsoft',
      GATEHOUSE_WEB_TOKEN_SIGN_IN: 'false',
    });
    expect(config.oidc).toMatchObject({
      issuer: ISSUER,
      clientId: 'gatehouse-app',
      clientAuth: { kind: 'client_secret' },
      scopes: ['openid', 'email', 'profile'],
      groupsClaim: 'groups',
      roleMap: { 'ai-assurance': ['reviewer'], 'ml-engineers': ['engineer', 'service_team'] },
      teamMap: { 'grp-benefits': 'Benefits', 'cn=a=b': 'Tax Credits' },
      buttonText: 'Microsoft',
      allowHttp: false,
      trustedEmailDomains: [],
      maxPendingSignIns: 10_000,
      endSession: true,
    });
    expect(config.webTokenSignIn).toBe(false);
    const secret = config.oidc?.clientAuth.kind === 'client_secret' ? config.oidc.clientAuth.secret : null;
    expect(secret?.reveal()).toBe('client-secret-value-123');
    expect(JSON.stringify(config) + inspect(config, { depth: 10 })).not.toContain('client-secret-value-123');
  });

  it('reads the mail domains the tenant owns, and refuses what is not a domain', () => {
    const config = loadConfig({
      ...base,
      GATEHOUSE_OIDC_EMAIL_DOMAINS: ' Digital.Example.gov.uk ,justice.example.gov.uk',
    });
    expect(config.oidc?.trustedEmailDomains).toEqual(['digital.example.gov.uk', 'justice.example.gov.uk']);
    expect(problemsOf({ ...base, GATEHOUSE_OIDC_EMAIL_DOMAINS: 'example.gov.uk,@evil,*.gov.uk' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_EMAIL_DOMAINS: "@evil" is not a mail domain/),
      expect.stringMatching(/^GATEHOUSE_OIDC_EMAIL_DOMAINS: "\*\.gov\.uk" is not a mail domain/),
    ]);
    expect(problemsOf({ ...base, GATEHOUSE_OIDC_MAX_PENDING: '0' })).toEqual([
      'GATEHOUSE_OIDC_MAX_PENDING: must be a whole number from 1 to 1000000',
    ]);
    expect(problemsOf({ GATEHOUSE_OIDC_EMAIL_DOMAINS: 'example.gov.uk' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_EMAIL_DOMAINS: is set but GATEHOUSE_OIDC_ISSUER is not/),
    ]);
  });

  it('asks the provider to end its session at sign-out unless GATEHOUSE_OIDC_END_SESSION is false', () => {
    expect(loadConfig({ ...base, GATEHOUSE_OIDC_END_SESSION: 'false' }).oidc?.endSession).toBe(false);
    expect(loadConfig({ ...base, GATEHOUSE_OIDC_END_SESSION: 'true' }).oidc?.endSession).toBe(true);
    expect(problemsOf({ ...base, GATEHOUSE_OIDC_END_SESSION: 'off' })).toEqual([
      'GATEHOUSE_OIDC_END_SESSION: must be true or false',
    ]);
    expect(problemsOf({ GATEHOUSE_OIDC_END_SESSION: 'false' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_END_SESSION: is set but GATEHOUSE_OIDC_ISSUER is not/),
    ]);
  });

  it('refuses a half-configured provider, naming each variable', () => {
    expect(problemsOf({ GATEHOUSE_OIDC_CLIENT_ID: 'x', GATEHOUSE_OIDC_ROLE_MAP: 'a=reviewer' })).toEqual([
      'GATEHOUSE_OIDC_CLIENT_ID: is set but GATEHOUSE_OIDC_ISSUER is not: set the issuer too, or unset this',
      'GATEHOUSE_OIDC_ROLE_MAP: is set but GATEHOUSE_OIDC_ISSUER is not: set the issuer too, or unset this',
    ]);
    expect(problemsOf({ GATEHOUSE_OIDC_ISSUER: ISSUER })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_CLIENT_ID: is required with GATEHOUSE_OIDC_ISSUER/),
      expect.stringMatching(/^GATEHOUSE_OIDC_CLIENT_SECRET: is required with GATEHOUSE_OIDC_ISSUER/),
    ]);
    expect(problemsOf({ GATEHOUSE_WEB_TOKEN_SIGN_IN: 'false' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_WEB_TOKEN_SIGN_IN: cannot be false without an identity provider/),
    ]);
  });

  it('refuses a secret and a key together, bad maps, unknown roles and a scope list without openid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-oidc-'));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(
      keyFile,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const problems = problemsOf({
      ...base,
      GATEHOUSE_OIDC_PRIVATE_KEY_FILE: keyFile,
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=superuser,=reviewer,lonely',
      GATEHOUSE_OIDC_TEAM_MAP: 'g1=Benefits,g1=Tax',
      GATEHOUSE_OIDC_SCOPES: 'email profile',
      GATEHOUSE_OIDC_ALLOW_HTTP: 'perhaps',
    });
    expect(problems).toEqual([
      'GATEHOUSE_OIDC_ALLOW_HTTP: must be true or false',
      expect.stringMatching(
        /^GATEHOUSE_OIDC_PRIVATE_KEY_FILE: is set together with GATEHOUSE_OIDC_CLIENT_SECRET/,
      ),
      'GATEHOUSE_OIDC_SCOPES: must include openid',
      'GATEHOUSE_OIDC_ROLE_MAP: "=reviewer" must be group=value (for example ai-assurance=reviewer)',
      'GATEHOUSE_OIDC_ROLE_MAP: "lonely" must be group=value (for example ai-assurance=reviewer)',
      'GATEHOUSE_OIDC_ROLE_MAP: "ai-assurance=superuser": superuser is not a role (use service_team, engineer, reviewer, admin)',
      'GATEHOUSE_OIDC_TEAM_MAP: "g1" is mapped to two teams (Benefits and Tax)',
    ]);
  });

  it('wants https, except for a local provider allowed outside production', () => {
    const local = { ...base, GATEHOUSE_OIDC_ISSUER: 'http://127.0.0.1:9000' };
    expect(problemsOf(local)).toEqual([expect.stringMatching(/^GATEHOUSE_OIDC_ISSUER: must be https/)]);
    expect(loadConfig({ ...local, GATEHOUSE_OIDC_ALLOW_HTTP: 'true' }).oidc?.allowHttp).toBe(true);
    expect(problemsOf({ ...local, GATEHOUSE_OIDC_ALLOW_HTTP: 'true', NODE_ENV: 'production' })).toEqual([
      'GATEHOUSE_OIDC_ALLOW_HTTP: must not be true with NODE_ENV=production: use the provider over https',
    ]);
    expect(problemsOf({ ...base, GATEHOUSE_OIDC_ISSUER: 'not a url' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_ISSUER: is not a valid URL/),
    ]);
    expect(problemsOf({ ...base, GATEHOUSE_OIDC_ISSUER: `${ISSUER}?x=1` })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_ISSUER: must be the issuer identifier alone/),
    ]);
  });

  it('reads a private key for private_key_jwt as PEM or JWK, and refuses what is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-oidc-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'rsa.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(
      join(dir, 'ec.jwk'),
      JSON.stringify({
        x5t: 'AbCdEfGhIjKlMnOpQrStUvWxYz0',
        ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }),
        kid: 'key-1',
      }),
    );
    writeFileSync(join(dir, 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const env = { GATEHOUSE_OIDC_ISSUER: ISSUER, GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse' };
    const rsa = loadConfig({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: join(dir, 'rsa.pem') }).oidc
      ?.clientAuth;
    expect(rsa).toMatchObject({ kind: 'private_key_jwt', format: 'pem', algorithm: 'RS256', keyId: null });
    expect(inspect(rsa)).not.toContain('PRIVATE KEY');
    const ec = loadConfig({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: 'ec.jwk' }, dir).oidc?.clientAuth;
    expect(ec).toMatchObject({
      kind: 'private_key_jwt',
      format: 'jwk',
      algorithm: 'ES384',
      keyId: 'key-1',
      thumbprints: { x5t: 'AbCdEfGhIjKlMnOpQrStUvWxYz0' },
    });
    expect(problemsOf({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: join(dir, 'public.pem') })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_PRIVATE_KEY_FILE: does not hold a private key as PEM or JWK/),
    ]);
    expect(problemsOf({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: join(dir, 'missing.pem') })).toEqual([
      `GATEHOUSE_OIDC_PRIVATE_KEY_FILE: cannot be read (ENOENT): ${join(dir, 'missing.pem')}`,
    ]);
  });

  it('lists identity-provider problems with the other bad variables in one error', () => {
    expect(problemsOf({ PORT: 'eighty', GATEHOUSE_OIDC_CLIENT_ID: 'x' }).map((p) => p.split(':')[0])).toEqual(
      ['PORT', 'GATEHOUSE_OIDC_CLIENT_ID'],
    );
  });

  it('reads a certificate beside the key in a PEM file and sends its thumbprints; refuses a certificate for another key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-oidc-'));
    writeFileSync(join(dir, 'both.pem'), TEST_CERTIFICATE + TEST_CERTIFICATE_KEY);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(join(dir, 'mismatch.pem'), TEST_CERTIFICATE + String(other));
    const env = { GATEHOUSE_OIDC_ISSUER: ISSUER, GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse' };
    expect(
      loadConfig({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: join(dir, 'both.pem') }).oidc?.clientAuth,
    ).toMatchObject({
      algorithm: 'ES256',
      thumbprints: {
        x5t: 'esqFdWw7mZqiFLTKHTRaIwVuvJI',
        'x5t#S256': '0WGMfIaceInC3ZmJs2SGrEYJ9KBsxAiKVRQ9NS-DUiM',
      },
    });
    expect(problemsOf({ ...env, GATEHOUSE_OIDC_PRIVATE_KEY_FILE: join(dir, 'mismatch.pem') })).toEqual([
      expect.stringMatching(/^GATEHOUSE_OIDC_PRIVATE_KEY_FILE: does not hold a private key as PEM or JWK/),
    ]);
  });
});
