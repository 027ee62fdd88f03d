import { hashIngestToken } from '@gatehouse/application';
import { IngestTokenRepository, managerOf, UnitOfWork, WatchAlertEntity } from '@gatehouse/persistence';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import {
  givenPassingEvaluation,
  givenStubSuite,
  givenUseCaseAt,
  suitePassedPolicy,
  type UseCaseGiven,
} from './support/givens';
import {
  daysAgo,
  feedback,
  interaction,
  liveSettingsBody,
  liveSettingsForm,
  scored,
  store,
} from './support/live';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

jest.setTimeout(180_000);

/** The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

const TOKEN = /ghi_[A-Za-z0-9_-]{43}/g;

const settingsForm = liveSettingsForm;

/**
 * The live use page: settings in words for whoever may read them and a form for the owning team; ingest
 * tokens created (shown once, on the response only), listed and revoked after a confirmation; CSRF on every
 * form; the same refusals as the API (another team 403, another team's draft 404).
 */
describeIntegration('the live use page', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let hank: TestUser;
  let useCaseId: string;
  let draftId: string;
  let eveWeb: WebClient;
  let ritaWeb: WebClient;
  let hankWeb: WebClient;
  let adminWeb: WebClient;
  let given: UseCaseGiven;

  const page = (id = useCaseId) => `/ai-use-cases/${id}/live`;
  const apiSettings = async () =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/live-settings`).expect(200)).body;
  const apiTokens = async () =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/ingest-tokens`).expect(200)).body.items as {
      id: string;
      name: string;
      active: boolean;
      displayPrefix: string;
    }[];
  /**
   * The active token of that name, created on the page by the owning team if there is none yet (the
   * token-creation test makes it when the file runs in full), so a test that needs one also runs alone.
   */
  const activeToken = async (name: string) => {
    const known = (await apiTokens()).find((t) => t.name === name && t.active);
    if (known) {
      return known;
    }
    expect((await eveWeb.post(`${page()}/tokens`, { name })).status).toBe(201);
    const created = (await apiTokens()).find((t) => t.name === name && t.active);
    if (!created) {
      throw new Error(`no active token ${name} after creating it`);
    }
    return created;
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_PUBLIC_URL: 'http://gatehouse.example.gov.uk',
    });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    const rob = await api.user('Rob', ['reviewer'], 'Assurance');
    hank = await api.user('Hank', ['service_team'], 'Housing');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('web-live')).expect(201);
    await givenStubSuite(api, eve, 'web-live', { items: 3 });
    given = {
      cast: { owner: sam, engineer: eve, reviewers: [rob] },
      suite: 'web-live@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
      record: { ...lowRiskRecord(), name: 'Letters <b>helper</b>' },
    };
    useCaseId = await givenUseCaseAt(api, 'test', given);
    draftId = await givenUseCaseAt(api, 'proposed', { ...given, record: lowRiskRecord() });
    eveWeb = await signIn(api, eve.token);
    ritaWeb = await signIn(api, rita.token);
    hankWeb = await signIn(api, hank.token);
    adminWeb = await signIn(api, ADMIN_TOKEN);
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('is linked from the use case page for the owning team and reviewers, not for another team', async () => {
    const link = `href="/ai-use-cases/${useCaseId}/live"`;
    expect((await eveWeb.get(`/ai-use-cases/${useCaseId}`)).text).toContain(link);
    expect((await ritaWeb.get(`/ai-use-cases/${useCaseId}`)).text).toContain(link);
    const other = await hankWeb.get(`/ai-use-cases/${useCaseId}`);
    expect(other.status).toBe(200);
    expect(other.text).not.toContain(link);
  });

  it('shows the owning team the defaults, both forms and how to send traces', async () => {
    const response = await eveWeb.get(page());
    expect(response.status).toBe(200);
    const text = textOf(response.text);
    expect(text).toContain('Live use');
    expect(text).toContain('Letters <b>helper</b>');
    expect(response.text).not.toContain('<b>helper</b>');
    expect(text).toContain('These are the defaults');
    expect(text).toContain('10% of traces are scored');
    expect(text).toContain('Not kept: only counts, lengths and scores');
    expect(response.text).toContain(`action="/ai-use-cases/${useCaseId}/live/settings"`);
    expect(response.text).toContain(`action="/ai-use-cases/${useCaseId}/live/tokens"`);
    expect(text).toContain('http://gatehouse.example.gov.uk/v1/otlp/v1/traces');
    expect(text).toContain('Authorization=Bearer%20<your ingest token>');
    expect(text).toContain('No ingest tokens yet.');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('shows reviewers the settings without any form, and refuses another team (403) or their draft (404)', async () => {
    const response = await ritaWeb.get(page());
    expect(response.status).toBe(200);
    expect(textOf(response.text)).toContain('10% of traces are scored');
    expect(response.text).not.toContain('/live/settings"');
    expect(response.text).not.toContain('/live/tokens"');
    expect((await hankWeb.get(page())).status).toBe(403);
    expect((await hankWeb.get(page(draftId))).status).toBe(404);
    expect((await eveWeb.get('/ai-use-cases/not-an-id/live')).status).toBe(404);
  });

  it('refuses a form without the session CSRF token, changing nothing', async () => {
    const forgedSettings = await eveWeb.agent
      .post(`${page()}/settings`)
      .type('form')
      .send(settingsForm({ sampleRate: '90' }));
    expect(forgedSettings.status).toBe(403);
    const forgedToken = await eveWeb.agent
      .post(`${page()}/tokens`)
      .type('form')
      .send({ _csrf: 'not-the-token', name: 'forged' });
    expect(forgedToken.status).toBe(403);
    expect((await apiSettings()).stored).toBe(false);
    expect(await apiTokens()).toEqual([]);
  });

  it('creates a token and shows it on that response only', async () => {
    const created = await eveWeb.post(`${page()}/tokens`, { name: 'payments-api <production>' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const shown = [...new Set(created.text.match(TOKEN) ?? [])];
    expect(shown).toHaveLength(1);
    const token = shown[0];
    expect(textOf(created.text)).toContain('It will not be shown again');
    expect(textOf(created.text)).toContain(`Authorization=Bearer%20${token}`);
    expect(created.text).toContain('payments-api &lt;production&gt;');
    const [row] = await api.app
      .get(UnitOfWork)
      .read((tx) => api.app.get(IngestTokenRepository).list(tx, useCaseId));
    expect(row.tokenHash).toBe(hashIngestToken(token));

    const again = await eveWeb.get(page());
    expect(again.text.match(TOKEN)).toBeNull();
    expect(again.text).toContain(`${token.slice(0, 12)}…`);
    expect(textOf(again.text)).toContain('1 of at most 20 active');
  });

  it('refuses a bad token name on the form, with the error summary', async () => {
    const before = (await apiTokens()).length;
    const tooLong = await eveWeb.post(`${page()}/tokens`, { name: 'x'.repeat(60_000) });
    expect(tooLong.status).toBe(400);
    expect(textOf(tooLong.text)).toContain('Name must be at most 120 characters');
    expect(tooLong.text).toContain('href="#tokenName"');
    expect(tooLong.text).not.toContain('x'.repeat(200));
    const blank = await eveWeb.post(`${page()}/tokens`, { name: '  ' });
    expect(blank.status).toBe(400);
    expect(textOf(blank.text)).toContain('Name must not be empty');
    expect(await apiTokens()).toHaveLength(before);
  });

  it('keeps what was typed and names each bad field, then saves a valid form', async () => {
    const bad = await eveWeb.post(
      `${page()}/settings`,
      settingsForm({ sampleRate: '150', retentionDays: 'a fortnight', minCases: '5' }),
    );
    expect(bad.status).toBe(400);
    const text = textOf(bad.text);
    expect(text).toContain('There is a problem');
    expect(text).toContain('Share of traces scored must be between 0% and 100%');
    expect(text).toContain('Days to keep captured text must be a number');
    expect(bad.text).toContain('value="a fortnight"');
    expect((await apiSettings()).stored).toBe(false);

    // The service's own bounds (the form reads numbers; the service checks ranges).
    const outOfRange = await eveWeb.post(`${page()}/settings`, settingsForm({ minCases: '5' }));
    expect(outOfRange.status).toBe(400);
    expect(textOf(outOfRange.text)).toContain(
      'Scored cases before the watch alerts must be between 10 and 10000',
    );
    expect(outOfRange.text).toContain('href="#minCases"');

    const saved = await eveWeb.post(`${page()}/settings`, settingsForm());
    expect(saved.status).toBe(303);
    expect(saved.headers['location']).toBe(`${page()}?done=settings#settings`);
    expect(await apiSettings()).toMatchObject({
      sampleRate: 0.25,
      captureText: true,
      redactPii: true,
      retentionDays: 14,
      judgeCallsPerDay: 100,
      reevaluateEveryDays: null,
      drift: { windowDays: 7, minCases: 200, rateMargin: 0.07, lengthRatio: 2.5 },
      stored: true,
    });
    const after = await eveWeb.get(`${page()}?done=settings`);
    expect(textOf(after.text)).toContain('The live settings are saved.');
    expect(textOf(after.text)).toContain('Kept for 14 days, with UK personal data redacted');
    expect(after.text).toMatch(/id="rateMargin" name="rateMargin" type="text"[^>]* value="7"/);
  });

  it('asks for a reason to keep text unredacted, then warns on the page', async () => {
    const noReason = await eveWeb.post(`${page()}/settings`, settingsForm({ redactPii: 'no' }));
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('href="#reason"');
    expect((await apiSettings()).redactPii).toBe(true);
    const withReason = await eveWeb.post(
      `${page()}/settings`,
      settingsForm({ redactPii: 'no', reason: 'DPIA 4.2: caseworkers check the full text' }),
    );
    expect(withReason.status).toBe(303);
    const warned = await ritaWeb.get(page());
    expect(textOf(warned.text)).toContain('stored without redacting personal data');
  });

  it('revokes a token after a confirmation page; reviewers are refused, admins may', async () => {
    const token = await activeToken('payments-api <production>');
    const active = async () => (await apiTokens()).find((t) => t.id === token.id)?.active;
    const confirmUrl = `${page()}/tokens/${token.id}/revoke`;
    expect((await ritaWeb.get(confirmUrl)).status).toBe(403);
    const confirm = await eveWeb.get(confirmUrl);
    expect(confirm.status).toBe(200);
    expect(textOf(confirm.text)).toContain('Revoke the ingest token payments-api <production>?');
    expect((await eveWeb.agent.post(confirmUrl).type('form').send({})).status).toBe(403);
    expect((await ritaWeb.post(confirmUrl)).status).toBe(403);
    expect(await active()).toBe(true);

    const revoked = await eveWeb.post(confirmUrl, { reason: 'Moved to a new service' });
    expect(revoked.status).toBe(303);
    expect(revoked.headers['location']).toBe(`${page()}?done=revoked#tokens`);
    expect(await active()).toBe(false);
    const listed = await eveWeb.get(`${page()}?done=revoked`);
    expect(textOf(listed.text)).toContain('The ingest token is revoked.');
    expect(listed.text).not.toContain(confirmUrl);

    // An admin sees revoke links (emergency brake) but no way to create a token or change settings.
    await eveWeb.post(`${page()}/tokens`, { name: 'second' });
    const adminPage = await adminWeb.get(page());
    expect(adminPage.text).toMatch(/\/live\/tokens\/[0-9a-f-]{36}\/revoke/);
    expect(adminPage.text).not.toContain(`action="/ai-use-cases/${useCaseId}/live/tokens"`);
    expect(adminPage.text).not.toContain(`action="/ai-use-cases/${useCaseId}/live/settings"`);
    const second = (await apiTokens()).find((t) => t.name === 'second');
    expect((await adminWeb.post(`${page()}/tokens/${second?.id}/revoke`)).status).toBe(303);
    expect((await apiTokens()).find((t) => t.name === 'second')?.active).toBe(false);
    expect((await adminWeb.post(`${page()}/tokens`, { name: 'admin token' })).status).toBe(403);
  });

  it('refuses another team every form, and a token id of another use case is not found', async () => {
    const before = await apiSettings();
    expect((await hankWeb.post(`${page()}/settings`, settingsForm({ sampleRate: '99' }))).status).toBe(403);
    expect((await hankWeb.post(`${page()}/settings`, settingsForm({ sampleRate: 'bad' }))).status).toBe(403);
    expect((await hankWeb.post(`${page()}/tokens`, { name: 'hank' })).status).toBe(403);
    // Any token of the use case (the file's first, revoked by now, when the file runs in full).
    const token = (await apiTokens())[0] ?? (await activeToken('payments-api <production>'));
    expect((await hankWeb.post(`${page()}/tokens/${token.id}/revoke`)).status).toBe(403);
    expect((await eveWeb.get(`${page(draftId)}/tokens/${token.id}/revoke`)).status).toBe(404);
    expect(await apiSettings()).toEqual(before);
  });

  it('shows what the watch found and the measures of the last days, escaped', async () => {
    const quiet = await eveWeb.get(page());
    expect(quiet.text).toContain('id="watch-quiet"');
    expect(quiet.text).toContain('id="measures-empty"');

    const calls = Array.from({ length: 4 }, (_, k) =>
      interaction(useCaseId, { startedAt: daysAgo(1, 9 + k), durationMs: 100 * (k + 1) }),
    );
    await store(api, [
      ...calls,
      ...calls.map((row, k) => scored(row, '<i>pii</i>', k !== 0)),
      feedback(useCaseId, { traceId: calls[0].traceId, occurredAt: daysAgo(1, 15) }),
    ]);
    await api.app.get(UnitOfWork).write((tx) =>
      managerOf(tx).insert(WatchAlertEntity, {
        id: randomUUID(),
        aiUseCaseId: useCaseId,
        kind: 'config_mismatch',
        dedupeKey: 'config',
        openKey: 'config',
        status: 'open',
        summary: 'The service reported <script>alert(1)</script> as its configuration.',
        details: {},
        openedAt: new Date(),
        resolvedAt: null,
        resolvedBy: null,
      }),
    );
    for (const web of [eveWeb, ritaWeb]) {
      const response = await web.get(page());
      expect(response.status).toBe(200);
      const text = response.text;
      expect(text).toContain('1 open alert');
      expect(text).toContain('Configuration not approved');
      expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(text).not.toContain('<script>alert(1)</script>');
      expect(text).toMatch(
        /Overridden<\/dt>\s*<dd class="govuk-summary-list__value">1 of 4 \(25\.0%, at most/,
      );
      expect(text).toContain('&lt;i&gt;pii&lt;/i&gt;');
      expect(text).toContain(daysAgo(1).toISOString().slice(0, 10));
    }
  });

  it('shows the reviewers of a gate to learn the live settings that watch less closely than the defaults, set while nobody is told', async () => {
    const weakened = await givenUseCaseAt(api, 'test', given);
    const body = await liveSettingsBody(api, sam.token, weakened);
    // At test the team is not yet watched: lowering the sample needs no reason and tells nobody.
    await api
      .as(sam.token)
      .put(`/v1/ai-use-cases/${weakened}/live-settings`, { ...body, sampleRate: 0.02 })
      .expect(200);
    const toLearn = await givenPassingEvaluation(api, weakened, 'learn', given);
    const gatePage = textOf((await ritaWeb.get(`/gate-evaluations/${toLearn.id}`)).text);
    expect(gatePage).toContain('How live use will be watched');
    expect(gatePage).toContain('live settings watch less closely than Gatehouse’s defaults');
    expect(gatePage).toMatch(/Share of traces scored online 10% 2%/);
    expect(gatePage).not.toContain('stores text with personal data');
    // Another team, which may not read the use case's live settings, is not shown them on the gate page.
    const theirs = await hankWeb.get(`/gate-evaluations/${toLearn.id}`);
    expect(theirs.status).toBe(200);
    expect(textOf(theirs.text)).toContain('Approvals');
    expect(textOf(theirs.text)).not.toContain('How live use will be watched');
    expect(textOf(theirs.text)).not.toContain('Share of traces scored online');

    // The same gate of a use case on the defaults says so; a gate to test says nothing of live use.
    const onDefaults = await givenUseCaseAt(api, 'test', given);
    const defaultsGate = await givenPassingEvaluation(api, onDefaults, 'learn', given);
    const calm = textOf((await ritaWeb.get(`/gate-evaluations/${defaultsGate.id}`)).text);
    expect(calm).toContain('watch at least as closely as Gatehouse’s defaults');
    expect(calm).not.toContain('less closely');
    const evaluations = (
      await api.as(sam.token).get(`/v1/ai-use-cases/${onDefaults}/gate-evaluations`).expect(200)
    ).body as { id: string; to: string }[];
    const toTest = evaluations.find((e) => e.to === 'test');
    expect(toTest).toBeDefined();
    expect(textOf((await ritaWeb.get(`/gate-evaluations/${toTest?.id}`)).text)).not.toContain(
      'How live use will be watched',
    );
  });
});
