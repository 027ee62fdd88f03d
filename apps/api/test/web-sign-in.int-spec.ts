import { describeIntegration } from '@gatehouse/testing';
import request from 'supertest';
import { readWith, UnitOfWork, WebSessionEntity } from '@gatehouse/persistence';
import { TestApi, type TestUser } from './support/test-api';
import { signIn } from './support/web';

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const cookieNamed = (response: request.Response, name: string) =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));

describeIntegration('signing in to the web pages', () => {
  let api: TestApi;
  let sam: TestUser;

  beforeAll(async () => {
    api = await TestApi.start();
    sam = await api.user('Sam', ['service_team'], 'Benefits');
  }, 30_000);

  afterAll(async () => {
    await api?.close();
  });

  const signInForm = async (agent: ReturnType<typeof request.agent>) => {
    const page = await agent.get('/sign-in?next=/ai-use-cases').expect(200);
    return { page, csrf: csrfIn(page.text) };
  };

  it('serves the sign-in page with GOV.UK styles, a strict CSP and no framing', async () => {
    const page = await api.http.get('/sign-in').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('govuk-template');
    expect(page.text).toContain('<label class="govuk-label govuk-label--m" for="token">');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Every inline script on the page is the one the policy allows by hash.
    const inline = [...page.text.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([^<]*)<\/script>/g)];
    expect(inline).toHaveLength(1);
    await api.http
      .get('/assets/govuk-frontend.min.css')
      .expect(200)
      .expect('content-type', /text\/css/);
    await api.http.get('/assets/app.mjs').expect(200);
  });

  it('opens a session with a valid token: HttpOnly, SameSite=Lax cookie, redirect to the page asked for', async () => {
    const agent = request.agent(api.app.getHttpServer());
    const { csrf } = await signInForm(agent);
    const signedIn = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrf, token: sam.token, next: '/ai-use-cases?stage=test' })
      .expect(303);
    expect(signedIn.headers.location).toBe('/ai-use-cases?stage=test');
    const cookie = cookieNamed(signedIn, 'gh_session');
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP here; Secure when served over HTTPS
    expect(cookie).not.toContain(sam.token);
    const home = await agent.get('/').expect(303);
    expect(home.headers.location).toBe('/ai-use-cases');
  });

  it('refuses a wrong token and a forged form, with the error summary, and opens no session', async () => {
    const agent = request.agent(api.app.getHttpServer());
    const { csrf } = await signInForm(agent);
    const wrong = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrf, token: 'ghk_not-a-real-token-at-all-000' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('govuk-error-summary');
    expect(wrong.text).toContain('The API token is not valid');
    expect(cookieNamed(wrong, 'gh_session')).toBeUndefined();
    const empty = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfIn(wrong.text), token: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter your API token');
    // Without the sign-in form's CSRF cookie (a cross-site form post), the token is not even tried.
    const forged = await api.http.post('/sign-in').type('form').send({ _csrf: 'x', token: sam.token });
    expect(forged.status).toBe(400);
    expect(cookieNamed(forged, 'gh_session')).toBeUndefined();
    const offsite = await api.http
      .post('/sign-in')
      .type('form')
      .send({ token: sam.token, next: '//evil.example' });
    expect(offsite.status).toBe(400);
  });

  it('never sends a browser off-site after signing in', async () => {
    const agent = request.agent(api.app.getHttpServer());
    const { csrf } = await signInForm(agent);
    const signedIn = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrf, token: sam.token, next: '//evil.example/path' })
      .expect(303);
    expect(signedIn.headers.location).toBe('/ai-use-cases');
  });

  it('signs out only with the session’s CSRF token, and a revoked token ends its sessions', async () => {
    const user = await api.user('Tara', ['service_team'], 'Benefits');
    const [token] = (await api.admin.get(`/v1/users/${user.id}/tokens`).expect(200)).body as { id: string }[];
    const sessions = () =>
      readWith(api.app.get(UnitOfWork), (m) => m.countBy(WebSessionEntity, { tokenId: token.id }));

    const web = await signIn(api, user.token);
    expect(await sessions()).toBe(1);
    // A sign-out posted without the session's token (a form on another site) ends nothing.
    await web.agent.post('/sign-out').type('form').send({}).expect(403);
    expect(await sessions()).toBe(1);
    expect((await web.agent.get('/').expect(303)).headers.location).toBe('/ai-use-cases');

    const again = await signIn(api, user.token);
    expect(await sessions()).toBe(2);
    const out = await again.post('/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/sign-in?signedOut=1');
    expect(await sessions()).toBe(1);
    expect((await again.agent.get('/').expect(303)).headers.location).toBe('/sign-in');

    // Revoking the token ends the session that is left.
    const third = await signIn(api, user.token);
    await api.admin.post(`/v1/tokens/${token.id}/revoke`, { reason: 'left the team' }).expect(200);
    expect((await third.agent.get('/').expect(303)).headers.location).toBe('/sign-in');
    const actions = (
      await api.admin.get(`/v1/audit-events?subjectId=${user.id}&limit=100`).expect(200)
    ).body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['web_session.started', 'web_session.ended']));
  });
});
