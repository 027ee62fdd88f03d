import { NotificationsService, runFailed, useCasePromoted, WebSessionsService } from '@gatehouse/application';
import { approvalRefusal } from '@gatehouse/domain';
import { EgressPolicy } from '@gatehouse/evals';
import { managerOf, readWith, UnitOfWork, UserEntity, WebhookEndpointEntity } from '@gatehouse/persistence';
import {
  authenticateAtProvider,
  CookieJar,
  describeIntegration,
  finishOidcSignIn,
  type ReservedPort,
  reservePort,
  signInThroughProvider,
  startOidcSignIn,
  startTestOidcProvider,
  startNotifyServer,
  startWebhookReceiver,
  type NotifyServer,
  type TestOidcProvider,
  type WebhookReceiver,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ADMIN_TOKEN, TestApi, type TestUser } from '../support/test-api';

const CLIENT_ID = 'gatehouse-attacks';
const CLIENT_SECRET = 'attacks-client-secret-0123456789';

interface Delivery {
  id: string;
  eventId: string;
  endpointId: string | null;
  recipientUserId: string | null;
  status: string;
  lastError: string | null;
}

/**
 * Issue 13 attacked: sign-in through the identity provider (login CSRF, stolen state, open redirects,
 * hostile claims, account takeover by e-mail), the work list, webhook endpoints (SSRF, replay) and the
 * routes before authentication. Each test is an attack; it passes when Gatehouse refuses it.
 */
describeIntegration('reviewer workflow attacks (identity provider, work list, notifications)', () => {
  let provider: TestOidcProvider;
  let api: TestApi;
  let gatehouseUrl: string;
  let port: number;
  let reserved: ReservedPort;
  let receiver: WebhookReceiver;
  let reviewer: TestUser;
  let adminUser: TestUser;
  let benefitsId: string;
  let pensionsId: string;
  let notify: NotifyServer;
  const RUN_FAILED_TEMPLATE = 'a0000000-0000-4000-8000-0000000000f4';

  const userBySubject = (subject: string) =>
    readWith(api.app.get(UnitOfWork), (m) => m.findOneBy(UserEntity, { oidcSubject: subject }));
  const adminDelete = (url: string) => api.http.delete(url).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const pageAs = (cookie: string, path: string) => api.http.get(path).set('Cookie', `gh_session=${cookie}`);
  const deliveries = async (): Promise<Delivery[]> =>
    (await api.admin.get('/v1/webhook-deliveries?limit=200').expect(200)).body.items;
  const settled = async (eventId: string, count: number): Promise<Delivery[]> => {
    for (let i = 0; i < 300; i++) {
      const mine = (await deliveries()).filter(
        (d) => d.eventId === eventId && (d.status === 'delivered' || d.status === 'failed'),
      );
      if (mine.length >= count) {
        return mine;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`deliveries of ${eventId} never settled: ${JSON.stringify(await deliveries())}`);
  };
  const settledDelivery = async (id: string, status: string): Promise<Delivery> => {
    for (let i = 0; i < 300; i++) {
      const found = (await deliveries()).find((d) => d.id === id && d.status === status);
      if (found) {
        return found;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`delivery ${id} never reached ${status}`);
  };
  const promoted = async (teamId: string, name = 'Attacked record') => {
    const service = api.app.get(NotificationsService);
    const change = randomUUID();
    await service.write((tx) =>
      service.record(
        tx,
        useCasePromoted(
          { id: randomUUID(), name, stage: 'test', ownerTeamId: teamId },
          { id: change, fromStage: 'proposed', toStage: 'test' },
        ),
      ),
    );
    return `use_case.promoted:${change}`;
  };

  beforeAll(async () => {
    reserved = await reservePort();
    port = reserved.port;
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
    receiver = await startWebhookReceiver();
    notify = await startNotifyServer({ templates: [RUN_FAILED_TEMPLATE] });
    api = await TestApi.start({
      PORT: String(port),
      GATEHOUSE_PUBLIC_URL: gatehouseUrl,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: CLIENT_ID,
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=reviewer,benefits-team=service_team',
      GATEHOUSE_OIDC_TEAM_MAP: 'grp-benefits=Benefits',
      GATEHOUSE_OIDC_EMAIL_DOMAINS: 'tenant.example.gov.uk',
      GATEHOUSE_NOTIFY_BACKOFF_MS: '50',
      GATEHOUSE_NOTIFY_MAX_ATTEMPTS: '2',
      GATEHOUSE_WEBHOOK_TIMEOUT_MS: '3000',
      GATEHOUSE_RECONCILE_EVERY_MS: '3600000',
      GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
      GATEHOUSE_NOTIFY_BASE_URL: notify.url,
      GATEHOUSE_NOTIFY_TEMPLATE_RUN_FAILED: RUN_FAILED_TEMPLATE,
    });
    await reserved.listen(api.app.getHttpServer());
    benefitsId = await api.team('Benefits');
    pensionsId = await api.team('Pensions');
    reviewer = await api.user('Rhea', ['reviewer'], 'Assurance');
    adminUser = await api.user('Ada Admin', ['admin'], null);
    await api.admin.patch(`/v1/users/${adminUser.id}`, { email: 'ada.admin@example.gov.uk' }).expect(200);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await provider?.close();
    await receiver?.close();
    await notify?.close();
  });

  describe('before authentication', () => {
    it('answers 401 on every new API route and sends /work to the sign-in page', async () => {
      const id = randomUUID();
      const calls = [
        api.http.get('/v1/me/work'),
        api.http.get('/v1/webhook-endpoints'),
        api.http.post('/v1/webhook-endpoints').send({ name: 'x', url: receiver.url, events: ['run.failed'] }),
        api.http.delete(`/v1/webhook-endpoints/${id}`),
        api.http.post(`/v1/webhook-endpoints/${id}/rotate-secret`),
        api.http.get('/v1/webhook-deliveries'),
        api.http.post(`/v1/webhook-deliveries/${id}/replay`),
      ];
      for (const call of calls) {
        const response = await call;
        expect(response.status).toBe(401);
        expect(JSON.stringify(response.body)).not.toContain('whsec_');
      }
      const page = await api.http.get('/work').expect(303);
      expect(page.headers['location']).toBe('/sign-in?next=%2Fwork');
    });

    it('refuses the webhook routes to a signed-in reviewer (admins only)', async () => {
      const as = api.as(reviewer.token);
      expect((await as.get('/v1/webhook-endpoints')).status).toBe(403);
      expect((await as.get('/v1/webhook-deliveries')).status).toBe(403);
      expect(
        (await as.post('/v1/webhook-endpoints', { name: 'x', url: receiver.url, events: ['run.failed'] }))
          .status,
      ).toBe(403);
      expect((await as.post(`/v1/webhook-deliveries/${randomUUID()}/replay`)).status).toBe(403);
    });
  });

  describe('sign-in through the identity provider', () => {
    it('refuses a callback carrying another browser’s state (login CSRF): no session is opened', async () => {
      await provider.setAccount('mallory-sub', { name: 'Mallory', groups: ['ai-assurance'] });
      const attacker = new CookieJar();
      const attackerCallback = await authenticateAtProvider(
        await startOidcSignIn(gatehouseUrl, attacker),
        attacker,
        'mallory-sub',
      );
      // The victim has a sign-in of their own pending (the attacker made their browser start one).
      const victim = new CookieJar();
      await startOidcSignIn(gatehouseUrl, victim);
      const forced = await finishOidcSignIn(attackerCallback, victim);
      expect(forced.response.status).toBe(400);
      expect(forced.sessionCookie).toBeUndefined();
      // A browser with no pending sign-in at all is refused too.
      const bare = await finishOidcSignIn(attackerCallback, new CookieJar());
      expect(bare.response.status).toBe(400);
      expect(bare.sessionCookie).toBeUndefined();
    });

    it.each([
      '//evil.example/x',
      '/\\evil.example/x',
      '/%5Cevil.example',
      '/%2F%2Fevil.example',
      '/\tevil.example',
      'https://evil.example/',
      '/.//evil.example',
      '/%2e//evil.example',
      '/%2E%2e/%2e%2e//evil.example',
      '/x/..//evil.example',
      'javascript:alert(1)',
    ])('keeps the browser on Gatehouse after sign-in whatever next says (%j)', async (next) => {
      await provider.setAccount('nina-sub', { name: 'Nina', groups: ['ai-assurance'] });
      const done = await signInThroughProvider({ gatehouseUrl, login: 'nina-sub', next });
      expect(done.response.status).toBe(303);
      const location = done.response.headers.get('location') as string;
      expect(location).toMatch(/^\/(?![/\\])/);
      expect(new URL(location, gatehouseUrl).origin).toBe(gatehouseUrl);
      expect(new URL(location, gatehouseUrl).pathname).not.toMatch(/^\/\//);
    });

    it('shows no markup from a hostile callback or work-page query, and opens no session', async () => {
      const jar = new CookieJar();
      await startOidcSignIn(gatehouseUrl, jar);
      const hostile = encodeURIComponent('<script>alert(1)</script>');
      const refused = await finishOidcSignIn(
        `${gatehouseUrl}/sign-in/oidc/callback?error=${hostile}&error_description=${hostile}&state=x`,
        jar,
      );
      expect(refused.response.status).toBe(401);
      expect(refused.body).not.toContain('<script>alert');
      expect(refused.body).toContain('unknown_error');
      expect(refused.sessionCookie).toBeUndefined();

      await provider.setAccount('quinn-sub', { name: 'Quinn <img src=x onerror=alert(1)>', groups: [] });
      const quinn = await signInThroughProvider({ gatehouseUrl, login: 'quinn-sub' });
      const page = await pageAs(quinn.sessionCookie as string, `/work?withinDays=${hostile}`);
      expect(page.status).toBe(400);
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).not.toContain('<img src=x');
    });

    it('keeps no address in a trusted domain that the provider says it did not verify (no squatting a colleague’s)', async () => {
      await provider.setAccount('squat-sub', {
        name: 'Squatter',
        email: 'permanent.secretary@tenant.example.gov.uk',
        email_verified: false,
        groups: [],
      });
      const squat = await signInThroughProvider({ gatehouseUrl, login: 'squat-sub' });
      expect(squat.response.status).toBe(303);
      expect((await userBySubject('squat-sub'))?.email).toBeNull();
      // Without the claim (as Entra ID sends it) the trusted domain keeps the address.
      await provider.setAccount('entra-sub', {
        name: 'Entra',
        email: 'entra@tenant.example.gov.uk',
        groups: [],
      });
      await signInThroughProvider({ gatehouseUrl, login: 'entra-sub' });
      expect((await userBySubject('entra-sub'))?.email).toBe('entra@tenant.example.gov.uk');
    });

    it('takes no account over by e-mail: a verified claim of an admin’s address, in any case, is refused', async () => {
      for (const [sub, email] of [
        ['takeover-1', 'ada.admin@example.gov.uk'],
        ['takeover-2', ' ADA.Admin@Example.GOV.uk '],
      ]) {
        await provider.setAccount(sub, { name: 'Ada Admin', email, email_verified: true, groups: [] });
        const done = await signInThroughProvider({ gatehouseUrl, login: sub });
        expect(done.response.status).toBe(409);
        expect(done.sessionCookie).toBeUndefined();
        expect(await userBySubject(sub)).toBeNull();
      }
      const admin = await readWith(api.app.get(UnitOfWork), (m) =>
        m.findOneBy(UserEntity, { id: adminUser.id }),
      );
      expect(admin).toMatchObject({ oidcSubject: null, roles: ['admin'] });
    });

    it('provisions safely from hostile claims: a 60 KB name, groups as an object, an e-mail with CRLF', async () => {
      await provider.setAccount('hostile-sub', {
        name: 'A'.repeat(60_000),
        email: 'evil@example.gov.uk\r\nBcc: everyone@example.gov.uk',
        email_verified: true,
        groups: { 'ai-assurance': true } as unknown as string[],
      });
      const done = await signInThroughProvider({ gatehouseUrl, login: 'hostile-sub' });
      expect(done.response.status).toBe(303);
      const user = await userBySubject('hostile-sub');
      expect(user?.name.length).toBeLessThanOrEqual(120);
      expect(user?.email).toBeNull();
      expect(user?.roles).toEqual([]);
    });

    it('refuses a subject longer than OpenID Connect allows (255) with a page, not a server error', async () => {
      const sub = `s${'x'.repeat(255)}`;
      await provider.setAccount(sub, { name: 'Long Subject', groups: ['ai-assurance'] });
      const done = await signInThroughProvider({ gatehouseUrl, login: sub });
      expect(done.response.status).toBe(401);
      expect(done.body).toContain('could not be verified');
      expect(done.sessionCookie).toBeUndefined();
      expect(await userBySubject(sub)).toBeNull();
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
      'grants nothing for a group named like an object property (%s), and does not fail',
      async (group) => {
        const sub = `proto-${group}`;
        await provider.setAccount(sub, { name: `Proto ${group}`, groups: [group] });
        const done = await signInThroughProvider({ gatehouseUrl, login: sub });
        expect(done.response.status).toBe(303);
        expect(done.sessionCookie).toBeDefined();
        const user = await userBySubject(sub);
        expect(user).toMatchObject({ roles: [], teamId: null });
      },
    );

    it('ends an identity-provider session when the user is disabled; a removed group ends the role at the next sign-in', async () => {
      await provider.setAccount('vic-sub', { name: 'Vic', groups: ['ai-assurance'] });
      const first = await signInThroughProvider({ gatehouseUrl, login: 'vic-sub' });
      const vic = (await userBySubject('vic-sub')) as UserEntity;
      expect(vic.roles).toEqual(['reviewer']);

      await provider.setAccount('vic-sub', { name: 'Vic', groups: [] });
      const second = await signInThroughProvider({ gatehouseUrl, login: 'vic-sub' });
      expect(second.response.status).toBe(303);
      expect((await userBySubject('vic-sub'))?.roles).toEqual([]);

      // Vic holds no role now: an admin can still disable them.
      await api.admin.patch(`/v1/users/${vic.id}`, { disabled: true, reason: 'left' }).expect(200);
      for (const cookie of [first.sessionCookie, second.sessionCookie]) {
        const page = await pageAs(cookie as string, '/work');
        expect(page.status).toBe(303);
        expect(page.headers['location']).toMatch(/^\/sign-in/);
      }
      const again = await signInThroughProvider({ gatehouseUrl, login: 'vic-sub' });
      expect(again.response.status).toBe(403);
      expect(again.sessionCookie).toBeUndefined();
    });
  });

  describe('approvals that need an identity-provider session', () => {
    /** Who a page session's cookie secret signs in (the test fails when it signs in nobody). */
    const actorOf = async (secret: string | undefined) => {
      const session = await api.app.get(WebSessionsService).resolve(secret);
      if (!session) {
        throw new Error('the cookie opened no session');
      }
      return session.actor;
    };
    const gate = (ownerTeamId: string) => ({
      ownerTeamId,
      proposedBy: randomUUID(),
      runStarters: [],
      suiteAuthors: [],
      requireVia: 'oidc' as const,
    });

    it('opens a token page session as api_token whatever the form claims, and a via: oidc gate refuses it', async () => {
      const agent = request.agent(api.app.getHttpServer());
      const form = await agent.get('/sign-in').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      const signedIn = await agent
        .post('/sign-in')
        .type('form')
        .send({ _csrf: csrf, token: reviewer.token, via: 'oidc', signedInVia: 'oidc', next: '/work' })
        .expect(303);
      const cookie = ([] as string[])
        .concat(signedIn.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith('gh_session='));
      const secret = decodeURIComponent((cookie ?? '').split(';')[0].slice('gh_session='.length));
      const actor = await actorOf(secret);
      expect(actor).toMatchObject({ id: reviewer.id, signedInVia: 'api_token' });
      expect(approvalRefusal(actor, gate(benefitsId))?.rule).toBe('approver_not_signed_in_via_oidc');
      // A bearer token on the API is no identity-provider session either.
      expect(approvalRefusal({ ...actor, signedInVia: undefined }, gate(benefitsId))?.rule).toBe(
        'approver_not_signed_in_via_oidc',
      );

      await provider.setAccount('olly-sub', { name: 'Olly', groups: ['ai-assurance'] });
      const oidc = await signInThroughProvider({ gatehouseUrl, login: 'olly-sub' });
      const olly = await actorOf(oidc.sessionCookie);
      expect(olly.signedInVia).toBe('oidc');
      expect(approvalRefusal(olly, gate(benefitsId))).toBeNull();
    });
  });

  describe('what notifications carry', () => {
    it('e-mails a failed run of a team’s draft to that team, not to the team of the admin who started it', async () => {
      const person = async (name: string, roles: Parameters<TestApi['user']>[1], team: string) => {
        const user = await api.user(name, roles, team);
        await api.admin
          .patch(`/v1/users/${user.id}`, { email: `${name.toLowerCase()}@example.gov.uk` })
          .expect(200);
        return user;
      };
      const pia = await person('Pia', ['admin'], 'Pensions');
      const pat = await person('Pat', ['service_team'], 'Pensions');
      const bea = await person('Bea', ['service_team'], 'Benefits');
      const runId = randomUUID();
      const service = api.app.get(NotificationsService);
      await service.write((tx) =>
        service.record(
          tx,
          runFailed({
            id: runId,
            suite: 'qs@1',
            reason: 'the model server answered 500',
            startedBy: pia.id,
            starterTeamId: pensionsId,
            useCase: {
              id: randomUUID(),
              name: 'Benefits secret draft',
              stage: 'proposed',
              ownerTeamId: benefitsId,
            },
          }),
        ),
      );
      const eventId = `run.failed:${runId}`;
      const mine = (await deliveries()).filter((d) => d.eventId === eventId && d.recipientUserId !== null);
      const recipients = mine.map((d) => d.recipientUserId);
      expect(recipients).toContain(bea.id);
      expect(recipients).not.toContain(pat.id);
      expect(recipients).not.toContain(pia.id);
      const beas = mine.find((d) => d.recipientUserId === bea.id) as Delivery;
      await settledDelivery(beas.id, 'delivered');
      expect(notify.emails.map((e) => e.emailAddress)).toContain('bea@example.gov.uk');
      expect(notify.emails.map((e) => e.emailAddress)).not.toContain('pat@example.gov.uk');

      // Bea moves to Pensions; an admin replays her delivered e-mail: Benefits' draft stays with Benefits.
      const sentToBea = () => notify.emails.filter((e) => e.emailAddress === 'bea@example.gov.uk').length;
      const before = sentToBea();
      await api.admin.patch(`/v1/users/${bea.id}`, { teamId: pensionsId }).expect(200);
      await api.admin.post(`/v1/webhook-deliveries/${beas.id}/replay`).expect(202);
      const replayed = await settledDelivery(beas.id, 'failed');
      expect(replayed.lastError).toBe('recipient is no longer in the team the event is about');
      expect(sentToBea()).toBe(before);
    });

    it('never shows a signing secret or an endpoint URL’s path again: not in listings, not in the audit log', async () => {
      const made = await api.admin
        .post('/v1/webhook-endpoints', {
          name: 'Tokened bridge',
          url: `${receiver.url}/hooks/T0KEN-IN-PATH?sig=abc123`,
          events: ['run.failed'],
        })
        .expect(201);
      expect(made.body.secret).toMatch(/^whsec_/);
      const listed = await api.admin.get('/v1/webhook-endpoints').expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(made.body.secret);
      expect(JSON.stringify(listed.body)).not.toContain('whsec_');
      const audit = await api.admin.get(`/v1/audit-events?subjectId=${made.body.id}&limit=50`).expect(200);
      const text = JSON.stringify(audit.body);
      expect(text).toContain('webhook_endpoint.created');
      expect(text).not.toContain('whsec_');
      expect(text).not.toContain('T0KEN-IN-PATH');
      expect(text).not.toContain('abc123');
      await adminDelete(`/v1/webhook-endpoints/${made.body.id}`).expect(200);
    });
  });

  describe('bounds', () => {
    it.each(['1e9', '-1', '0', '201', 'abc', '1.5'])(
      'refuses webhook-deliveries?limit=%s with 400',
      async (limit) => {
        await api.admin.get(`/v1/webhook-deliveries?limit=${limit}`).expect(400);
      },
    );

    it.each(['1e9', '-5', '0', '366', 'x'])(
      'refuses a work list window of %s days with 400',
      async (days) => {
        await api.as(reviewer.token).get(`/v1/me/work?withinDays=${days}`).expect(400);
      },
    );
  });

  describe('webhook endpoints', () => {
    const create = (url: string, extra: Record<string, unknown> = {}) =>
      api.admin.post('/v1/webhook-endpoints', {
        name: 'Bridge',
        url,
        events: ['use_case.promoted'],
        ...extra,
      });

    it.each([
      'https://[::ffff:127.0.0.2]/hook',
      'https://[::ffff:7f00:2]/hook',
      'https://[::ffff:a9fe:a9fe]/latest/meta-data',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00:ec2::254]/',
      'https://2130706434/hook',
      'https://0x7f000002/hook',
      'https://0177.0.0.2/hook',
      'https://10.1.2.3/hook',
      'https://[::1]/hook',
      'https://0/hook',
      'https://[::]/hook',
      'https://[::127.0.0.2]/hook',
      'https://[::ffff:0:7f00:2]/hook',
      'https://[64:ff9b::a9fe:a9fe]/hook',
    ])('refuses an endpoint at a non-public address (%s)', async (url) => {
      const refused = await create(url).expect(400);
      expect(JSON.stringify(refused.body)).toContain('url');
    });

    it('refuses credentials in the URL, a very long URL, plain http to a public host, and Gatehouse itself', async () => {
      await create('https://user:secret@hooks.example.com/x').expect(400);
      await create(`https://hooks.example.com/${'a'.repeat(2100)}`).expect(400);
      await create('http://93.184.215.14/hook').expect(400);
      const self = await create(`http://127.0.0.1:${port}/v1/webhook-deliveries`).expect(400);
      expect(JSON.stringify(self.body)).toContain('itself');
      await create('https://hooks.example.com/x', { name: 'Bridge\r\nX-Injected: 1' }).expect(400);
    });

    it('knows Gatehouse’s published name with a trailing dot, in any case, as Gatehouse itself', () => {
      const policy = new EgressPolicy({ allow: [], selfPorts: [], selfHosts: ['gatehouse.example.gov.uk'] });
      for (const name of [
        'gatehouse.example.gov.uk',
        'gatehouse.example.gov.uk.',
        'GATEHOUSE.example.gov.uk.',
      ]) {
        expect(policy.refusal('203.0.113.10', 443, name)).toMatch(/itself/);
      }
      expect(policy.refusal('203.0.113.10', 443, 'hooks.example.com.')).toBeNull();
    });

    it('checks the egress policy on every socket: an endpoint whose name now resolves to Gatehouse is refused when sent', async () => {
      const made = await create(receiver.url).expect(201);
      // As if DNS for the endpoint's host changed after it was saved (rebinding).
      await api.app
        .get(UnitOfWork)
        .write((tx) =>
          managerOf(tx).update(
            WebhookEndpointEntity,
            { id: made.body.id },
            { url: `http://localhost:${port}/v1/webhook-deliveries` },
          ),
        );
      const eventId = await promoted(pensionsId);
      const [delivery] = (await settled(eventId, 1)).filter((d) => d.endpointId === made.body.id);
      expect(delivery.status).toBe('failed');
      expect(delivery.lastError).toMatch(/^egress refused/);
      await adminDelete(`/v1/webhook-endpoints/${made.body.id}`).expect(200);
    });

    it('keeps a team’s endpoint to its team, leaks no address, and a replay to a disabled endpoint sends nothing', async () => {
      const made = await create(receiver.url, { teamId: benefitsId }).expect(201);
      receiver.setSecret(made.body.secret);
      const before = receiver.received.length;
      const other = await promoted(pensionsId, 'Pensions secret draft');
      const mine = await promoted(benefitsId, 'Benefits record');
      const [delivered] = (await settled(mine, 1)).filter((d) => d.endpointId === made.body.id);
      expect(delivered.status).toBe('delivered');
      expect(
        (await deliveries()).filter((d) => d.eventId === other && d.endpointId === made.body.id),
      ).toEqual([]);
      const got = receiver.received.slice(before);
      expect(got.map((c) => c.id)).toEqual([mine]);
      expect(got[0].raw).not.toContain('Pensions');
      expect(got[0].raw).not.toMatch(/[\w.]+@[\w.]+/);

      await adminDelete(`/v1/webhook-endpoints/${made.body.id}`).expect(200);
      await api.admin.post(`/v1/webhook-endpoints/${made.body.id}/rotate-secret`).expect(409);
      await api.admin.post(`/v1/webhook-deliveries/${delivered.id}/replay`).expect(202);
      const replayed = await settledDelivery(delivered.id, 'failed');
      expect(replayed).toMatchObject({ status: 'failed', lastError: 'endpoint disabled' });
      expect(receiver.received.slice(before).map((c) => c.id)).toEqual([mine]);
    });

    it('answers 404 for a replay of a delivery that does not exist or is not an id', async () => {
      await api.admin.post(`/v1/webhook-deliveries/${randomUUID()}/replay`).expect(404);
      await api.admin.post('/v1/webhook-deliveries/..%2F..%2Fusers/replay').expect(404);
      await api.http
        .post(`/v1/webhook-deliveries/${randomUUID()}/replay`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}x`)
        .expect(401);
    });
  });
});
