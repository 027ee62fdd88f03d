import { LiveScoringService } from '@gatehouse/application';
import { sha256Hex } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  AuditEventEntity,
  LiveInteractionEntity,
  managerOf,
  readWith,
  UnitOfWork,
  WebSessionEntity,
} from '@gatehouse/persistence';
import {
  type CookieJar,
  describeIntegration,
  type ReservedPort,
  reservePort,
  signInThroughProvider,
  startTestOidcProvider,
  type TestOidcProvider,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { interaction, interactionsOf, jobContext, store } from '../support/live';
import { givenLiveUseCase } from '../support/live-ingest';
import { type OidcApp, oidcClientFor, startOidcApi } from '../support/oidc-app';
import { attr, exportRequest, newIds, span, sv } from '../support/otlp-protobuf';
import { lowRiskRecord } from '../support/records';
import { type TestApi, type TestUser } from '../support/test-api';

jest.setTimeout(60_000);

/**
 * Round four of the hostile review, on the newest code (RP-initiated logout, the OTLP receiver, the per-use
 * case ingest rate, the scoring lease) and on every route another team can reach. Each test is an attack by
 * an outsider (a link or form from another site), by a malicious live-traffic sender holding one use case's
 * ingest token, or by a member of another team; each asserts the safe behaviour, so it fails if the hole
 * opens. Round three's attacks (apps/api/test/security/round3-hostile.int-spec.ts) are not repeated.
 */

const R4: OidcApp = {
  clientId: 'gatehouse-r4',
  clientSecret: 'round4-client-secret-0123456789',
  providerName: 'Round Four Identity',
};

const request = exportRequest;

describeIntegration('round four: hostile use of the newest code', () => {
  let port: ReservedPort;
  let gatehouseUrl: string;
  let provider: TestOidcProvider;
  let api: TestApi;
  let uow: UnitOfWork;
  let sam: TestUser;
  let benefits: string;

  beforeAll(async () => {
    port = await reservePort();
    gatehouseUrl = port.url;
    provider = await startTestOidcProvider({ clients: [oidcClientFor(R4, gatehouseUrl)] });
    api = await startOidcApi(R4, gatehouseUrl, provider);
    await port.listen(api.app.getHttpServer());
    await provider.setAccount('ann-r4', {
      name: 'Ann Fourth',
      email: 'ann.fourth@example.gov.uk',
      email_verified: true,
      groups: [],
    });
    await provider.setAccount('bob-r4', { name: 'Bob Fourth', groups: [] });
    uow = api.app.get(UnitOfWork);
    sam = await api.user('Sam R4', ['service_team', 'engineer'], 'Benefits');
    benefits = sam.teamId as string;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await provider?.close();
  });

  // --- signing out of the provider too ------------------------------------------------------------------

  describe('RP-initiated logout', () => {
    const signedIn = async (login: string, jar?: CookieJar) => {
      const done = await signInThroughProvider({ gatehouseUrl, login, jar });
      const cookie = done.sessionCookie;
      if (!cookie) {
        throw new Error(`${login} was not signed in: ${done.body.slice(0, 300)}`);
      }
      const page = await done.jar.fetch(`${gatehouseUrl}/ai-use-cases`);
      expect(page.status).toBe(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
      if (!csrf) {
        throw new Error('the page has no CSRF field');
      }
      return { jar: done.jar, cookie, csrf };
    };
    const usable = async (cookie: string) =>
      (await api.http.get('/ai-use-cases').set('Cookie', `gh_session=${cookie}`)).status === 200;
    const signOut = (cookie: string, form: Record<string, string>, path = '/sign-out') =>
      api.http.post(path).set('Cookie', `gh_session=${cookie}`).type('form').send(form);
    const hintOf = (location: unknown) => {
      const hint = new URL(String(location)).searchParams.get('id_token_hint');
      if (!hint) {
        throw new Error(`no id_token_hint in ${String(location)}`);
      }
      return hint;
    };
    const claimsOf = (idToken: string) =>
      JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    /** Every row of every table, as text. */
    const everyRow = () =>
      readWith(uow, async (m) => {
        const tables: string[] = [];
        for (const meta of m.connection.entityMetadatas) {
          tables.push(`${meta.tableName} ${JSON.stringify(await m.find(meta.target))}`);
        }
        return tables.join('\n');
      });

    it('the ID token is in no table in the clear, nor in the audit log, while the session lives or after it ends', async () => {
      const ann = await signedIn('ann-r4');
      const live = await everyRow();
      const out = await signOut(ann.cookie, { _csrf: ann.csrf });
      expect(out.status).toBe(303);
      const idToken = hintOf(out.headers['location']);
      expect(claimsOf(idToken)).toMatchObject({ sub: 'ann-r4' });
      const [header, payload, signature] = idToken.split('.');
      expect(signature.length).toBeGreaterThan(20);
      const after = await everyRow();
      const audit = await api.admin.get('/v1/audit-events?subjectType=user&limit=100');
      expect(audit.status).toBe(200);
      for (const [when, text] of [
        ['while signed in', live],
        ['after signing out', after],
        ['in the audit API', JSON.stringify(audit.body)],
        ['in the logs', api.logs.join('')],
      ]) {
        expect({ when, payload: text.includes(payload) }).toEqual({ when, payload: false });
        expect({ when, signature: text.includes(signature) }).toEqual({ when, signature: false });
        expect({ when, jwt: text.includes(`${header}.${payload}`) }).toEqual({ when, jwt: false });
      }
      // And the session row held it sealed while it lived (the seal is what was there, not the token).
      expect(live).toContain('gh1.');
      expect(after).not.toContain(sha256Hex(ann.cookie));
    });

    it('two people signing out at the same moment each get their own ID token hint and state, never the other’s', async () => {
      const ann = await signedIn('ann-r4');
      const bob = await signedIn('bob-r4');
      const [annOut, bobOut] = await Promise.all([
        signOut(ann.cookie, { _csrf: ann.csrf }),
        signOut(bob.cookie, { _csrf: bob.csrf }),
      ]);
      expect(claimsOf(hintOf(annOut.headers['location']))).toMatchObject({ sub: 'ann-r4' });
      expect(claimsOf(hintOf(bobOut.headers['location']))).toMatchObject({ sub: 'bob-r4' });
      const stateOf = (location: unknown) => new URL(String(location)).searchParams.get('state');
      const cookieState = (headers: Record<string, unknown>) =>
        (headers['set-cookie'] as string[]).find((c) => c.startsWith('gh_signout='))?.split(/[=;]/)[1];
      expect(stateOf(annOut.headers['location'])).toBe(cookieState(annOut.headers));
      expect(stateOf(bobOut.headers['location'])).toBe(cookieState(bobOut.headers));
      expect(stateOf(annOut.headers['location'])).not.toBe(stateOf(bobOut.headers['location']));
    });

    it('the CSRF token is read from the form only: in the query string or a header it signs nobody out', async () => {
      const bob = await signedIn('bob-r4');
      const tries = [
        api.http
          .post(`/sign-out?_csrf=${encodeURIComponent(bob.csrf)}`)
          .set('Cookie', `gh_session=${bob.cookie}`),
        api.http
          .post('/sign-out')
          .set('Cookie', `gh_session=${bob.cookie}`)
          .set('X-CSRF-Token', bob.csrf)
          .set('CSRF-Token', bob.csrf),
        api.http
          .post('/sign-out')
          .set('Cookie', `gh_session=${bob.cookie}; _csrf=${bob.csrf}`)
          .type('form')
          .send({}),
      ];
      for (const attempt of tries) {
        const out = await attempt;
        expect(out.status).toBe(403);
        expect(out.headers['location']).toBeUndefined();
        expect(await usable(bob.cookie)).toBe(true);
      }
    });

    it('/signed-out, a link any site can send, ends no session and touches no session cookie', async () => {
      const bob = await signedIn('bob-r4');
      for (const path of ['/signed-out', '/signed-out?state=x', '/signed-out?state=x&signedOut=1']) {
        const page = await api.http.get(path).set('Cookie', `gh_session=${bob.cookie}; gh_signout=x`);
        expect(page.status).toBe(200);
        expect(String(page.headers['set-cookie'] ?? '')).not.toContain('gh_session=');
        expect(await usable(bob.cookie)).toBe(true);
      }
    });

    it('a session that ran out takes its sealed ID token with it at the next sign-in (tokens do not pile up)', async () => {
      const ann = await signedIn('ann-r4');
      const id = sha256Hex(ann.cookie);
      await uow.write((tx) =>
        managerOf(tx).update(WebSessionEntity, { id }, { expiresAt: new Date(Date.now() - 1_000) }),
      );
      expect(await usable(ann.cookie)).toBe(false);
      await signedIn('bob-r4');
      expect(await readWith(uow, (m) => m.findOneBy(WebSessionEntity, { id }))).toBeNull();
    });
  });

  // --- a malicious live-traffic sender ------------------------------------------------------------------

  describe('a sender holding one use case’s ingest token', () => {
    const rowsOf = (aiUseCaseId: string) =>
      readWith(uow, (m) => m.findBy(LiveInteractionEntity, { aiUseCaseId }));

    it('cannot put its spans into another use case by naming it (query, headers, resource or span attributes, JSON fields)', async () => {
      const ours = await givenLiveUseCase(api, benefits);
      const theirs = await givenLiveUseCase(api, benefits);
      const naming = [
        attr('gatehouse.ai_use_case_id', sv(theirs.id)),
        attr('gatehouse.ai_use_case.id', sv(theirs.id)),
        attr('service.name', sv(theirs.id)),
      ];
      const ids = newIds();
      const out = await api.http
        .post(`/v1/otlp/v1/traces?aiUseCaseId=${theirs.id}&ai_use_case_id=${theirs.id}`)
        .set('Authorization', `Bearer ${ours.token}`)
        .set('Content-Type', 'application/x-protobuf')
        .set('X-Gatehouse-Ai-Use-Case', theirs.id)
        .set('X-Ai-Use-Case-Id', theirs.id)
        .send(request(naming, span(ids, ...naming)));
      expect(out.status).toBe(200);
      const json = await api.http
        .post(`/v1/live/interactions?aiUseCaseId=${theirs.id}`)
        .set('Authorization', `Bearer ${ours.token}`)
        .set('Content-Type', 'application/json')
        .send({ aiUseCaseId: theirs.id, interactions: [{ startedAt: new Date().toISOString() }] });
      expect(json.status).toBe(400);
      const feedback = await api.http
        .post('/v1/live/feedback')
        .set('Authorization', `Bearer ${ours.token}`)
        .set('Content-Type', 'application/json')
        .send({
          events: [
            {
              id: 'e1',
              aiUseCaseId: theirs.id,
              kind: 'complaint',
              occurredAt: new Date().toISOString(),
            },
          ],
        });
      expect(feedback.status).toBe(400);
      expect((await rowsOf(ours.id)).map((r) => r.traceId)).toEqual([ids.traceId]);
      expect(await rowsOf(theirs.id)).toEqual([]);
    });

    it('a body cut short (its Content-Length promising more than comes) stores nothing and leaves the server answering', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits);
      const url = new URL(gatehouseUrl);
      const body = JSON.stringify({ interactions: [{ startedAt: new Date().toISOString(), model: 'm' }] });
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(
            [
              'POST /v1/live/interactions HTTP/1.1',
              `Host: ${url.host}`,
              `Authorization: Bearer ${token}`,
              'Content-Type: application/json',
              `Content-Length: ${body.length + 4_096}`,
              '',
              body,
            ].join('\r\n'),
          );
          setTimeout(() => socket.end(), 200);
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
        socket.resume();
      });
      // The answer to a whole body, on a fresh connection, is as usual; nothing of the cut one was stored.
      const whole = await api.http
        .post('/v1/live/interactions')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(whole.status).toBe(200);
      expect(await rowsOf(id)).toHaveLength(1);
      expect(api.logs.join('')).not.toMatch(/Unhandled|uncaught/i);
    });

    it('cannot make the receiver parse a string of a hundred thousand empty JSON lists: it is kept as text', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits, {
        settings: { captureText: true, sampleRate: 0 },
      });
      // 300 KB of [[],[],…]: 100,000 containers, where the body's budget is one per 16 bytes (about 19,000).
      const hostile = `[${'[],'.repeat(100_000)}[]]`;
      const parse = jest.spyOn(JSON, 'parse');
      let parsedHostile = false;
      try {
        const out = await api.http
          .post('/v1/otlp/v1/traces')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', 'application/x-protobuf')
          .send(request([], span(newIds(), attr('gen_ai.input.messages', sv(hostile)))));
        expect(out.status).toBe(200);
        parsedHostile = parse.mock.calls.some(([text]) => text === hostile);
      } finally {
        parse.mockRestore();
      }
      expect(parsedHostile).toBe(false);
      // Kept as the text it is (cut at the stored length), not hidden.
      const [row] = await rowsOf(id);
      expect(row.inputText?.startsWith('[[],[],')).toBe(true);
    });
  });

  // --- the scoring job ----------------------------------------------------------------------------------

  describe('the scoring job', () => {
    it('a job naming one use case and another use case’s batch scores nothing of theirs', async () => {
      const newUseCase = async () =>
        (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)).body
          .id as string;
      const mine = await newUseCase();
      const theirs = await newUseCase();
      const batchId = randomUUID();
      await store(api, [
        interaction(theirs, { batchId, inputText: 'Question', outputText: 'Answer', outputChars: 6 }),
      ]);
      await api.app.get(LiveScoringService).scoreBatch({ aiUseCaseId: mine, batchId }, jobContext());
      expect((await interactionsOf(api, theirs)).map((r) => r.scoredAt)).toEqual([null]);
    });
  });

  // --- another team ---------------------------------------------------------------------------------------

  describe('another team', () => {
    type Operation = { method: 'get' | 'post' | 'put' | 'patch' | 'delete'; path: string };
    /** Every API operation on one AI use case (from the committed OpenAPI document, so new routes are walked too). */
    const useCaseOperations = (): Operation[] =>
      Object.entries(
        (
          JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as {
            paths: Record<string, Record<string, unknown>>;
          }
        ).paths,
      )
        .filter(([path]) => path.startsWith('/v1/ai-use-cases/{id}'))
        .flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => ({ method: method as Operation['method'], path })),
        );
    const call = (token: string, op: Operation, id: string) => {
      const url = op.path.replace('{id}', id).replace(/\{[^}]+\}/g, randomUUID());
      const req = api.http[op.method](url).set('Authorization', `Bearer ${token}`);
      return op.method === 'get' || op.method === 'delete' ? req : req.send({});
    };
    const answerOf = (res: { status: number; body: { code?: unknown } }) => ({
      status: res.status,
      code: res.body?.code ?? null,
    });

    it('a body refused by a gate route’s validation is audited on the caller’s own use case, and on no id it may not see', async () => {
      const own = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
        .body.id as string;
      const nobody = randomUUID();
      for (const id of [own, nobody]) {
        await api
          .as(sam.token)
          .post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'production' })
          .expect(400);
      }
      const refused = (id: string) =>
        readWith(uow, (m) => m.findBy(AuditEventEntity, { subjectId: id, action: 'gate.refused' }));
      expect((await refused(own)).map((e) => e.actorId)).toEqual([sam.id]);
      expect(await refused(nobody)).toEqual([]);
    });

    it('every route on a draft (proposed) use case answers another team exactly as one that does not exist, and changes nothing', async () => {
      const secretName = `Draft R4 ${randomUUID()}`;
      const draft = (
        await api
          .as(sam.token)
          .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: secretName } })
          .expect(201)
      ).body.id as string;
      const before = await readWith(uow, (m) => m.findOneByOrFail(AiUseCaseEntity, { id: draft }));
      const audited = await readWith(uow, (m) => m.countBy(AuditEventEntity, { subjectId: draft }));
      const other = await api.user('Olu R4', ['service_team', 'engineer'], 'Housing');
      const operations = useCaseOperations();
      expect(operations.length).toBeGreaterThanOrEqual(15);
      for (const op of operations) {
        const real = answerOf(await call(other.token, op, draft));
        const missing = answerOf(await call(other.token, op, randomUUID()));
        expect({ ...op, ...real }).toEqual({ ...op, ...missing });
        expect({ ...op, ok: real.status < 400 }).toEqual({ ...op, ok: false });
      }
      // The pages too.
      for (const page of [
        '',
        '/live',
        '/audit',
        '/live/tokens/00000000-0000-4000-8000-000000000000/revoke',
      ]) {
        const web = await api.http
          .get(`/ai-use-cases/${draft}${page}`)
          .set('Cookie', `gh_session=${await webCookie(other.token)}`);
        const none = await api.http
          .get(`/ai-use-cases/${randomUUID()}${page}`)
          .set('Cookie', `gh_session=${await webCookie(other.token)}`);
        expect({ page, status: web.status }).toEqual({ page, status: none.status });
        expect(web.text).not.toContain(secretName);
      }
      const after = await readWith(uow, (m) => m.findOneByOrFail(AiUseCaseEntity, { id: draft }));
      expect(after).toEqual(before);
      // Not even a refused attempt is written on it in the other team's name (the tamper-evident log is the
      // team's record of its use case: another team must not add to it what it may not even see).
      const events = await readWith(uow, (m) => m.findBy(AuditEventEntity, { subjectId: draft }));
      expect(events.filter((e) => e.actorId === other.id).map((e) => e.action)).toEqual([]);
      expect(events).toHaveLength(audited);
    });

    const cookies = new Map<string, string>();
    /** A page session for this API token (one per token). */
    async function webCookie(token: string): Promise<string> {
      const known = cookies.get(token);
      if (known) {
        return known;
      }
      const form = await api.http.get('/sign-in');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
      const jar = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
      const out = await api.http
        .post('/sign-in')
        .set('Cookie', jar)
        .type('form')
        .send({ _csrf: csrf, token });
      const cookie = (out.headers['set-cookie'] as unknown as string[])
        .find((c) => c.startsWith('gh_session='))
        ?.split(/[=;]/)[1];
      if (!cookie) {
        throw new Error(`no page session: ${out.status}`);
      }
      cookies.set(token, cookie);
      return cookie;
    }
  });
});
