import { readWith, UnitOfWork, UserEntity } from '@gatehouse/persistence';
import {
  authenticateAtProvider,
  CookieJar,
  describeIntegration,
  finishOidcSignIn,
  reservePort,
  signInThroughProvider,
  startOidcSignIn,
  startTestOidcProvider,
  type TestOidcProvider,
} from '@gatehouse/testing';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestApi } from '../support/test-api';

const CLIENT_ID = 'gatehouse-test';
const CLIENT_SECRET = 'test-client-secret-0123456789';

/** The user row as stored (roles, who granted them, team, identity-provider subject). */
const userBySubject = (api: TestApi, subject: string) =>
  readWith(api.app.get(UnitOfWork), (m) => m.findOneBy(UserEntity, { oidcSubject: subject }));
/** The user, which the test expects to exist. */
const provisioned = async (api: TestApi, subject: string): Promise<UserEntity> => {
  const user = await userBySubject(api, subject);
  if (!user) {
    throw new Error(`no user was provisioned for ${subject}`);
  }
  return user;
};

describeIntegration('signing in through the identity provider (OpenID Connect)', () => {
  let provider: TestOidcProvider;
  let api: TestApi;
  let gatehouseUrl: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    const { port } = reserved;
    gatehouseUrl = `http://127.0.0.1:${port}`;
    provider = await startTestOidcProvider({
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${gatehouseUrl}/sign-in/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
    });
    api = await TestApi.start({
      GATEHOUSE_PUBLIC_URL: gatehouseUrl,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: CLIENT_ID,
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=reviewer,ml-engineers=engineer,benefits-team=service_team',
      GATEHOUSE_OIDC_TEAM_MAP: 'grp-benefits=Benefits,grp-nowhere=No Such Team',
      GATEHOUSE_OIDC_BUTTON_TEXT: 'Test Identity',
      GATEHOUSE_OIDC_EMAIL_DOMAINS: 'tenant.example.gov.uk',
    });
    await reserved.listen(api.app.getHttpServer());
    await api.team('Benefits');
  });

  afterAll(async () => {
    await api?.close();
    await provider?.close();
  });

  /** The audit events about a subject (as an admin reads them). */
  const auditOf = async (subjectId: string) =>
    (await api.admin.get(`/v1/audit-events?subjectId=${subjectId}&limit=100`).expect(200)).body.items as {
      action: string;
      actorId: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
    }[];
  const refusals = async () =>
    (await api.admin.get('/v1/audit-events?limit=200').expect(200)).body.items.filter(
      (e: { action: string }) => e.action === 'web_session.refused',
    ) as { after: { reason: string; detail: string | null } }[];
  const pageAs = (cookie: string, path: string) => api.http.get(path).set('Cookie', `gh_session=${cookie}`);

  it('shows the provider button on the sign-in page beside the token form', async () => {
    const page = await api.http.get('/sign-in?next=/ai-use-cases').expect(200);
    expect(page.text).toContain('Sign in with Test Identity');
    expect(page.text).toContain('href="/sign-in/oidc?next=%2Fai-use-cases"');
    expect(page.text).toContain('for="token"');
  });

  it('provisions a reviewer on first sign-in from the mapped groups, and reuses the account next time', async () => {
    await provider.setAccount('rita-sub', {
      name: 'Rita Reviewer',
      email: 'rita@example.gov.uk',
      email_verified: true,
      groups: ['ai-assurance', 'unmapped-group'],
    });
    const first = await signInThroughProvider({
      gatehouseUrl,
      login: 'rita-sub',
      next: '/ai-use-cases?stage=test',
    });
    expect(first.response.status).toBe(303);
    expect(first.response.headers.get('location')).toBe('/ai-use-cases?stage=test');
    const cookie = first.response.headers.getSetCookie().find((c) => c.startsWith('gh_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(first.sessionCookie).toBeDefined();
    const page = await pageAs(first.sessionCookie as string, '/ai-use-cases').expect(200);
    expect(page.text).toContain('Rita Reviewer');

    const user = await provisioned(api, 'rita-sub');
    expect(user).toMatchObject({
      name: 'Rita Reviewer',
      email: 'rita@example.gov.uk',
      roles: ['reviewer'],
      rolesGrantedBy: { reviewer: 'oidc' },
      oidcIssuer: provider.issuer,
      teamId: null,
    });
    const events = await auditOf(user.id);
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.provisioned', 'user.roles_synced', 'web_session.started']),
    );
    expect(events.find((e) => e.action === 'web_session.started')?.after).toMatchObject({ via: 'oidc' });
    expect(events.find((e) => e.action === 'user.roles_synced')?.after).toMatchObject({
      granted: ['reviewer'],
      removed: [],
    });

    const second = await signInThroughProvider({ gatehouseUrl, login: 'rita-sub' });
    expect(second.response.status).toBe(303);
    expect(second.sessionCookie).toBeDefined();
    expect(second.sessionCookie).not.toBe(first.sessionCookie);
    const users = await readWith(api.app.get(UnitOfWork), (m) =>
      m.countBy(UserEntity, { oidcSubject: 'rita-sub' }),
    );
    expect(users).toBe(1);
    const again = await auditOf(user.id);
    expect(again.filter((e) => e.action === 'user.provisioned')).toHaveLength(1);
    expect(again.filter((e) => e.action === 'web_session.started')).toHaveLength(2);
    // Nothing changed in the groups, so no second sync is recorded.
    expect(again.filter((e) => e.action === 'user.roles_synced')).toHaveLength(1);
  });

  it('maps a team group to the existing team and team roles with it', async () => {
    await provider.setAccount('sam-sub', {
      name: 'Sam Team',
      groups: ['benefits-team', 'ml-engineers', 'grp-benefits'],
    });
    const signedIn = await signInThroughProvider({ gatehouseUrl, login: 'sam-sub' });
    expect(signedIn.sessionCookie).toBeDefined();
    const user = await userBySubject(api, 'sam-sub');
    expect(user).toMatchObject({
      roles: ['service_team', 'engineer'],
      teamId: await api.team('Benefits'),
      // No verified e-mail claim: none stored.
      email: null,
    });
  });

  it('takes away a role at the next sign-in when the group is removed, but keeps a role an admin granted', async () => {
    await provider.setAccount('gus-sub', { name: 'Gus', groups: ['ai-assurance'] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'gus-sub' })).sessionCookie).toBeDefined();
    const gus = await provisioned(api, 'gus-sub');
    expect(gus.roles).toEqual(['reviewer']);
    // An admin grants Gus the admin role by hand in Gatehouse.
    await api.admin.patch(`/v1/users/${gus.id}`, { roles: ['reviewer', 'admin'] }).expect(200);

    await provider.setAccount('gus-sub', { name: 'Gus', groups: [] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'gus-sub' })).sessionCookie).toBeDefined();
    const after = await userBySubject(api, 'gus-sub');
    expect(after?.roles).toEqual(['admin']);
    expect(after?.rolesGrantedBy?.reviewer).toBeUndefined();
    const synced = (await auditOf(gus.id)).filter((e) => e.action === 'user.roles_synced');
    expect(synced[0]).toMatchObject({
      before: { roles: ['reviewer', 'admin'] },
      after: { roles: ['admin'], removed: ['reviewer'], granted: [] },
    });
  });

  it('takes away a team the groups gave when the person leaves the team group, but keeps a team an admin set', async () => {
    const benefits = await api.team('Benefits');
    await provider.setAccount('lea-sub', { name: 'Lea', groups: ['benefits-team', 'grp-benefits'] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'lea-sub' })).sessionCookie).toBeDefined();
    expect(await provisioned(api, 'lea-sub')).toMatchObject({
      teamId: benefits,
      teamSetBy: 'oidc',
      roles: ['service_team'],
    });
    // Lea moves to another department: out of both groups. Her team goes with them, so she can no longer
    // read the team's drafts or receive its e-mails.
    await provider.setAccount('lea-sub', { name: 'Lea', groups: [] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'lea-sub' })).sessionCookie).toBeDefined();
    expect(await provisioned(api, 'lea-sub')).toMatchObject({ teamId: null, teamSetBy: null, roles: [] });

    // A team an admin set by hand is the admin's decision: the provider leaves it alone.
    await provider.setAccount('max-sub', { name: 'Max', groups: ['ai-assurance'] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'max-sub' })).sessionCookie).toBeDefined();
    const max = await provisioned(api, 'max-sub');
    await api.admin.patch(`/v1/users/${max.id}`, { teamId: benefits }).expect(200);
    expect((await signInThroughProvider({ gatehouseUrl, login: 'max-sub' })).sessionCookie).toBeDefined();
    expect(await provisioned(api, 'max-sub')).toMatchObject({ teamId: benefits, roles: ['reviewer'] });
    expect((await provisioned(api, 'max-sub')).teamSetBy).not.toBe('oidc');
  });

  it('refuses a wrong state, and audits why', async () => {
    const jar = new CookieJar();
    const authorize = await startOidcSignIn(gatehouseUrl, jar);
    await provider.setAccount('eve-sub', { name: 'Eve', groups: ['ai-assurance'] });
    const callback = new URL(await authenticateAtProvider(authorize, jar, 'eve-sub'));
    callback.searchParams.set('state', 'forged-state-value');
    const { response, sessionCookie, body } = await finishOidcSignIn(callback.href, jar);
    expect(response.status).toBe(400);
    expect(body).toContain('does not belong to the sign-in this browser started');
    expect(body).toContain('Sign in again with Test Identity');
    expect(body).toContain('state_mismatch');
    expect(sessionCookie).toBeUndefined();
    expect(await userBySubject(api, 'eve-sub')).toBeNull();
    expect((await refusals()).map((r) => r.after.reason)).toContain('state_mismatch');
  });

  it('refuses a callback without the browser’s pending sign-in (another browser, or no cookie)', async () => {
    await provider.setAccount('mal-sub', { name: 'Mal' });
    const jar = new CookieJar();
    const callback = await authenticateAtProvider(await startOidcSignIn(gatehouseUrl, jar), jar, 'mal-sub');
    // The callback URL opened in a browser that did not start the sign-in: no pending-sign-in cookie.
    const elsewhere = await finishOidcSignIn(callback, new CookieJar());
    expect(elsewhere.response.status).toBe(400);
    expect(elsewhere.body).toContain('was not started from this browser');
    expect(elsewhere.sessionCookie).toBeUndefined();
  });

  it('refuses a replayed callback, and a replayed code under a fresh sign-in (the provider refuses it)', async () => {
    await provider.setAccount('rex-sub', { name: 'Rex', groups: ['ai-assurance'] });
    const jar = new CookieJar();
    const callback = await authenticateAtProvider(await startOidcSignIn(gatehouseUrl, jar), jar, 'rex-sub');
    const pendingCookie = jar.get(gatehouseUrl, 'gh_oidc');
    expect(pendingCookie).toBeDefined();
    const first = await finishOidcSignIn(callback, jar);
    expect(first.response.status).toBe(303);

    // The same callback again, with the same pending-sign-in cookie (as an attacker who copied both would).
    const replay = new CookieJar();
    await replay.fetch(`${gatehouseUrl}/sign-in`); // a jar for the origin
    const replayed = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `gh_oidc=${pendingCookie}` },
    });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('was already used');

    // The code under a new sign-in's state: our checks pass, and the provider refuses the spent code.
    const fresh = new CookieJar();
    const authorize = new URL(await startOidcSignIn(gatehouseUrl, fresh));
    const forged = new URL(callback);
    forged.searchParams.set('state', authorize.searchParams.get('state') as string);
    const refused = await finishOidcSignIn(forged.href, fresh);
    expect(refused.response.status).toBe(401);
    expect(refused.body).toContain('refused to complete the sign-in');
    expect(refused.sessionCookie).toBeUndefined();
    const reasons = (await refusals()).map((r) => r.after.reason);
    expect(reasons).toEqual(expect.arrayContaining(['no_pending_sign_in', 'token_refused']));
    // Nothing of the code or the tokens reached the audit log or the logs.
    const code = new URL(callback).searchParams.get('code') as string;
    expect(JSON.stringify(await refusals())).not.toContain(code);
    expect(api.logs.join('')).not.toContain(code);
  });

  it('refuses an ID token issued for another application (wrong audience)', async () => {
    await provider.setAccount('ann-sub', { name: 'Ann', groups: ['ai-assurance'] });
    await provider.setIdTokenOverride({ aud: 'some-other-client' });
    try {
      const { response, body, sessionCookie } = await signInThroughProvider({
        gatehouseUrl,
        login: 'ann-sub',
      });
      expect(response.status).toBe(401);
      expect(body).toContain('issued for another application');
      expect(sessionCookie).toBeUndefined();
    } finally {
      await provider.setIdTokenOverride({});
    }
    expect(await userBySubject(api, 'ann-sub')).toBeNull();
    expect((await refusals()).map((r) => r.after.reason)).toContain('id_token_wrong_audience');
  });

  it('refuses an expired ID token', async () => {
    await provider.setAccount('old-sub', { name: 'Old', groups: ['ai-assurance'] });
    // Well past openid-client's 30 s clock tolerance.
    await provider.setIdTokenOverride({ expOffsetSeconds: -600 });
    try {
      const { response, body, sessionCookie } = await signInThroughProvider({
        gatehouseUrl,
        login: 'old-sub',
      });
      expect(response.status).toBe(401);
      expect(body).toContain('had expired');
      expect(sessionCookie).toBeUndefined();
    } finally {
      await provider.setIdTokenOverride({});
    }
    expect((await refusals()).map((r) => r.after.reason)).toContain('id_token_expired');
  });

  it('shows the provider’s error (the person cancelled) and opens nothing', async () => {
    const jar = new CookieJar();
    const callback = await authenticateAtProvider(await startOidcSignIn(gatehouseUrl, jar), jar, {
      cancel: true,
    });
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const { response, body, sessionCookie } = await finishOidcSignIn(callback, jar);
    expect(response.status).toBe(401);
    expect(body).toContain('did not sign you in (access_denied)');
    expect(sessionCookie).toBeUndefined();
    // The pending sign-in was spent: the same browser cannot use it afterwards.
    expect(jar.get(gatehouseUrl, 'gh_oidc')).toBeUndefined();
  });

  it('does not merge a new identity into an account that already has the e-mail address', async () => {
    const existing = await api.admin
      .post('/v1/users', { name: 'Token Tom', roles: ['reviewer'], email: 'Tom.Smith@example.gov.uk' })
      .expect(201);
    await provider.setAccount('tom-sub', {
      name: 'Tom',
      email: 'tom.smith@EXAMPLE.gov.uk',
      email_verified: true,
      groups: ['ai-assurance', 'ml-engineers'],
    });
    const { response, body, sessionCookie } = await signInThroughProvider({ gatehouseUrl, login: 'tom-sub' });
    expect(response.status).toBe(409);
    expect(body).toContain('ask a Gatehouse administrator');
    expect(sessionCookie).toBeUndefined();
    expect(await userBySubject(api, 'tom-sub')).toBeNull();
    const tom = (await api.admin.get(`/v1/users/${existing.body.user.id}`).expect(200)).body;
    expect(tom.roles).toEqual(['reviewer']);
    expect((await refusals()).map((r) => r.after.reason)).toContain('email_taken');
  });

  it('keeps an unverified address only in a domain the tenant owns (as Entra ID sends it)', async () => {
    await provider.setAccount('entra-sub', { name: 'Ana', email: 'Ana.Lee@Tenant.example.gov.uk' });
    await provider.setAccount('guest-sub', { name: 'Gus', email: 'gus@elsewhere.example.com' });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'entra-sub' })).sessionCookie).toBeDefined();
    expect((await signInThroughProvider({ gatehouseUrl, login: 'guest-sub' })).sessionCookie).toBeDefined();
    expect((await provisioned(api, 'entra-sub')).email).toBe('ana.lee@tenant.example.gov.uk');
    // Anyone can type an address at a provider that does not verify it: outside the tenant's domains it is
    // not kept, so nobody is e-mailed at an address they did not prove.
    expect((await provisioned(api, 'guest-sub')).email).toBeNull();
  });

  it('refuses a disabled user', async () => {
    await provider.setAccount('dee-sub', { name: 'Dee', groups: ['ai-assurance'] });
    expect((await signInThroughProvider({ gatehouseUrl, login: 'dee-sub' })).sessionCookie).toBeDefined();
    const dee = await provisioned(api, 'dee-sub');
    await api.admin.patch(`/v1/users/${dee.id}`, { disabled: true, reason: 'left' }).expect(200);
    const { response, body, sessionCookie } = await signInThroughProvider({ gatehouseUrl, login: 'dee-sub' });
    expect(response.status).toBe(403);
    expect(body).toContain('account is disabled');
    expect(sessionCookie).toBeUndefined();
  });

  it('refuses groups that name a team Gatehouse does not have', async () => {
    await provider.setAccount('nia-sub', { name: 'Nia', groups: ['benefits-team', 'grp-nowhere'] });
    const { response, body } = await signInThroughProvider({ gatehouseUrl, login: 'nia-sub' });
    expect(response.status).toBe(409);
    expect(body).toContain('name a team Gatehouse does not have');
    expect(await userBySubject(api, 'nia-sub')).toBeNull();
  });

  it('never returns the browser off-site after signing in', async () => {
    await provider.setAccount('ola-sub', { name: 'Ola', groups: ['ai-assurance'] });
    for (const next of ['//evil.example/path', 'https://evil.example/', '/\\evil.example']) {
      const { response } = await signInThroughProvider({ gatehouseUrl, login: 'ola-sub', next });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/ai-use-cases');
    }
  });
});

describeIntegration('bounds on signing in through the identity provider', () => {
  let provider: TestOidcProvider;
  let api: TestApi;
  let gatehouseUrl: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    const { port } = reserved;
    gatehouseUrl = `http://127.0.0.1:${port}`;
    provider = await startTestOidcProvider({
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${gatehouseUrl}/sign-in/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
    });
    api = await TestApi.start({
      GATEHOUSE_PUBLIC_URL: gatehouseUrl,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: CLIENT_ID,
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=reviewer',
      GATEHOUSE_OIDC_MAX_PENDING: '3',
    });
    await reserved.listen(api.app.getHttpServer());
  });

  afterAll(async () => {
    await api?.close();
    await provider?.close();
  });

  it('ends the session a browser already had when someone signs in on it', async () => {
    await provider.setAccount('first-sub', { name: 'First', groups: ['ai-assurance'] });
    await provider.setAccount('second-sub', { name: 'Second', groups: ['ai-assurance'] });
    const first = await signInThroughProvider({ gatehouseUrl, login: 'first-sub' });
    const firstCookie = first.sessionCookie as string;
    const asFirst = () => api.http.get('/work').set('Cookie', `gh_session=${firstCookie}`);
    expect((await asFirst()).status).toBe(200);
    const second = await signInThroughProvider({ gatehouseUrl, login: 'second-sub', jar: first.jar });
    expect(second.sessionCookie).toBeDefined();
    expect(second.sessionCookie).not.toBe(firstCookie);
    const after = await asFirst();
    expect(after.status).toBe(303);
    expect(after.headers['location']).toMatch(/^\/sign-in/);
  });

  it('refuses new sign-ins with 503 while too many are pending, and writes nothing for them', async () => {
    // Anyone can start a sign-in: each is a row for 10 minutes, so their number is bounded.
    const started = [];
    for (let i = 0; i < 3; i++) {
      started.push((await api.http.get('/sign-in/oidc?next=/work')).status);
    }
    expect(started).toEqual([303, 303, 303]);
    const refused = await api.http.get('/sign-in/oidc?next=/work');
    expect(refused.status).toBe(503);
    expect(refused.text).toContain('Too many sign-ins are in progress');
    expect(refused.headers['set-cookie']).toBeUndefined();
    const audit = (await api.admin.get('/v1/audit-events?limit=200').expect(200)).body.items as {
      action: string;
    }[];
    expect(audit.filter((e) => e.action === 'web_session.refused')).toEqual([]);
  });
});

describeIntegration('the sign-in page with the token form turned off', () => {
  let provider: TestOidcProvider;
  let api: TestApi;

  beforeAll(async () => {
    provider = await startTestOidcProvider({ clients: [] });
    api = await TestApi.start({
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: 'not-registered',
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_WEB_TOKEN_SIGN_IN: 'false',
    });
  });

  afterAll(async () => {
    await api?.close();
    await provider?.close();
  });

  it('offers only the provider button and refuses a token posted anyway', async () => {
    const page = await api.http.get('/sign-in').expect(200);
    expect(page.text).toContain('Sign in with your organisation’s account');
    expect(page.text).not.toContain('for="token"');
    const posted = await api.http
      .post('/sign-in')
      .type('form')
      .send({ token: 'ghk_whatever-token-000000000' });
    expect(posted.status).toBe(403);
    expect(posted.text).toContain('turned off');
    // The API still takes tokens.
    await api.admin.get('/v1/teams').expect(200);
  });

  it('shows a clear page, not a stack trace, when the provider cannot be reached', async () => {
    await provider.close();
    const started = await api.http.get('/sign-in/oidc?next=/ai-use-cases');
    expect(started.status).toBe(502);
    expect(started.text).toContain('could not reach the identity provider');
    expect(started.text).not.toMatch(/at \w+ \(/);
  });
});

describeIntegration('authenticating to the provider with a private key (private_key_jwt)', () => {
  let provider: TestOidcProvider;
  let api: TestApi;
  let gatehouseUrl: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    const { port } = reserved;
    gatehouseUrl = `http://127.0.0.1:${port}`;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(mkdtempSync(join(tmpdir(), 'gh-oidc-key-')), 'gatehouse.jwk');
    // The thumbprint Entra ID looks certificate credentials up by travels in the assertion's header.
    writeFileSync(
      keyFile,
      JSON.stringify({
        ...privateKey.export({ format: 'jwk' }),
        kid: 'gatehouse-1',
        x5t: 'AbCdEfGhIjKlMnOpQrStUvWxYz0',
      }),
    );
    provider = await startTestOidcProvider({
      clients: [
        {
          client_id: 'gatehouse-pkjwt',
          redirect_uris: [`${gatehouseUrl}/sign-in/oidc/callback`],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: {
            keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'gatehouse-1', alg: 'ES256', use: 'sig' }],
          },
        },
      ],
    });
    api = await TestApi.start({
      GATEHOUSE_PUBLIC_URL: gatehouseUrl,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse-pkjwt',
      GATEHOUSE_OIDC_PRIVATE_KEY_FILE: keyFile,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
    });
    await reserved.listen(api.app.getHttpServer());
  });

  afterAll(async () => {
    await api?.close();
    await provider?.close();
  });

  it('signs in with a client assertion signed by the configured key, with no roles until an admin grants them', async () => {
    await provider.setAccount('kim-sub', { name: 'Kim', email: 'kim@example.gov.uk', email_verified: true });
    const { response, sessionCookie } = await signInThroughProvider({ gatehouseUrl, login: 'kim-sub' });
    expect(response.status).toBe(303);
    expect(sessionCookie).toBeDefined();
    expect(await provisioned(api, 'kim-sub')).toMatchObject({ roles: [], email: 'kim@example.gov.uk' });
    // A person with no role yet can still read the pages.
    await api.http
      .get('/ai-use-cases')
      .set('Cookie', `gh_session=${sessionCookie as string}`)
      .expect(200);
  });
});

describeIntegration('the sign-in page without an identity provider', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
  });

  afterAll(async () => {
    await api?.close();
  });

  it('keeps the token form, shows no provider button, and has no provider routes', async () => {
    const page = await api.http.get('/sign-in').expect(200);
    expect(page.text).toContain('for="token"');
    expect(page.text).not.toContain('/sign-in/oidc');
    expect((await api.http.get('/sign-in/oidc')).status).toBe(404);
    expect((await api.http.get('/sign-in/oidc/callback?code=x&state=y')).status).toBe(404);
  });
});
