import { hashIngestToken } from '@gatehouse/application';
import { DEFAULT_LIVE_SETTINGS } from '@gatehouse/domain';
import { IngestTokenRepository, LiveSettingsRepository, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { givenStubSuite, givenUseCaseAt, suitePassedPolicy, type UseCaseGiven } from './support/givens';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';

jest.setTimeout(180_000);

interface Problem {
  rule?: string;
  errors: { field: string; message: string; code?: string }[];
}
interface AuditEvent {
  action: string;
  subjectId: string;
  before: unknown;
  after: Record<string, unknown> | null;
  reason: string | null;
  actorId: string;
}

const fields = (body: Problem) => body.errors.map((e) => e.field).sort();

/** A full, valid set of live settings (the defaults with a few changes). */
const settings = (change: Record<string, unknown> = {}) => ({
  ...DEFAULT_LIVE_SETTINGS,
  drift: { ...DEFAULT_LIVE_SETTINGS.drift },
  sampleRate: 0.25,
  retentionDays: 14,
  reevaluateEveryDays: 30,
  ...change,
});

/**
 * Ingest tokens and live settings over the JSON API: the owning team mints a token and sees it once, the
 * list never shows a secret, revocation is final and idempotent; reviewers and admins read, only the team
 * changes (admins may revoke); every change is audited without the token or its hash.
 */
describeIntegration('ingest tokens and live settings', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser; // service team, Benefits (owns the use cases)
  let eve: TestUser; // engineer, Benefits
  let rita: TestUser; // reviewer, Assurance
  let rob: TestUser; // reviewer, Assurance
  let hank: TestUser; // service team, Housing
  let useCaseId: string; // at test
  let otherUseCaseId: string; // Benefits too, at test
  let draftId: string; // Benefits, proposed

  const tokensUrl = (id = useCaseId) => `/v1/ai-use-cases/${id}/ingest-tokens`;
  const settingsUrl = (id = useCaseId) => `/v1/ai-use-cases/${id}/live-settings`;
  const del = (user: TestUser | string, url: string, body?: object) => {
    const call = api.http
      .delete(url)
      .set('Authorization', `Bearer ${typeof user === 'string' ? user : user.token}`);
    return body ? call.send(body) : call;
  };
  const audit = async (subjectId: string, action: string): Promise<AuditEvent[]> =>
    (await api.admin.get(`/v1/audit-events?subjectId=${subjectId}&action=${action}&limit=200`).expect(200))
      .body.items;
  const storedTokens = (id: string) =>
    api.app.get(UnitOfWork).read((tx) => api.app.get(IngestTokenRepository).list(tx, id));

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    // No ingest token lookup cached: a revocation is refused on the next request.
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_INGEST_TOKEN_CACHE_MS: '0' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    hank = await api.user('Hank', ['service_team'], 'Housing');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('live-admin')).expect(201);
    await givenStubSuite(api, eve, 'live-admin', { items: 3 });
    const given = (name: string): UseCaseGiven => ({
      cast: { owner: sam, engineer: eve, reviewers: [rob] },
      suite: 'live-admin@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
      record: { ...lowRiskRecord(), name },
    });
    useCaseId = await givenUseCaseAt(api, 'test', given('Letters helper'));
    otherUseCaseId = await givenUseCaseAt(api, 'test', given('Forms helper'));
    draftId = await givenUseCaseAt(api, 'proposed', given('Draft helper'));
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('mints a token for the owning team, shows it once, stores only its sha256 and audits without it', async () => {
    const minted = await api
      .as(eve.token)
      .post(tokensUrl(), { name: '  payments-api production ' })
      .expect(201);
    const token = minted.body.token as string;
    expect(token).toMatch(/^ghi_[A-Za-z0-9_-]{43}$/);
    expect(minted.headers['cache-control']).toBe('no-store');
    expect(minted.body).toMatchObject({
      name: 'payments-api production',
      displayPrefix: token.slice(0, 12),
      aiUseCaseId: useCaseId,
      createdBy: eve.id,
      revokedAt: null,
      active: true,
    });

    const listed = await api.as(sam.token).get(tokensUrl()).expect(200);
    const item = (listed.body.items as { id: string }[]).find((t) => t.id === minted.body.id);
    expect(item).toEqual({ ...minted.body, token: undefined });
    expect(listed.body).toMatchObject({ maxActive: 20 });
    const listedText = JSON.stringify(listed.body);
    expect(listedText).not.toContain(token);
    expect(listedText).not.toContain(hashIngestToken(token));
    expect(listedText).not.toContain(token.slice(12));

    const [row] = (await storedTokens(useCaseId)).filter((t) => t.id === minted.body.id);
    expect(row.tokenHash).toBe(hashIngestToken(token));

    const events = await audit(useCaseId, 'ingest_token.issued');
    const event = events.find((e) => e.after?.['id'] === minted.body.id);
    expect(event).toMatchObject({ actorId: eve.id, after: { name: 'payments-api production' } });
    expect(JSON.stringify(events)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(hashIngestToken(token));
  });

  it('gives every mint a token of its own', async () => {
    const a = await api.as(sam.token).post(tokensUrl(otherUseCaseId), { name: 'a' }).expect(201);
    const b = await api.as(sam.token).post(tokensUrl(otherUseCaseId), { name: 'a' }).expect(201);
    expect(a.body.token).not.toBe(b.body.token);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it.each([
    ['a reviewer', () => rita.token],
    ['an admin', () => ADMIN_TOKEN],
    ['another team', () => hank.token],
  ])('refuses %s minting a token, writing nothing', async (_who, token) => {
    const before = (await storedTokens(useCaseId)).length;
    const refused = await api.as(token()).post(tokensUrl(), { name: 'sneaky' }).expect(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.rule).toBe('ingest_token_by_owning_team');
    expect((await storedTokens(useCaseId)).length).toBe(before);
  });

  it('refuses a token for a draft: 409 to the owning team, 404 to another team (the draft is hidden)', async () => {
    const early = await api.as(eve.token).post(tokensUrl(draftId), { name: 'too early' }).expect(409);
    expect(early.body.rule).toBe('ingest_token_from_test');
    await api.as(hank.token).post(tokensUrl(draftId), { name: 'x' }).expect(404);
    await api.as(hank.token).get(tokensUrl(draftId)).expect(404);
    expect(await storedTokens(draftId)).toEqual([]);
  });

  it('lets the owning team, reviewers and admins read the list; not another team', async () => {
    await api.as(sam.token).get(tokensUrl()).expect(200);
    await api.as(eve.token).get(tokensUrl()).expect(200);
    await api.as(rita.token).get(tokensUrl()).expect(200);
    await api.admin.get(tokensUrl()).expect(200);
    const refused = await api.as(hank.token).get(tokensUrl()).expect(403);
    expect(refused.body.rule).toBe('live_read_by_owning_team_or_reviewer');
  });

  it('revokes once: 204, the list shows it revoked, a second revocation is a 204 with no second event', async () => {
    const minted = await api.as(eve.token).post(tokensUrl(), { name: 'to revoke' }).expect(201);
    await del(sam, `${tokensUrl()}/${minted.body.id}`).expect(204);
    await del(sam, `${tokensUrl()}/${minted.body.id}`).expect(204);
    const listed = await api.as(sam.token).get(tokensUrl()).expect(200);
    const item = (listed.body.items as { id: string; active: boolean; revokedAt: string | null }[]).find(
      (t) => t.id === minted.body.id,
    );
    expect(item?.active).toBe(false);
    expect(Date.parse(item?.revokedAt ?? '')).not.toBeNaN();
    const events = (await audit(useCaseId, 'ingest_token.revoked')).filter(
      (e) => e.after?.['id'] === minted.body.id,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: sam.id, before: { active: true }, after: { active: false } });
  });

  it('gives a token the ingest endpoints accept until it is revoked, and nothing else', async () => {
    const minted = await api.as(eve.token).post(tokensUrl(), { name: 'feedback sender' }).expect(201);
    const feedback = (token: string, id: string) =>
      api.http
        .post('/v1/live/feedback')
        .set('Authorization', `Bearer ${token}`)
        .send({ events: [{ id, kind: 'positive', occurredAt: new Date().toISOString() }] });
    await feedback(minted.body.token, 'before-revocation').expect(200);
    await api.http.get('/v1/users/me').set('Authorization', `Bearer ${minted.body.token}`).expect(401);
    await del(sam, `${tokensUrl()}/${minted.body.id}`).expect(204);
    await feedback(minted.body.token, 'after-revocation').expect(401);
  });

  it('lets an admin revoke in an emergency, with the reason audited; not a reviewer', async () => {
    const minted = await api.as(eve.token).post(tokensUrl(), { name: 'leaked' }).expect(201);
    const refused = await del(rita, `${tokensUrl()}/${minted.body.id}`).expect(403);
    expect(refused.body.rule).toBe('ingest_token_revoked_by_owning_team_or_admin');
    await del(hank, `${tokensUrl()}/${minted.body.id}`).expect(403);
    await del(ADMIN_TOKEN, `${tokensUrl()}/${minted.body.id}`, {
      reason: 'Posted in a public build log',
    }).expect(204);
    const [event] = (await audit(useCaseId, 'ingest_token.revoked')).filter(
      (e) => e.after?.['id'] === minted.body.id,
    );
    expect(event.reason).toBe('Posted in a public build log');
  });

  it('answers 404 for a token of another use case, or none, and 400 for an id that is no UUID', async () => {
    const elsewhere = await api.as(eve.token).post(tokensUrl(otherUseCaseId), { name: 'other' }).expect(201);
    await del(eve, `${tokensUrl()}/${elsewhere.body.id}`).expect(404);
    expect(
      (await storedTokens(otherUseCaseId)).find((t) => t.id === elsewhere.body.id)?.revokedAt,
    ).toBeNull();
    await del(eve, `${tokensUrl()}/00000000-0000-4000-8000-000000000000`).expect(404);
    const bad = await del(eve, `${tokensUrl()}/not-a-token`).expect(400);
    expect(fields(bad.body)).toEqual(['tokenId']);
  });

  it('holds at most 20 active tokens per use case; revoking one makes room', async () => {
    const { body } = await api.as(sam.token).get(tokensUrl()).expect(200);
    for (let i = body.active as number; i < 20; i++) {
      await api
        .as(eve.token)
        .post(tokensUrl(), { name: `service ${i}` })
        .expect(201);
    }
    const full = await api.as(eve.token).post(tokensUrl(), { name: 'one too many' }).expect(409);
    expect(full.body.rule).toBe('ingest_tokens_per_use_case');
    const listed = await api.as(sam.token).get(tokensUrl()).expect(200);
    expect(listed.body.active).toBe(20);
    const active = (listed.body.items as { id: string; active: boolean }[]).find((t) => t.active);
    await del(eve, `${tokensUrl()}/${active?.id}`).expect(204);
    await api.as(eve.token).post(tokensUrl(), { name: 'room again' }).expect(201);
  });

  it.each([
    ['no name', {}, ['name']],
    ['a blank name', { name: '   ' }, ['name']],
    ['a name of 121 characters', { name: 'x'.repeat(121) }, ['name']],
    ['a name of two lines', { name: 'a\nb' }, ['name']],
    ['a name with a right-to-left override', { name: 'payments\u202Eved' }, ['name']],
    ['a number for a name', { name: 42 }, ['name']],
    ['an unknown field', { name: 'ok', tokenHash: 'f'.repeat(64) }, ['tokenHash']],
  ])('refuses a token with %s, naming the field', async (_name, body, expected) => {
    const refused = await api.as(eve.token).post(tokensUrl(otherUseCaseId), body).expect(400);
    expect(fields(refused.body)).toEqual(expected);
  });

  describe('live settings', () => {
    it('reads the defaults until the team sets any', async () => {
      const { body } = await api.as(rita.token).get(settingsUrl(otherUseCaseId)).expect(200);
      expect(body).toEqual({
        aiUseCaseId: otherUseCaseId,
        ...DEFAULT_LIVE_SETTINGS,
        stored: false,
        updatedBy: null,
        updatedAt: null,
      });
      await api.admin.get(settingsUrl(otherUseCaseId)).expect(200);
      await api.as(hank.token).get(settingsUrl(otherUseCaseId)).expect(403);
      await api.as(hank.token).get(settingsUrl(draftId)).expect(404);
    });

    it('replaces the settings for the owning team and audits before and after', async () => {
      const put = await api.as(eve.token).put(settingsUrl(), settings()).expect(200);
      expect(put.body).toMatchObject({ ...settings(), stored: true, updatedBy: eve.id });
      const { body } = await api.as(rita.token).get(settingsUrl()).expect(200);
      expect(body).toEqual(put.body);
      const [event] = await audit(useCaseId, 'live_settings.changed');
      expect(event).toMatchObject({
        actorId: eve.id,
        before: { ...DEFAULT_LIVE_SETTINGS, stored: false },
        after: settings(),
      });
      // The same settings again: nothing changes, nothing is audited.
      await api.as(sam.token).put(settingsUrl(), settings()).expect(200);
      expect(await audit(useCaseId, 'live_settings.changed')).toHaveLength(1);
    });

    it.each([
      ['a reviewer', () => rita.token, 'live_settings_by_owning_team'],
      ['an admin', () => ADMIN_TOKEN, 'live_settings_by_owning_team'],
      ['another team', () => hank.token, 'live_settings_by_owning_team'],
    ])('refuses %s changing the settings', async (_who, token, rule) => {
      const refused = await api.as(token()).put(settingsUrl(otherUseCaseId), settings()).expect(403);
      expect(refused.body.rule).toBe(rule);
      const stored = await api.app
        .get(UnitOfWork)
        .read((tx) => api.app.get(LiveSettingsRepository).find(tx, otherUseCaseId));
      expect(stored).toBeNull();
    });

    it('names every field out of bounds, and stores nothing', async () => {
      const refused = await api
        .as(eve.token)
        .put(
          settingsUrl(otherUseCaseId),
          settings({
            sampleRate: 2,
            retentionDays: 0,
            judgeCallsPerDay: 10_001,
            reevaluateEveryDays: 400,
            captureText: 'yes',
            drift: { windowDays: 91, minCases: 5, rateMargin: -0.1, lengthRatio: 1 },
          }),
        )
        .expect(400);
      expect(fields(refused.body)).toEqual([
        'captureText',
        'drift.lengthRatio',
        'drift.minCases',
        'drift.rateMargin',
        'drift.windowDays',
        'judgeCallsPerDay',
        'reevaluateEveryDays',
        'retentionDays',
        'sampleRate',
      ]);
      const { body } = await api.as(eve.token).get(settingsUrl(otherUseCaseId)).expect(200);
      expect(body.stored).toBe(false);
    });

    it('needs a reason to keep captured text unredacted, and audits it', async () => {
      const unredacted = settings({ captureText: true, redactPii: false });
      const refused = await api.as(eve.token).put(settingsUrl(), unredacted).expect(400);
      expect(fields(refused.body)).toEqual(['reason']);
      const tooShort = await api
        .as(eve.token)
        .put(settingsUrl(), { ...unredacted, reason: ' x ' })
        .expect(400);
      expect(fields(tooShort.body)).toEqual(['reason']);
      expect((await api.as(eve.token).get(settingsUrl()).expect(200)).body.redactPii).toBe(true);

      const reason = 'Caseworkers need the full text to check answers; DPIA section 4.2 covers it.';
      await api
        .as(eve.token)
        .put(settingsUrl(), { ...unredacted, reason })
        .expect(200);
      const events = await audit(useCaseId, 'live_settings.changed');
      expect(events.find((e) => e.reason === reason)).toMatchObject({
        before: { captureText: false, redactPii: true },
        after: { captureText: true, redactPii: false },
      });
      // Already unredacted: another change needs no new reason.
      await api
        .as(eve.token)
        .put(settingsUrl(), { ...unredacted, sampleRate: 0.5 })
        .expect(200);
    });
  });
});
