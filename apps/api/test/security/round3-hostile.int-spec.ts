import {
  checkOtlpWireBounds,
  decodeTraceRequest,
  LiveScoringService,
  spansFromProtobuf,
  spansFromProtobufBody,
} from '@gatehouse/application';
import { sha256Hex } from '@gatehouse/domain';
import {
  LiveInteractionEntity,
  LiveScoringLeaseEntity,
  managerOf,
  readWith,
  UnitOfWork,
  UserEntity,
  WebSessionEntity,
} from '@gatehouse/persistence';
import {
  CookieJar,
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  type ReservedPort,
  reservePort,
  signInThroughProvider,
  startOpenAiStub,
  startTestOidcProvider,
  type TestOidcProvider,
} from '@gatehouse/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suitePassedPolicy } from '../support/givens';
import {
  givenLiveSettings,
  interaction,
  interactionsOf,
  jobContext,
  judgedSuiteYaml,
  store,
  verdictsOf,
} from '../support/live';
import { givenLiveUseCase } from '../support/live-ingest';
import { type OidcApp, oidcClientFor, startOidcApi } from '../support/oidc-app';
import {
  arrayOf,
  attr,
  cat,
  exportRequest,
  fixed64,
  kv,
  kvlistOf,
  ld,
  newIds,
  span,
  sv,
  tag,
  varint,
  vi,
} from '../support/otlp-protobuf';
import { lowRiskRecord } from '../support/records';
import { type TestApi, type TestUser } from '../support/test-api';
import { signIn } from '../support/web';

jest.setTimeout(60_000);

/**
 * Round three of the hostile review, on the day's changes: signing out of the identity provider too
 * (RP-initiated logout), the OTLP receiver's own protobuf wire reader, the ingest insert without BEGIN/COMMIT
 * and its time-ordered ids, and the per-batch scoring lease. Each test is an attack by an outsider (no
 * session, a forged form, a hostile OTLP body) or by another team (its sealed ID token, its trace ids, its
 * lease); each asserts what would break if the defence were removed. Findings not fixed here are `it.todo`.
 */

const R3: OidcApp = {
  clientId: 'gatehouse-r3',
  clientSecret: 'round3-client-secret-0123456789',
  providerName: 'Round Three Identity',
};
const JUDGE_KEY = 'sk-round3-judges';
const SUITE = 'r3-judged';

const request = (...spans: Buffer[]) => exportRequest([], ...spans);

/** What the reader answers, or that it threw. */
const readOutcome = (read: () => unknown) => {
  try {
    return { ok: JSON.parse(JSON.stringify(read(), (_k, v: unknown) => (v instanceof Map ? [...v] : v))) };
  } catch (error) {
    return { threw: true, name: (error as Error).name };
  }
};

describeIntegration('round three: hostile use of the day’s changes', () => {
  let port: ReservedPort;
  let gatehouseUrl: string;
  let provider: TestOidcProvider;
  let api: TestApi;
  let judge: OpenAiStub;
  let sam: TestUser;
  let benefits: string;
  let uow: UnitOfWork;

  beforeAll(async () => {
    port = await reservePort();
    gatehouseUrl = port.url;
    provider = await startTestOidcProvider({ clients: [oidcClientFor(R3, gatehouseUrl)] });
    judge = await startOpenAiStub({
      apiKey: JUDGE_KEY,
      respond: () => JSON.stringify({ score: 5, reasoning: 'fine' }),
    });
    api = await startOidcApi(R3, gatehouseUrl, provider, { GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY: '100' });
    await port.listen(api.app.getHttpServer());
    await provider.setAccount('ann-sub', { name: 'Ann Other', groups: [] });
    await provider.setAccount('bob-sub', { name: 'Bob Victim', groups: [] });
    uow = api.app.get(UnitOfWork);
    sam = await api.user('Sam R3', ['service_team'], 'Benefits');
    benefits = sam.teamId as string;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await provider?.close();
    await judge?.close();
  });

  // --- signing out of the provider too ------------------------------------------------------------------

  describe('RP-initiated logout', () => {
    const csrfOf = (html: string): string => {
      const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
      if (!token) {
        throw new Error('the page has no CSRF field');
      }
      return token;
    };
    const signedIn = async (login: string, jar?: CookieJar) => {
      const done = await signInThroughProvider({ gatehouseUrl, login, jar });
      const cookie = done.sessionCookie;
      if (!cookie) {
        throw new Error(`${login} was not signed in: ${done.body.slice(0, 300)}`);
      }
      const page = await done.jar.fetch(`${gatehouseUrl}/ai-use-cases`);
      expect(page.status).toBe(200);
      return { jar: done.jar, cookie, csrf: csrfOf(await page.text()) };
    };
    const rowOf = (cookie: string) =>
      readWith(uow, (m) => m.findOneBy(WebSessionEntity, { id: sha256Hex(cookie) }));
    const usable = async (cookie: string) =>
      (await api.http.get('/ai-use-cases').set('Cookie', `gh_session=${cookie}`)).status === 200;
    const signOut = (cookie: string | null, form: Record<string, string>, path = '/sign-out') => {
      const post = api.http.post(path);
      if (cookie) {
        post.set('Cookie', `gh_session=${cookie}`);
      }
      return post.type('form').send(form);
    };
    /** Every Location and body the sign-outs answered, to prove no ID token reached one it should not. */
    const seen: string[] = [];
    const hints: string[] = [];

    it('a cross-site form without the CSRF token, or with another person’s, signs no one out and sends no one to the provider', async () => {
      const ann = await signedIn('ann-sub');
      const bob = await signedIn('bob-sub');
      for (const form of [
        {} as Record<string, string>,
        { _csrf: ann.csrf },
        { _csrf: '' },
        { _csrf: bob.csrf.slice(0, -1) },
      ]) {
        const out = await signOut(bob.cookie, form);
        seen.push(out.text, String(out.headers['location']));
        expect(out.status).toBe(403);
        expect(out.headers['location']).toBeUndefined();
        expect(String(out.headers['set-cookie'] ?? '')).not.toContain('gh_signout=');
        expect(await usable(bob.cookie)).toBe(true);
        expect((await rowOf(bob.cookie))?.idTokenSealed).toMatch(/^gh1\./);
      }
      // A link cannot sign out either: there is no GET /sign-out.
      const link = await api.http.get('/sign-out').set('Cookie', `gh_session=${bob.cookie}`);
      expect(link.headers['location'] ?? '').not.toContain(provider.issuer);
      expect(await usable(bob.cookie)).toBe(true);
    });

    it('the request chooses neither the state nor where the provider sends the browser back (Forwarded, X-Forwarded-*, query, body)', async () => {
      const bob = await signedIn('bob-sub');
      const out = await api.http
        .post('/sign-out?state=attacker-state&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F')
        .set('Host', 'evil.example')
        .set('Forwarded', 'host=evil.example;proto=https')
        .set('X-Forwarded-Host', 'evil.example')
        .set('X-Forwarded-Prefix', '//evil.example')
        .set('Referer', 'https://evil.example/')
        .set('Cookie', `gh_session=${bob.cookie}`)
        .type('form')
        .send({ _csrf: bob.csrf, state: 'attacker-state', client_id: 'evil', id_token_hint: 'forged' });
      seen.push(out.text);
      expect(out.status).toBe(303);
      expect(out.text).toBe('');
      const target = new URL(out.headers['location'] as string);
      expect(`${target.origin}${target.pathname}`).toBe(`${provider.issuer}/session/end`);
      expect(target.searchParams.getAll('post_logout_redirect_uri')).toEqual([`${gatehouseUrl}/signed-out`]);
      expect(target.searchParams.getAll('client_id')).toEqual(['gatehouse-r3']);
      const state = target.searchParams.get('state') as string;
      expect(state).toMatch(/^[\w-]{32}$/);
      expect(target.href).not.toContain('attacker-state');
      expect(target.href).not.toContain('evil');
      expect(target.searchParams.getAll('id_token_hint')).toHaveLength(1);
      expect(target.searchParams.get('id_token_hint')).not.toBe('forged');
      hints.push(target.searchParams.get('id_token_hint') as string);
      // The state cookie: readable only by /signed-out, never by scripts.
      const cookie = (out.headers['set-cookie'] as unknown as string[]).find((c) =>
        c.startsWith('gh_signout='),
      );
      expect(cookie).toBeDefined();
      expect(cookie).toContain(`gh_signout=${state}`);
      expect(cookie).toMatch(/; Path=\/signed-out/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(out.headers['cache-control']).toBe('no-store');
      // The provider is told nothing of the page the browser came from (no Referer).
      expect(out.headers['referrer-policy']).toBe('no-referrer');
    });

    it('a token session whose row was given someone’s sealed ID token signs out locally, with no hint', async () => {
      const ann = await signedIn('ann-sub');
      const sealed = (await rowOf(ann.cookie))?.idTokenSealed;
      expect(sealed).toMatch(/^gh1\./);
      const tess = await api.user('Tess R3', ['service_team'], 'Benefits');
      const web = await signIn(api, tess.token);
      const tokenRows = await readWith(uow, (m) => m.findBy(WebSessionEntity, { via: 'api_token' }));
      await uow.write((tx) =>
        managerOf(tx).update(
          WebSessionEntity,
          { id: In(tokenRows.map((r) => r.id)) },
          { idTokenSealed: sealed as string },
        ),
      );
      const out = await web.post('/sign-out');
      seen.push(out.text);
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe('/sign-in?signedOut=1');
      expect(String(out.headers['set-cookie'] ?? '')).not.toContain('gh_signout=');
      expect(await usable(ann.cookie)).toBe(true);
    });

    it('another session’s sealed ID token swapped into a row does not open (the seal is bound to the session id): no hint is sent', async () => {
      const ann = await signedIn('ann-sub');
      const bob = await signedIn('bob-sub');
      const annRow = await rowOf(ann.cookie);
      // Bob's row now holds Ann's sealed ID token (a database write by someone who cannot open seals).
      await uow.write((tx) =>
        managerOf(tx).update(
          WebSessionEntity,
          { id: sha256Hex(bob.cookie) },
          { idTokenSealed: annRow?.idTokenSealed as string },
        ),
      );
      const out = await signOut(bob.cookie, { _csrf: bob.csrf });
      seen.push(out.text, String(out.headers['location']));
      expect(out.status).toBe(303);
      const target = new URL(out.headers['location'] as string);
      expect(`${target.origin}${target.pathname}`).toBe(`${provider.issuer}/session/end`);
      expect(target.searchParams.has('id_token_hint')).toBe(false);
      expect(await usable(bob.cookie)).toBe(false);
      expect(await usable(ann.cookie)).toBe(true);
      // Ann's own sign-out still sends her own token.
      const annOut = await signOut(ann.cookie, { _csrf: ann.csrf });
      const hint = new URL(annOut.headers['location'] as string).searchParams.get('id_token_hint') as string;
      expect(JSON.parse(Buffer.from(hint.split('.')[1], 'base64url').toString())).toMatchObject({
        sub: 'ann-sub',
      });
      hints.push(hint);
    });

    it('a replayed sign-out (the old cookie and CSRF token) gets no second ID token and no usable session', async () => {
      const bob = await signedIn('bob-sub');
      const first = await signOut(bob.cookie, { _csrf: bob.csrf });
      expect(new URL(first.headers['location'] as string).searchParams.has('id_token_hint')).toBe(true);
      hints.push(new URL(first.headers['location'] as string).searchParams.get('id_token_hint') as string);
      expect(await rowOf(bob.cookie)).toBeNull();
      const replay = await signOut(bob.cookie, { _csrf: bob.csrf });
      seen.push(replay.text, String(replay.headers['location']));
      expect(replay.status).toBe(303);
      expect(replay.headers['location']).toBe('/sign-in?signedOut=1');
      expect(await usable(bob.cookie)).toBe(false);
    });

    it('before authentication (no cookie, a made-up one, a huge one) a sign-out redirects home and sets no state', async () => {
      for (const cookie of [null, randomBytes(32).toString('base64url'), 'x'.repeat(5_000)]) {
        const out = await signOut(cookie, { _csrf: 'anything' });
        seen.push(out.text);
        expect(out.status).toBe(303);
        expect(out.headers['location']).toBe('/sign-in?signedOut=1');
        expect(String(out.headers['set-cookie'] ?? '')).not.toContain('gh_signout=');
      }
    });

    it('/signed-out: a forged, repeated or array state, a state cookie set for the wrong path, a hostile next: never “signed out of the provider”, never a 500', async () => {
      const both = `You are signed out of Gatehouse and of ${R3.providerName}.`;
      for (const [path, cookie] of [
        ['/signed-out?state=s1&state=s1', 'gh_signout=s1'],
        ['/signed-out?state[]=s1', 'gh_signout=s1'],
        ['/signed-out?state[a]=s1', 'gh_signout=s1'],
        ['/signed-out?state=', 'gh_signout='],
        ['/signed-out?state=s1&next=%2F%2Fevil.example', ''],
        ['/signed-out?next=%2F%5Cevil.example&state=x', 'gh_signout=y'],
      ] as const) {
        const page = await api.http.get(path).set('Cookie', cookie);
        seen.push(page.text);
        expect({ path, status: page.status }).toEqual({ path, status: 200 });
        expect(page.text).not.toContain(both);
        expect(page.text).not.toContain('evil.example');
      }
      // The matching pair is what says so (the defence is the comparison, not a page that never says it).
      const ok = await api.http.get('/signed-out?state=s1').set('Cookie', 'gh_signout=s1');
      expect(ok.text).toContain(both);
      // The landing page's URL (its state) goes to no other site as a Referer.
      expect(ok.headers['referrer-policy']).toBe('no-referrer');
      // And it is cleared where it was set.
      expect(String(ok.headers['set-cookie'])).toMatch(/gh_signout=;.*Path=\/signed-out/);
    });

    it('a CSRF token or state of the right length in non-ASCII characters is refused (403, 200), not a 500', async () => {
      const bob = await signedIn('bob-sub');
      // As many characters as the real token, more bytes: a byte-wise comparison of unequal lengths throws.
      const forged = `é${bob.csrf.slice(1)}`;
      const forms: Record<string, string>[] = [
        { _csrf: forged },
        { '_csrf[]': bob.csrf },
        { '_csrf[toString]': bob.csrf },
      ];
      for (const form of forms) {
        const out = await signOut(bob.cookie, form);
        expect({ form, status: out.status }).toEqual({ form, status: 403 });
      }
      expect(await usable(bob.cookie)).toBe(true);
      const state = 's'.repeat(32);
      const page = await api.http
        .get(`/signed-out?state=${encodeURIComponent(`é${state.slice(1)}`)}`)
        .set('Cookie', `gh_signout=${state}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`you may still be signed in to ${R3.providerName}`);
    });

    it('a session cookie planted before sign-in (fixation) is not the one the provider’s sign-in opens', async () => {
      const jar = new CookieJar();
      const planted = randomBytes(32).toString('base64url');
      jar.store(gatehouseUrl, new Response(null, { headers: { 'set-cookie': `gh_session=${planted}` } }));
      expect(jar.get(gatehouseUrl, 'gh_session')).toBe(planted);
      const bob = await signedIn('bob-sub', jar);
      expect(bob.cookie).not.toBe(planted);
      expect(await rowOf(planted)).toBeNull();
      expect(await usable(planted)).toBe(false);
    });

    it('signing out a session whose user was disabled deletes its row (and its sealed ID token): enabling the user again does not bring the cookie back', async () => {
      const ann = await signedIn('ann-sub');
      const row = await rowOf(ann.cookie);
      expect(row?.idTokenSealed).toMatch(/^gh1\./);
      const setDisabled = (at: Date | null) =>
        uow.write((tx) => managerOf(tx).update(UserEntity, { id: row?.userId }, { disabledAt: at }));
      await setDisabled(new Date());
      try {
        expect(await usable(ann.cookie)).toBe(false);
        // The session cannot be used, so no CSRF token is asked to end it.
        const out = await signOut(ann.cookie, {});
        seen.push(out.text);
        expect(out.status).toBe(303);
        expect(out.headers.location).toBe('/sign-in?signedOut=1');
        expect(await rowOf(ann.cookie)).toBeNull();
      } finally {
        await setDisabled(null);
      }
      expect(await usable(ann.cookie)).toBe(false);
    });

    it('no ID token is in a body, a local redirect or a log line', () => {
      expect(hints.length).toBeGreaterThanOrEqual(3);
      const logged = api.logs.join('');
      expect(logged).toContain('/sign-out');
      for (const hint of hints) {
        const signature = hint.split('.')[2];
        expect(signature.length).toBeGreaterThan(20);
        for (const text of seen) {
          expect(text).not.toContain(signature);
        }
        expect(logged).not.toContain(signature);
      }
    });
  });

  // --- the OTLP receiver's wire reader -----------------------------------------------------------------

  describe('the OTLP wire reader', () => {
    const post = (token: string, body: Buffer) =>
      api.http
        .post('/v1/otlp/v1/traces')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/x-protobuf')
        .send(body);
    const rowsOf = (aiUseCaseId: string) =>
      readWith(uow, (m) => m.findBy(LiveInteractionEntity, { aiUseCaseId }));

    it('malformed bodies are a 400 invalid_protobuf, never a 500 or a stack trace', async () => {
      const { token } = await givenLiveUseCase(api, benefits);
      const good = span(newIds());
      const bodies: Record<string, Buffer> = {
        'truncated varint': Buffer.from([0x0a, 0xff]),
        'an 11-byte varint': cat(tag(1, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])),
        'a length past 2^31': cat(tag(1, 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])),
        'a length past the end': cat(tag(1, 2), Buffer.from(varint(1_000)), Buffer.from('x')),
        'wire type 6': Buffer.from([0x0e]),
        'wire type 7': Buffer.from([0x0f]),
        'field number 0': Buffer.from([0x02, 0x00]),
        'an unmatched group end': cat(tag(1, 2), Buffer.from([3]), ld(2, cat(tag(5, 4)))),
        'an unclosed group': ld(1, ld(2, ld(2, cat(good, tag(20, 3))))),
        'groups nested 200 deep': ld(
          1,
          cat(
            ...Array.from({ length: 200 }, () => tag(20, 3)),
            ...Array.from({ length: 200 }, () => tag(20, 4)),
          ),
        ),
        'invalid UTF-8 in a key': request(
          cat(good, ld(9, cat(ld(1, Buffer.from([0xc3, 0x28])), ld(2, sv('v'))))),
        ),
        'invalid UTF-8 in a value': request(
          cat(good, attr('gen_ai.prompt', ld(1, Buffer.from([0xff, 0xfe])))),
        ),
        'a fixed64 cut short': request(cat(good, tag(7, 1), Buffer.from([1, 2, 3]))),
        'messages nested 150 deep in a value': request(
          cat(
            good,
            attr(
              'deep',
              Array.from({ length: 150 }).reduce<Buffer>((inner) => kvlistOf(kv('k', inner)), sv('x')),
            ),
          ),
        ),
      };
      for (const [name, body] of Object.entries(bodies)) {
        const response = await post(token, body);
        expect({ name, status: response.status }).toEqual({ name, status: 400 });
        expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
        expect(response.text).not.toContain('RangeError');
      }
    });

    it('a nested length that runs past its parent into the next span is refused, by the reader itself too (it never reads past a message’s end)', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits);
      const first = span(newIds());
      const second = span(newIds());
      // The first span's attribute claims 40 bytes more than the span holds: the next span's bytes.
      const inner = kv('gen_ai.prompt', sv('x'));
      const liar = cat(tag(9, 2), Buffer.from(varint(inner.length + 40)), inner);
      const body = ld(1, ld(2, cat(ld(2, cat(first, liar)), ld(2, second))));
      expect(() => checkOtlpWireBounds(body)).toThrow();
      expect(() => spansFromProtobufBody(body)).toThrow();
      expect((await post(token, body)).status).toBe(400);
      expect(await rowsOf(id)).toHaveLength(0);
    });

    it('what the bounds walk lets through, the reader reads as protobufjs does (unknown fields, groups, repeats, overlong varints)', () => {
      const ids = newIds();
      const bodies = [
        request(span(ids, vi(99, 5), ld(100, 'unknown'), cat(tag(30, 3), vi(1, 1), tag(30, 4)))),
        request(span(ids, ld(5, 'renamed'), ld(5, 'again'), attr('a', sv('1')), attr('a', sv('2')))),
        request(span(ids, attr('v', cat(sv('s'), vi(2, 1), vi(3, 7))))),
        request(
          span(
            ids,
            cat(Buffer.from([0xca, 0x80, 0x00]), Buffer.from([kv('k', sv('v')).length]), kv('k', sv('v'))),
          ),
        ),
        request(
          span(ids, attr('arr', arrayOf(sv('a'), kvlistOf(kv('__proto__', sv('p'))), arrayOf()))),
          ld(11, ''),
        ),
        cat(request(span(ids)), request(span(newIds()))),
      ];
      for (const body of bodies) {
        checkOtlpWireBounds(body);
        const mine = readOutcome(() => spansFromProtobufBody(body));
        expect(mine).toEqual(readOutcome(() => spansFromProtobuf(decodeTraceRequest(body))));
        expect(mine).toHaveProperty('ok');
      }
    });

    it('keys named __proto__ or constructor pollute nothing and lose no text', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits, {
        settings: { captureText: true, sampleRate: 1 },
      });
      const messages = arrayOf(
        kvlistOf(
          kv('__proto__', kvlistOf(kv('polluted', sv('yes')))),
          kv('role', sv('user')),
          kv('content', sv('What is my tax code?')),
        ),
      );
      const body = request(
        span(
          newIds(),
          attr('__proto__', kvlistOf(kv('polluted', sv('yes')))),
          attr('constructor', kvlistOf(kv('prototype', kvlistOf(kv('polluted', sv('yes')))))),
          attr('gen_ai.input.messages', messages),
          attr('gen_ai.completion', sv('Look at your payslip.')),
        ),
      );
      const response = await post(token, body);
      expect(response.status).toBe(200);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
      const [row] = await rowsOf(id);
      expect(row.inputText).toBe('What is my tax code?');
      expect(row.outputText).toBe('Look at your payslip.');
    });

    it('numbers off the wire past what a column holds (int64 limits, NaN, 1e300, negative) store no token counts and no 500', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits);
      const double = (x: number) => {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(x);
        return cat(tag(4, 1), b);
      };
      // int64 as a ten-byte varint: -1, and 2^63 - 1.
      const int64 = (bytes: number[]) => cat(tag(3, 0), Buffer.from(bytes));
      const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
      const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
      const cases = [
        [int64(minusOne), double(Number.NaN)],
        [int64(max), double(1e300)],
        [double(2 ** 31), double(-0)],
        [vi(3, 2 ** 31), double(Number.POSITIVE_INFINITY)],
      ];
      for (const [input, output] of cases) {
        const body = request(
          span(
            newIds(),
            attr('gen_ai.usage.input_tokens', input),
            attr('gen_ai.usage.output_tokens', output),
          ),
        );
        expect((await post(token, body)).status).toBe(200);
      }
      const rows = await rowsOf(id);
      expect(rows).toHaveLength(cases.length);
      expect(rows.map((r) => r.inputTokens).filter((n) => n !== null)).toEqual([]);
      // -0 is an integer 0: the only count stored.
      expect(rows.map((r) => r.outputTokens).filter((n) => n !== null)).toEqual([0]);
    });

    it('bytes values are not kept: a 512 KiB bytes prompt stores no text and no part of the body', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits, {
        settings: { captureText: true, sampleRate: 1 },
      });
      const marker = 'R3-BYTES-MARKER-';
      const payload = Buffer.from(marker.repeat(32_768));
      const body = request(
        span(newIds(), attr('gen_ai.prompt', ld(7, payload)), attr('gen_ai.completion', sv('ok'))),
      );
      expect((await post(token, body)).status).toBe(200);
      const [row] = await rowsOf(id);
      expect(row.inputText).toBeNull();
      expect(JSON.stringify(row)).not.toContain(marker);
      // The reader hands bytes out as views of the body: the spans must not be what is kept.
      expect(row.inputChars ?? 0).toBeLessThan(payload.length);
    });

    it('the same trace and span ids from two use cases are both stored; a retry stores nothing twice', async () => {
      const ours = await givenLiveUseCase(api, benefits);
      const theirs = await givenLiveUseCase(api, benefits);
      const ids = newIds();
      const body = request(span(ids, attr('gen_ai.completion', sv('hello'))));
      expect((await post(theirs.token, body)).status).toBe(200);
      expect((await post(ours.token, body)).status).toBe(200);
      expect((await post(ours.token, body)).status).toBe(200);
      expect((await post(theirs.token, body)).status).toBe(200);
      for (const useCase of [ours, theirs]) {
        const rows = await rowsOf(useCase.id);
        expect(rows.map((r) => [r.traceId, r.spanId])).toEqual([[ids.traceId, ids.spanId]]);
      }
      // Two spans of one trace in one request with one span id: one row, not an error.
      const twice = await givenLiveUseCase(api, benefits);
      expect((await post(twice.token, request(span(ids), span(ids)))).status).toBe(200);
      expect(await rowsOf(twice.id)).toHaveLength(1);
    });

    it('trace and span ids of the wrong length or all zeros are not stored (they cannot collide with a real one)', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits);
      const good = newIds();
      const wrong = [
        { traceId: '00'.repeat(16), spanId: good.spanId },
        { traceId: good.traceId, spanId: '00'.repeat(8) },
        { traceId: good.traceId.slice(2), spanId: good.spanId },
        { traceId: `${good.traceId}ab`, spanId: good.spanId },
        { traceId: good.traceId, spanId: `${good.spanId}ab` },
      ];
      const response = await post(token, request(...wrong.map((ids) => span(ids)), span(good)));
      expect(response.status).toBe(200);
      const rows = await rowsOf(id);
      expect(rows.map((r) => [r.traceId, r.spanId])).toEqual([[good.traceId, good.spanId]]);
    });

    it('ids are time-ordered by arrival, not by the times the sender claims (29 days ago, 9 minutes ahead)', async () => {
      const { id, token } = await givenLiveUseCase(api, benefits);
      const before = Date.now();
      const nanos = (ms: number) => BigInt(ms) * 1_000_000n;
      const old = before - 29 * 86_400_000;
      const ahead = before + 9 * 60_000;
      const body = request(
        span(newIds(), fixed64(7, nanos(old)), fixed64(8, nanos(old + 1_000))),
        span(newIds(), fixed64(7, nanos(ahead)), fixed64(8, nanos(ahead + 1_000))),
      );
      expect((await post(token, body)).status).toBe(200);
      const after = Date.now();
      const rows = await rowsOf(id);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const ms = parseInt(row.id.replace(/-/g, '').slice(0, 12), 16);
        expect(ms).toBeGreaterThanOrEqual(before - 5);
        expect(ms).toBeLessThanOrEqual(after + 5);
      }
    });

    it('a body of 100,000 empty attributes is refused by the bounds walk before it is read', async () => {
      const { token } = await givenLiveUseCase(api, benefits);
      const empty = ld(9, '');
      const body = request(
        ...Array.from({ length: 100 }, () => span(newIds(), ...Array.from({ length: 1_000 }, () => empty))),
      );
      expect(() => checkOtlpWireBounds(body)).toThrow(/65536/);
      const response = await post(token, body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain('too_many_values');
    });

    it('a huge attribute key is not kept after its request (the reader’s key cache pins no sender’s megabytes)', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const heap = () => {
        gc();
        gc();
        return process.memoryUsage().heapUsed;
      };
      const { token } = await givenLiveUseCase(api, benefits);
      // Non-ASCII keys are never cached, so they leave the positions before the big key as they were.
      const small = (i: number) => attr(`é${i}`, sv('v'));
      const statuses: number[] = [];
      const before = heap();
      // One 2 MiB ASCII key per request, each after i small ones: a different position of the cache each time.
      for (let i = 0; i < 24; i++) {
        const key = String.fromCharCode(97 + (i % 26)).repeat(2 * 1_048_576);
        const body = request(
          span(newIds(), ...Array.from({ length: i }, (_, j) => small(j)), attr(key, sv('v'))),
        );
        // The first through the receiver (it takes such a body), the rest straight to its reader.
        if (i < 2) {
          statuses.push((await post(token, body)).status);
        } else {
          spansFromProtobufBody(body);
        }
      }
      expect(statuses).toEqual([200, 200]);
      const retainedMiB = (heap() - before) / 1_048_576;
      expect(retainedMiB).toBeLessThan(12);
    });

    it.todo(
      'FINDING (slow bodies under the bounds), answered by a rate: one body under the bounds still costs the reader ~50-130 ms (960 KB of empty key-value lists ~70 ms median; otlp-wire-bounds.ts maxValues, 65,536, is the lead’s call), but how many such bodies one use case may send each API process is now held to GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND (429 with Retry-After past its burst, nothing decoded or stored, other use cases unaffected): see apps/api/test/live-ingest-rate.int-spec.ts',
    );
  });

  // --- the scoring lease -------------------------------------------------------------------------------

  describe('the scoring lease', () => {
    let scoring: LiveScoringService;
    const leasesOf = (batchId: string) => readWith(uow, (m) => m.findBy(LiveScoringLeaseEntity, { batchId }));
    const givenBatch = async (budget: number) => {
      const aiUseCaseId = (
        await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)
      ).body.id as string;
      await givenLiveSettings(api, aiUseCaseId, { judgeCallsPerDay: budget });
      const batchId = randomUUID();
      const rows = ['Please fill in the form.', 'No.'].map((answer, i) =>
        interaction(aiUseCaseId, {
          batchId,
          inputText: `Question ${i}`,
          outputText: answer,
          outputChars: answer.length,
        }),
      );
      await store(api, rows);
      return { aiUseCaseId, batchId, rows };
    };

    beforeAll(async () => {
      const eve = await api.user('Eve R3', ['engineer'], 'Benefits');
      await api.connection('stub', 'http://127.0.0.1:9/v1');
      await api.connection('judges', judge.url, { secret: JUDGE_KEY });
      await api
        .as(eve.token)
        .upload(`/v1/datasets?name=${SUITE}-questions`, jsonl(questionItems(3)), 'application/x-ndjson')
        .expect(201);
      const scorers = [
        '  - type: rubric_judge',
        '    name: kind',
        '    rubric: The answer is polite.',
        '    judge: { model: judge-model, connection: judges }',
        '  - { type: pii_leakage, name: pii }',
      ];
      await api
        .as(eve.token)
        .upload('/v1/suites', judgedSuiteYaml(SUITE, scorers, 1_000), 'application/yaml')
        .expect(201);
      await api.admin.post('/v1/gate-policies', suitePassedPolicy(SUITE)).expect(201);
      scoring = api.app.get(LiveScoringService);
    });

    afterEach(() => judge.setOptions({ latencyMs: 0 }));

    it('deterministic scoring is not blocked by another holder’s live lease on the batch (it takes none)', async () => {
      const { aiUseCaseId, batchId, rows } = await givenBatch(0);
      await uow.write((tx) =>
        managerOf(tx).insert(LiveScoringLeaseEntity, {
          batchId,
          aiUseCaseId,
          holder: randomUUID(),
          heldUntil: new Date(Date.now() + 3_600_000),
        }),
      );
      const before = judge.requests;
      await scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      expect(judge.requests).toBe(before);
      expect(await verdictsOf(api, rows, 'pii')).toHaveLength(rows.length);
      expect((await interactionsOf(api, aiUseCaseId)).every((r) => r.scoredAt instanceof Date)).toBe(true);
      // The other holder's lease is left as it was.
      expect(await leasesOf(batchId)).toHaveLength(1);
    });

    it('a judging job whose judge never answers in time ends and releases its lease (the batch is not held)', async () => {
      judge.setOptions({ latencyMs: 4_000 });
      const { aiUseCaseId, batchId } = await givenBatch(100);
      const completed = judge.completions;
      const run = scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      // Taken before the first judge call, and held while the call is out (the suite's 1 s timeout).
      let held = false;
      for (let i = 0; i < 200 && !held; i++) {
        held = (await leasesOf(batchId)).length === 1;
        if (!held) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(held).toBe(true);
      await run;
      // Ended by the suite's timeout, not by the judge's answer; and the lease is gone.
      expect(judge.completions).toBe(completed);
      expect(await leasesOf(batchId)).toEqual([]);
    });

    it('a live lease held in another use case’s name for this batch id keeps judges off it, and an expired one is taken over', async () => {
      const { aiUseCaseId, batchId, rows } = await givenBatch(100);
      const other = await givenLiveUseCase(api, benefits);
      await uow.write((tx) =>
        managerOf(tx).insert(LiveScoringLeaseEntity, {
          batchId,
          aiUseCaseId: other.id,
          holder: randomUUID(),
          heldUntil: new Date(Date.now() + 3_600_000),
        }),
      );
      const before = judge.requests;
      await scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      expect(judge.requests).toBe(before);
      expect((await interactionsOf(api, aiUseCaseId)).every((r) => r.scoredAt === null)).toBe(true);
      await uow.write((tx) =>
        managerOf(tx).update(
          LiveScoringLeaseEntity,
          { batchId },
          { heldUntil: new Date(Date.now() - 1_000) },
        ),
      );
      await scoring.scoreBatch({ aiUseCaseId, batchId }, jobContext());
      expect(judge.requests - before).toBe(rows.length);
      expect((await interactionsOf(api, aiUseCaseId)).every((r) => r.scoredAt instanceof Date)).toBe(true);
      expect(await leasesOf(batchId)).toEqual([]);
    });
  });
});
