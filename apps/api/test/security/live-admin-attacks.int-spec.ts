import { DEFAULT_LIVE_SETTINGS } from '@gatehouse/domain';
import { IngestTokenRepository, LiveSettingsRepository, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { givenStubSuite, givenUseCaseAt, suitePassedPolicy, type UseCaseGiven } from '../support/givens';
import { moveUseCase } from '../support/live-ingest';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

jest.setTimeout(240_000);

interface Problem {
  rule?: string;
  errors: { field: string; message: string; code?: string }[];
}
const fields = (body: Problem) => [...new Set(body.errors.map((e) => e.field))].sort();
const settings = (change: Record<string, unknown> = {}) => ({
  ...DEFAULT_LIVE_SETTINGS,
  drift: { ...DEFAULT_LIVE_SETTINGS.drift },
  ...change,
});

/**
 * Ingest tokens and live settings attacked: another team's use case and tokens, a token id of another use
 * case, a reviewer or admin minting, hostile values (60 KB names, NaN and Infinity, strings for numbers,
 * prototype keys), racing the cap, and an ingest token presented as a user's API token.
 */
describeIntegration('ingest tokens and live settings under attack', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser; // service team, Benefits
  let eve: TestUser; // engineer, Benefits
  let hank: TestUser; // service team, Housing
  let olu: TestUser; // engineer, Housing
  let rae: TestUser; // reviewer inside Benefits
  let benefitsId: string;
  let benefitsOtherId: string;
  let housingId: string;
  let housingDraftId: string;

  const tokensUrl = (id: string) => `/v1/ai-use-cases/${id}/ingest-tokens`;
  const settingsUrl = (id: string) => `/v1/ai-use-cases/${id}/live-settings`;
  const del = (user: TestUser, url: string) =>
    api.http.delete(url).set('Authorization', `Bearer ${user.token}`);
  const rawPut = (user: TestUser, url: string, text: string) =>
    api.http
      .put(url)
      .set('Authorization', `Bearer ${user.token}`)
      .set('Content-Type', 'application/json')
      .send(text);
  const stored = {
    tokens: (id: string) =>
      api.app.get(UnitOfWork).read((tx) => api.app.get(IngestTokenRepository).list(tx, id)),
    settings: (id: string) =>
      api.app.get(UnitOfWork).read((tx) => api.app.get(LiveSettingsRepository).find(tx, id)),
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rae = await api.user('Rae', ['reviewer'], 'Benefits');
    hank = await api.user('Hank', ['service_team'], 'Housing');
    olu = await api.user('Olu', ['engineer'], 'Housing');
    const rob = await api.user('Rob', ['reviewer'], 'Assurance');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('live-attacks')).expect(201);
    await givenStubSuite(api, eve, 'live-attacks', { items: 3 });
    await givenStubSuite(api, olu, 'live-attacks-housing', { items: 3 });
    const given = (owner: TestUser, engineer: TestUser, suite: string): UseCaseGiven => ({
      cast: { owner, engineer, reviewers: [rob] },
      suite,
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
      record: lowRiskRecord(),
    });
    benefitsId = await givenUseCaseAt(api, 'test', given(sam, eve, 'live-attacks@1'));
    benefitsOtherId = await givenUseCaseAt(api, 'test', given(sam, eve, 'live-attacks@1'));
    // Housing's gate asks for a run of Benefits' suite; Housing's engineer runs it against its own target.
    housingId = await givenUseCaseAt(api, 'test', given(hank, olu, 'live-attacks@1'));
    housingDraftId = await givenUseCaseAt(api, 'proposed', given(hank, olu, 'live-attacks@1'));
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it("refuses every route on another team's use case: 403 when it can be seen, 404 for a draft", async () => {
    const minted = await api.as(olu.token).post(tokensUrl(housingId), { name: 'housing' }).expect(201);
    expect((await api.as(eve.token).post(tokensUrl(housingId), { name: 'x' }).expect(403)).body.rule).toBe(
      'ingest_token_by_owning_team',
    );
    await api.as(eve.token).get(tokensUrl(housingId)).expect(403);
    await del(eve, `${tokensUrl(housingId)}/${minted.body.id}`).expect(403);
    await api.as(eve.token).get(settingsUrl(housingId)).expect(403);
    await api.as(eve.token).put(settingsUrl(housingId), settings()).expect(403);
    for (const call of [
      api.as(eve.token).post(tokensUrl(housingDraftId), { name: 'x' }),
      api.as(eve.token).get(tokensUrl(housingDraftId)),
      del(eve, `${tokensUrl(housingDraftId)}/${minted.body.id}`),
      api.as(eve.token).get(settingsUrl(housingDraftId)),
      api.as(eve.token).put(settingsUrl(housingDraftId), settings()),
    ]) {
      expect((await call).status).toBe(404);
    }
    expect((await stored.tokens(housingId)).map((t) => t.revokedAt)).toEqual([null]);
    expect(await stored.settings(housingId)).toBeNull();
  });

  it("cannot revoke another use case's token through its own use case's path", async () => {
    const housing = await api.as(olu.token).post(tokensUrl(housingId), { name: 'target' }).expect(201);
    const sibling = await api.as(eve.token).post(tokensUrl(benefitsOtherId), { name: 'sibling' }).expect(201);
    await del(eve, `${tokensUrl(benefitsId)}/${housing.body.id}`).expect(404);
    await del(eve, `${tokensUrl(benefitsId)}/${sibling.body.id}`).expect(404);
    const still = [...(await stored.tokens(housingId)), ...(await stored.tokens(benefitsOtherId))];
    expect(still.find((t) => t.id === housing.body.id)?.revokedAt).toBeNull();
    expect(still.find((t) => t.id === sibling.body.id)?.revokedAt).toBeNull();
  });

  it('answers who may before what was sent: a refused caller learns nothing from a bad body', async () => {
    const token = (await api.as(olu.token).post(tokensUrl(housingId), { name: 'kept' }).expect(201)).body as {
      id: string;
    };
    const junk = { reason: 42, extra: 'x'.repeat(1000) };
    await del(eve, `${tokensUrl(housingId)}/${token.id}`)
      .send(junk)
      .expect(403);
    await api.as(eve.token).post(tokensUrl(housingId), junk).expect(403);
    await api.as(eve.token).put(settingsUrl(housingId), junk).expect(403);
    const bad = await del(olu, `${tokensUrl(housingId)}/${token.id}`)
      .send(junk)
      .expect(400);
    expect(fields(bad.body)).toEqual(['extra', 'reason']);
    expect((await stored.tokens(housingId)).find((t) => t.id === token.id)?.revokedAt).toBeNull();
  });

  it('refuses a reviewer inside the owning team minting or changing settings, but lets them read', async () => {
    expect((await api.as(rae.token).post(tokensUrl(benefitsId), { name: 'x' }).expect(403)).body.rule).toBe(
      'ingest_token_by_owning_team',
    );
    await api.as(rae.token).put(settingsUrl(benefitsId), settings()).expect(403);
    await api.as(rae.token).get(tokensUrl(benefitsId)).expect(200);
    await api.as(rae.token).get(settingsUrl(benefitsId)).expect(200);
  });

  it('refuses a 60 KB name with the field named, storing nothing and echoing nothing back', async () => {
    const before = (await stored.tokens(benefitsId)).length;
    const huge = 'A'.repeat(60 * 1024);
    const refused = await api.as(eve.token).post(tokensUrl(benefitsId), { name: huge }).expect(400);
    expect(fields(refused.body)).toEqual(['name']);
    expect(JSON.stringify(refused.body)).not.toContain('A'.repeat(200));
    expect((await stored.tokens(benefitsId)).length).toBe(before);
  });

  it.each([
    ['NaN (not JSON at all)', '{"sampleRate": NaN}', '(body)'],
    [
      'Infinity (1e999 parses to it)',
      JSON.stringify(settings()).replace('"sampleRate":0.1', '"sampleRate":1e999'),
      'sampleRate',
    ],
    [
      '-Infinity',
      JSON.stringify(settings()).replace('"retentionDays":30', '"retentionDays":-1e999'),
      'retentionDays',
    ],
    ['a string for a number', JSON.stringify(settings({ sampleRate: '0.5' })), 'sampleRate'],
    ['null for a number', JSON.stringify(settings({ judgeCallsPerDay: null })), 'judgeCallsPerDay'],
    [
      'a huge minCases',
      JSON.stringify(settings({ drift: { ...DEFAULT_LIVE_SETTINGS.drift, minCases: 1e300 } })),
      'drift.minCases',
    ],
    ['a fractional retention', JSON.stringify(settings({ retentionDays: 7.5 })), 'retentionDays'],
    ['an array for drift', JSON.stringify(settings({ drift: [1, 2, 3] })), 'drift'],
  ])('refuses a sample rate or bound given as %s, storing nothing', async (_name, text, field) => {
    const refused = await rawPut(eve, settingsUrl(benefitsOtherId), text).expect(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(fields(refused.body)).toEqual([field]);
    expect(JSON.stringify(refused.body)).not.toMatch(/\bat \w+ \(/);
    expect(await stored.settings(benefitsOtherId)).toBeNull();
  });

  it('refuses prototype keys and unknown fields rather than merging them', async () => {
    const text = JSON.stringify(settings()).replace('{', '{"__proto__":{"redactPii":false},"isAdmin":true,');
    const refused = await rawPut(eve, settingsUrl(benefitsOtherId), text).expect(400);
    expect(JSON.stringify(refused.body)).toMatch(/__proto__|isAdmin/);
    expect(await stored.settings(benefitsOtherId)).toBeNull();
  });

  it('refuses turning redaction off while capturing text without a real reason', async () => {
    const unredacted = settings({ captureText: true, redactPii: false });
    for (const reason of [undefined, '', '   ', 'ok', 42, 'x'.repeat(2001)]) {
      const refused = await api
        .as(eve.token)
        .put(settingsUrl(benefitsOtherId), reason === undefined ? unredacted : { ...unredacted, reason })
        .expect(400);
      expect(fields(refused.body)).toEqual(['reason']);
    }
    expect(await stored.settings(benefitsOtherId)).toBeNull();
  });

  it('at learn, the watched team needs a reason to weaken the watch; caps keep drift able to fire', async () => {
    const id = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
      .body.id as string;
    await moveUseCase(api, id, 'learn');
    const watched = settings({ sampleRate: 1, reevaluateEveryDays: 7 });
    await api.as(eve.token).put(settingsUrl(id), watched).expect(200);
    const weaker = {
      ...watched,
      sampleRate: 0.01,
      reevaluateEveryDays: null,
      drift: { windowDays: 7, minCases: 10_000, rateMargin: 0.2, lengthRatio: 10 },
    };
    for (const reason of [undefined, '', 'no']) {
      const refused = await api
        .as(eve.token)
        .put(settingsUrl(id), reason === undefined ? weaker : { ...weaker, reason })
        .expect(400);
      expect(fields(refused.body)).toEqual(['reason']);
      expect(refused.body.errors[0].message).toContain(
        'sampleRate, reevaluateEveryDays, drift.minCases, drift.rateMargin, drift.lengthRatio',
      );
    }
    expect(await stored.settings(id)).toMatchObject({ sampleRate: 1, reevaluateEveryDays: 7 });
    // Past the caps, a drift watch could never fire: refused whatever the reason.
    const unbounded = {
      ...weaker,
      drift: { windowDays: 7, minCases: 1_000_000, rateMargin: 1, lengthRatio: 100 },
      reason: 'We want fewer alerts',
    };
    expect(fields((await api.as(eve.token).put(settingsUrl(id), unbounded).expect(400)).body).sort()).toEqual(
      ['drift.lengthRatio', 'drift.minCases', 'drift.rateMargin'],
    );
    const reason = 'The pilot ends on Friday; the DPIA review agreed a lighter watch';
    await api
      .as(eve.token)
      .put(settingsUrl(id), { ...weaker, reason })
      .expect(200);
    const events = (await api.admin.get(`/v1/audit-events?subjectId=${id}`).expect(200)).body.items as {
      action: string;
      reason: string | null;
    }[];
    expect(events.find((e) => e.action === 'live_settings.changed' && e.reason === reason)).toBeDefined();
  });

  it('keeps the cap under a race of mints', async () => {
    const mints = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        api.as(eve.token).post(tokensUrl(benefitsOtherId), { name: `racer ${i}` }),
      ),
    );
    const statuses = mints.map((m) => m.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const active = (await stored.tokens(benefitsOtherId)).filter((t) => t.revokedAt === null);
    expect(active.length).toBe(20);
  });

  it('never lets an ingest token act as a user', async () => {
    const minted = await api.as(eve.token).post(tokensUrl(benefitsId), { name: 'not a user' }).expect(201);
    const token = minted.body.token as string;
    await api.http.get('/v1/users/me').set('Authorization', `Bearer ${token}`).expect(401);
    await api.http.get(tokensUrl(benefitsId)).set('Authorization', `Bearer ${token}`).expect(401);
    await api.http
      .post(tokensUrl(benefitsId))
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'self-minted' })
      .expect(401);
  });

  it('refuses a body that is not JSON without reading it', async () => {
    await api.http
      .post(tokensUrl(benefitsId))
      .set('Authorization', `Bearer ${eve.token}`)
      .set('Content-Type', 'text/plain')
      .send('name=x')
      .expect(415);
  });
});
