import { sha256Hex } from '@gatehouse/domain';
import { readWith, UnitOfWork, WebSessionEntity, WebSessionRepository } from '@gatehouse/persistence';
import {
  type CookieJar,
  describeIntegration,
  finishOidcSignIn,
  type ReservedPort,
  reservePort,
  signInThroughProvider,
  startOidcSignIn,
  startTestOidcProvider,
  type TestOidcClient,
  type TestOidcProvider,
} from '@gatehouse/testing';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type OidcApp, oidcClientFor, startOidcApi } from './support/oidc-app';
import { signIn } from './support/web';
import { TestApi } from './support/test-api';

const CLIENT_SECRET = 'test-client-secret-0123456789';
const PROVIDER_NAME = 'Test Identity';

/** One Gatehouse's client at the provider (all share the secret and the provider's name). */
const appFor = (clientId: string): OidcApp => ({
  clientId,
  clientSecret: CLIENT_SECRET,
  providerName: PROVIDER_NAME,
});
const clientFor = (clientId: string, gatehouseUrl: string): TestOidcClient =>
  oidcClientFor(appFor(clientId), gatehouseUrl);
const apiFor = (
  gatehouseUrl: string,
  provider: TestOidcProvider,
  clientId: string,
  env: Record<string, string> = {},
) => startOidcApi(appFor(clientId), gatehouseUrl, provider, env);

/**
 * The shared test provider with RP-initiated logout turned off (no `end_session_endpoint` in its
 * discovery): its child process is started with a module hook (NODE_OPTIONS --import) that hands the
 * provider script a wrapper of the real oidc-provider adding `rpInitiatedLogout: { enabled: false }`.
 */
async function startProviderWithoutLogout(clients: TestOidcClient[]): Promise<TestOidcProvider> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-no-logout-'));
  const wrapper = pathToFileURL(join(dir, 'no-logout-provider.mjs')).href;
  writeFileSync(
    join(dir, 'no-logout-provider.mjs'),
    `import Provider from 'oidc-provider';
export default function ProviderWithoutLogout(issuer, configuration) {
  return new Provider(issuer, {
    ...configuration,
    features: { ...configuration.features, rpInitiatedLogout: { enabled: false } },
  });
}
`,
  );
  writeFileSync(
    join(dir, 'loader.mjs'),
    `let providerScript = null;
export async function resolve(specifier, context, next) {
  if (specifier === 'oidc-provider' && context.parentURL === ${JSON.stringify(wrapper)}) {
    return next(specifier, { ...context, parentURL: providerScript });
  }
  if (specifier === 'oidc-provider' && context.parentURL?.endsWith('/test-oidc-provider.mjs')) {
    providerScript = context.parentURL;
    return { url: ${JSON.stringify(wrapper)}, shortCircuit: true };
  }
  return next(specifier, context);
}
`,
  );
  writeFileSync(
    join(dir, 'preload.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'loader.mjs')).href)});\n`,
  );
  const before = process.env['NODE_OPTIONS'];
  // The child's environment is read when it is spawned, synchronously inside the call.
  process.env['NODE_OPTIONS'] =
    `${before ?? ''} --import=${pathToFileURL(join(dir, 'preload.mjs')).href}`.trim();
  let started: Promise<TestOidcProvider>;
  try {
    started = startTestOidcProvider({ clients });
  } finally {
    if (before === undefined) {
      delete process.env['NODE_OPTIONS'];
    } else {
      process.env['NODE_OPTIONS'] = before;
    }
  }
  try {
    return await started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The provider's discovery document. */
const discovery = async (provider: TestOidcProvider) =>
  (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as {
    end_session_endpoint?: string;
    jwks_uri: string;
  };

/** Whether a JWT is signed by one of the provider's keys (RS256), and its claims. */
async function verifiedByProvider(provider: TestOidcProvider, jwt: string) {
  const { keys } = (await (await fetch((await discovery(provider)).jwks_uri)).json()) as {
    keys: (import('node:crypto').JsonWebKey & { kid: string })[];
  };
  const [header, payload, signature] = jwt.split('.');
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
  const jwk = keys.find((k) => k.kid === kid);
  const signed =
    !!jwk &&
    verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(signature, 'base64url'),
    );
  return {
    signed,
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
  };
}

/**
 * Follows redirects within the provider's origin (as a browser would); answers the first page it shows
 * (status 200) or the first URL off the provider.
 */
async function atProvider(
  url: string,
  jar: CookieJar,
  init: RequestInit = {},
): Promise<{ page: string | null; pageUrl: string; leftTo: string | null }> {
  const origin = new URL(url).origin;
  let next = url;
  let request = init;
  for (let hop = 0; hop < 10; hop++) {
    const response = await jar.fetch(next, request);
    request = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.text();
      next = new URL(location, next).href;
      if (new URL(next).origin !== origin) {
        return { page: null, pageUrl: next, leftTo: next };
      }
      continue;
    }
    const page = await response.text();
    if (response.status !== 200) {
      throw new Error(`the provider answered ${response.status} at ${next}: ${page.slice(0, 300)}`);
    }
    return { page, pageUrl: next, leftTo: null };
  }
  throw new Error('more than 10 redirects at the provider');
}

/** The Gatehouse page's CSRF token (the Sign out form carries it). */
const csrfOf = (html: string): string => {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) {
    throw new Error('the page has no CSRF field');
  }
  return token;
};

/** Signs in through the provider; answers the jar (both origins' cookies) and the page's CSRF token. */
async function signedInThroughProvider(gatehouseUrl: string, login: string) {
  const signedIn = await signInThroughProvider({ gatehouseUrl, login });
  expect(signedIn.response.status).toBe(303);
  const cookie = signedIn.sessionCookie;
  if (!cookie) {
    throw new Error(`${login} was not signed in: ${signedIn.body.slice(0, 300)}`);
  }
  const page = await signedIn.jar.fetch(`${gatehouseUrl}/ai-use-cases`);
  expect(page.status).toBe(200);
  return { jar: signedIn.jar, cookie, csrf: csrfOf(await page.text()) };
}

/** Posts the Sign out form as the browser would (the jar's cookies, the page's CSRF token). */
const postSignOut = (gatehouseUrl: string, jar: CookieJar, form: Record<string, string>) =>
  jar.fetch(`${gatehouseUrl}/sign-out`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

/** Whether an old session cookie now only gets the sign-in page (it got the page while signed in). */
const signedOutCookie = async (api: TestApi, cookie: string): Promise<boolean> => {
  const page = await api.http.get('/ai-use-cases').set('Cookie', `gh_session=${cookie}`);
  return page.status === 303 && page.headers.location === '/sign-in?next=%2Fai-use-cases';
};

const sessionRows = (api: TestApi) => readWith(api.app.get(UnitOfWork), (m) => m.find(WebSessionEntity));

const LOCAL_ONLY_NOTICE = `you may still be signed in to ${PROVIDER_NAME} in this browser`;
const BOTH_NOTICE = `You are signed out of Gatehouse and of ${PROVIDER_NAME}.`;

describeIntegration('signing out of the identity provider too (OpenID Connect RP-initiated logout)', () => {
  let provider: TestOidcProvider;
  let withoutLogout: TestOidcProvider;
  let api: TestApi;
  let noEndSessionApi: TestApi;
  let switchedOffApi: TestApi;
  let gatehouseUrl: string;
  let noEndSessionUrl: string;
  let switchedOffUrl: string;
  /** Every response body the tests read from Gatehouse, to prove no ID token is in one. */
  const bodies: string[] = [];
  /** Every ID token the provider issued to Gatehouse that a test saw (as id_token_hint). */
  const idTokens: string[] = [];

  beforeAll(async () => {
    const ports: ReservedPort[] = [await reservePort(), await reservePort(), await reservePort()];
    [gatehouseUrl, noEndSessionUrl, switchedOffUrl] = ports.map((p) => p.url);
    provider = await startTestOidcProvider({
      clients: [clientFor('gatehouse-main', gatehouseUrl), clientFor('gatehouse-off', switchedOffUrl)],
    });
    withoutLogout = await startProviderWithoutLogout([clientFor('gatehouse-plain', noEndSessionUrl)]);
    api = await apiFor(gatehouseUrl, provider, 'gatehouse-main');
    noEndSessionApi = await apiFor(noEndSessionUrl, withoutLogout, 'gatehouse-plain');
    switchedOffApi = await apiFor(switchedOffUrl, provider, 'gatehouse-off', {
      GATEHOUSE_OIDC_END_SESSION: 'false',
    });
    await ports[0].listen(api.app.getHttpServer());
    await ports[1].listen(noEndSessionApi.app.getHttpServer());
    await ports[2].listen(switchedOffApi.app.getHttpServer());
    for (const p of [provider, withoutLogout]) {
      await p.setAccount('olga-sub', { name: 'Olga Office', groups: [] });
      await p.setAccount('pat-sub', { name: 'Pat Shared', groups: [] });
    }
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await noEndSessionApi?.close();
    await switchedOffApi?.close();
    await provider?.close();
    await withoutLogout?.close();
  });

  it('the two providers differ only in RP-initiated logout', async () => {
    expect((await discovery(provider)).end_session_endpoint).toBe(`${provider.issuer}/session/end`);
    expect((await discovery(withoutLogout)).end_session_endpoint).toBeUndefined();
  });

  it('ends the Gatehouse session, then the provider’s: the next person is asked for their credentials', async () => {
    const { jar, cookie: first } = await signedInThroughProvider(gatehouseUrl, 'olga-sub');
    // The shared-computer problem: while the provider's session lasts, signing in again needs no password.
    const authorize = await startOidcSignIn(gatehouseUrl, jar);
    const silent = await atProvider(authorize, jar);
    expect(silent.leftTo).toMatch(new RegExp(`^${gatehouseUrl}/sign-in/oidc/callback\\?code=`));
    const again = await finishOidcSignIn(silent.leftTo as string, jar);
    expect(again.sessionCookie).toBeDefined();
    expect(again.sessionCookie).not.toBe(first);
    const cookie = again.sessionCookie as string;
    const page = await jar.fetch(`${gatehouseUrl}/ai-use-cases`);
    const csrf = csrfOf(await page.text());

    // The ID token is kept with the session, sealed: not readable in the row.
    const [row] = (await sessionRows(api)).filter((r) => r.via === 'oidc');
    expect(row.idTokenSealed).toMatch(/^gh1\./);

    expect(await signedOutCookie(api, cookie)).toBe(false);
    const out = await postSignOut(gatehouseUrl, jar, { _csrf: csrf });
    const outBody = await out.text();
    bodies.push(outBody);
    expect(out.status).toBe(303);
    expect(outBody).toBe('');
    expect(out.headers.get('cache-control')).toBe('no-store');
    const target = new URL(out.headers.get('location') as string);
    expect(`${target.origin}${target.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${gatehouseUrl}/signed-out`);
    expect(target.searchParams.get('client_id')).toBe('gatehouse-main');
    const state = target.searchParams.get('state');
    expect(state).toMatch(/^[\w-]{32}$/);
    const hint = target.searchParams.get('id_token_hint') as string;
    idTokens.push(hint);
    const verified = await verifiedByProvider(provider, hint);
    expect(verified.signed).toBe(true);
    expect(verified.claims).toMatchObject({ iss: provider.issuer, aud: 'gatehouse-main', sub: 'olga-sub' });
    expect(row.idTokenSealed).not.toContain(hint.split('.')[1]);

    // The Gatehouse session is gone before the browser reaches the provider: its row (and the ID token
    // with it) deleted, its cookie cleared, the old cookie signed out.
    expect((await sessionRows(api)).filter((r) => r.via === 'oidc')).toHaveLength(0);
    expect(jar.get(gatehouseUrl, 'gh_session')).toBeUndefined();
    expect(await signedOutCookie(api, cookie)).toBe(true);

    // At the provider: its logout confirmation, then back to Gatehouse's /signed-out with the state.
    const confirm = await atProvider(target.href, jar);
    expect(confirm.page).toContain('id="op.logoutForm"');
    const action = /<form id="op\.logoutForm" method="post" action="([^"]+)"/.exec(confirm.page ?? '')?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.page ?? '')?.[1];
    expect(action && xsrf).toBeTruthy();
    const confirmed = await atProvider(new URL(action as string, confirm.pageUrl).href, jar, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf as string, logout: 'yes' }).toString(),
    });
    expect(confirmed.leftTo).toBe(`${gatehouseUrl}/signed-out?state=${state}`);
    const landing = await jar.fetch(confirmed.leftTo as string);
    const landingBody = await landing.text();
    bodies.push(landingBody);
    expect(landing.status).toBe(200);
    expect(landingBody).toContain(BOTH_NOTICE);
    expect(landingBody).not.toContain(LOCAL_ONLY_NOTICE);

    // The next person who presses "Sign in with …" is asked who they are.
    const next = await atProvider(await startOidcSignIn(gatehouseUrl, jar), jar);
    expect(next.leftTo).toBeNull();
    expect(next.pageUrl).toMatch(new RegExp(`^${provider.issuer}/interaction/`));
    expect(next.page).toContain('Sign in to the test identity provider');
    expect(next.page).toContain('name="login"');
  });

  it('says the provider session may be open when the browser comes back without its sign-out state', async () => {
    for (const path of [
      '/signed-out',
      '/signed-out?state=forged',
      '/signed-out?next=https://evil.example/',
    ]) {
      const page = await api.http.get(path).expect(200);
      bodies.push(page.text);
      expect(page.text).toContain(LOCAL_ONLY_NOTICE);
      expect(page.text).not.toContain(BOTH_NOTICE);
    }
    const wrongState = await api.http
      .get('/signed-out?state=not-the-one')
      .set('Cookie', 'gh_signout=the-state-this-browser-left-with')
      .expect(200);
    expect(wrongState.text).toContain(LOCAL_ONLY_NOTICE);
  });

  it('never lets the request choose where the provider sends the browser back', async () => {
    const { cookie, csrf } = await signedInThroughProvider(gatehouseUrl, 'pat-sub');
    // supertest, not fetch: fetch does not let a caller set the Host header.
    const out = await api.http
      .post(
        '/sign-out?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&next=https%3A%2F%2Fevil.example%2F',
      )
      .set('Host', 'evil.example')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', `gh_session=${cookie}`)
      .type('form')
      .send({
        _csrf: csrf,
        post_logout_redirect_uri: 'https://evil.example/phish',
        next: 'https://evil.example/next',
      });
    bodies.push(out.text);
    expect(out.status).toBe(303);
    const target = new URL(out.headers['location'] as string);
    expect(target.origin).toBe(provider.issuer);
    expect(target.searchParams.getAll('post_logout_redirect_uri')).toEqual([`${gatehouseUrl}/signed-out`]);
    expect(target.href).not.toContain('evil.example');
    idTokens.push(target.searchParams.get('id_token_hint') as string);
  });

  it('refuses a sign-out without the session’s CSRF token, as before', async () => {
    const { jar, cookie } = await signedInThroughProvider(gatehouseUrl, 'olga-sub');
    const refused = await postSignOut(gatehouseUrl, jar, {});
    const body = await refused.text();
    bodies.push(body);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
    expect(body).toContain('you are still signed in');
    expect(jar.get(gatehouseUrl, 'gh_session')).toBe(cookie);
    expect((await jar.fetch(`${gatehouseUrl}/ai-use-cases`)).status).toBe(200);
  });

  it('signs a token session out locally, as before, and says what to do about the provider', async () => {
    const user = await api.user('Tess Token', ['service_team'], 'Benefits');
    const web = await signIn(api, user.token);
    const out = await web.post('/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/sign-in?signedOut=1');
    expect((await web.agent.get('/ai-use-cases').expect(303)).headers.location).toBe(
      '/sign-in?next=%2Fai-use-cases',
    );
    const page = await api.http.get('/sign-in?signedOut=1').expect(200);
    expect(page.text).toContain(LOCAL_ONLY_NOTICE);
    expect(page.text).toContain('On a shared computer, close every browser window now.');
  });

  it('signs out locally when the provider has no end_session_endpoint, and says so', async () => {
    const { jar, cookie, csrf } = await signedInThroughProvider(noEndSessionUrl, 'olga-sub');
    const [row] = await sessionRows(noEndSessionApi);
    expect(row.idTokenSealed).toMatch(/^gh1\./);
    expect(await signedOutCookie(noEndSessionApi, cookie)).toBe(false);
    const out = await postSignOut(noEndSessionUrl, jar, { _csrf: csrf });
    bodies.push(await out.text());
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/sign-in?signedOut=1');
    expect(await sessionRows(noEndSessionApi)).toHaveLength(0);
    expect(await signedOutCookie(noEndSessionApi, cookie)).toBe(true);
    const page = await jar.fetch(`${noEndSessionUrl}/sign-in?signedOut=1`);
    const text = await page.text();
    bodies.push(text);
    expect(text).toContain(LOCAL_ONLY_NOTICE);
    expect(text).toContain('On a shared computer, close every browser window now.');
  });

  it('signs out locally when the operator turned it off (GATEHOUSE_OIDC_END_SESSION=false)', async () => {
    const { jar, cookie, csrf } = await signedInThroughProvider(switchedOffUrl, 'pat-sub');
    expect(await signedOutCookie(switchedOffApi, cookie)).toBe(false);
    const out = await postSignOut(switchedOffUrl, jar, { _csrf: csrf });
    bodies.push(await out.text());
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/sign-in?signedOut=1');
    expect(await signedOutCookie(switchedOffApi, cookie)).toBe(true);
    // Nothing was asked of the provider: its session still signs the browser straight back in.
    const silent = await atProvider(await startOidcSignIn(switchedOffUrl, jar), jar);
    expect(silent.leftTo).toMatch(new RegExp(`^${switchedOffUrl}/sign-in/oidc/callback\\?code=`));
  });

  it('signs out locally when the provider cannot be reached (its discovery fails), and says so', async () => {
    const gone = await reservePort();
    await gone.release();
    const unreachable = await TestApi.start({
      GATEHOUSE_PUBLIC_URL: 'http://127.0.0.1:1',
      GATEHOUSE_OIDC_ISSUER: gone.url,
      GATEHOUSE_OIDC_CLIENT_ID: 'gatehouse-unreachable',
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_BUTTON_TEXT: PROVIDER_NAME,
    });
    try {
      // A provider session opened while the provider was up (this server has not read its discovery since).
      const user = await unreachable.user('Una Reachable', ['reviewer'], null);
      const secret = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      const now = new Date();
      await unreachable.app.get(UnitOfWork).write((tx) =>
        unreachable.app.get(WebSessionRepository).insert(
          tx,
          Object.assign(new WebSessionEntity(), {
            id: sha256Hex(secret),
            userId: user.id,
            tokenId: null,
            via: 'oidc' as const,
            csrfToken: csrf,
            idTokenSealed: null,
            createdAt: now,
            expiresAt: new Date(now.getTime() + 3_600_000),
          }),
        ),
      );
      expect(await signedOutCookie(unreachable, secret)).toBe(false);
      // Discovery is tried now, and refused (nothing listens): the sign-out still ends the session here,
      // rather than failing with the provider's 502.
      const out = await unreachable.http
        .post('/sign-out')
        .set('Cookie', `gh_session=${secret}`)
        .type('form')
        .send({ _csrf: csrf });
      expect(out.status).toBe(303);
      expect(out.headers['location']).toBe('/sign-in?signedOut=1');
      expect(await signedOutCookie(unreachable, secret)).toBe(true);
      expect(await sessionRows(unreachable)).toHaveLength(0);
      const page = await unreachable.http.get('/sign-in?signedOut=1').expect(200);
      expect(page.text).toContain(LOCAL_ONLY_NOTICE);
    } finally {
      await unreachable.close();
    }
  });

  it('puts the ID token in no response body and no log line', () => {
    expect(idTokens.length).toBeGreaterThanOrEqual(2);
    expect(bodies.length).toBeGreaterThan(5);
    const logged = [api, noEndSessionApi, switchedOffApi].map((a) => a.logs.join('')).join('');
    expect(logged).toContain('/sign-out');
    for (const token of idTokens) {
      const signature = token.split('.')[2];
      for (const body of bodies) {
        expect(body).not.toContain(signature);
      }
      expect(logged).not.toContain(signature);
    }
  });
});
