import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import type request from 'supertest';
import { lowRiskRecord } from './support/records';
import { reportWritten, TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

/** 20 questions: "yes" is expected of all but every fifth; the first half are under 65. */
const ITEMS = questionItems(20, {
  idPrefix: 'w-',
  expected: (k) => (k % 5 === 0 ? 'no' : 'yes'),
  metadata: (k) => ({ band: k <= 10 ? 'under-65' : '65+' }),
});
const LEAK = 'Yes <b>now</b>: write to jo.bloggs@example.org';

const suiteYaml = () =>
  stubSuiteYaml({
    name: 'web-yes-no',
    dataset: 'web-questions@1',
    scorers: [
      { type: 'equals', name: 'correct' },
      { type: 'pii_leakage', name: 'no-pii' },
    ],
    groupBy: ['band'],
    minGroupSize: 5,
    concurrency: 4,
    thresholds: [
      { metric: 'correct', stat: 'value', op: '>=', value: 0.4 },
      { metric: 'no-pii', stat: 'upper95', op: '<=', value: 0.5 },
    ],
  });

const streamText = (req: request.Test) =>
  req.buffer(true).parse((res, callback) => {
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString()));
    res.on('end', () => callback(null, text));
  });

describeIntegration('the run report pages', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let eve: TestUser;
  let sam: TestUser;
  let rita: TestUser;
  let olu: TestUser;
  let eveWeb: WebClient;
  let ritaWeb: WebClient;
  let baselineId: string;
  let candidateId: string;

  type RunBody = { status: string; report: unknown; progress: { completed: number } };
  const waitFor = (id: string, done: (run: RunBody) => boolean): Promise<RunBody> =>
    api.waitForRun(id, eve.token, (run) => done(run as RunBody));
  const settled = reportWritten;
  const start = async (body: object) =>
    (await api.as(eve.token).post('/v1/runs', body).expect(202)).body.id as string;

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '4' });
    await api.connection('stub', stub.url);
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    olu = await api.user('Olu', ['engineer'], 'Tax');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=web-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', suiteYaml(), 'application/yaml').expect(201);
    baselineId = await start({ suite: 'web-yes-no@1' });
    await waitFor(baselineId, settled);
    // The candidate answers "no" to everything (worse: 16 items lost, 4 won) and leaks an email address
    // (with markup in it) on question 3.
    stub.setOptions({
      respond: (body) => {
        const n = Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]);
        return n === 3 ? LEAK : 'no';
      },
    });
    candidateId = await start({ suite: 'web-yes-no@1', baselineRunId: baselineId });
    await waitFor(candidateId, settled);
    eveWeb = await signIn(api, eve.token);
    ritaWeb = await signIn(api, rita.token);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('reports a completed run: metrics with intervals, charts with data tables, groups, failures, comparison', async () => {
    const page = await eveWeb.get(`/runs/${candidateId}`);
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain('web-yes-no@1');
    expect(html).toContain('Eve (you)');
    expect(html).toMatch(/govuk-tag--(green|red)">\s*(Passed|Failed)/);
    // Manifest hashes, in a details component.
    expect(html).toContain('Manifest hashes');
    expect(html).toMatch(/<span class="gh-hash">[0-9a-f]{64}<\/span>/);
    // Thresholds, pass or fail, in plain English.
    expect(html).toMatch(/Pass|Fail/);
    expect(html).toContain('correct value');
    // The metrics table: value, interval and n.
    expect(html).toContain('Every metric with its 95% interval');
    expect(html).toMatch(
      /<td class="govuk-table__cell govuk-table__cell--numeric">\s*\d+\.\d%\s*<\/td>\s*<td class="govuk-table__cell">\s*\d+\.\d–\d+\.\d%/,
    );
    // One chart per metric and one per group breakdown: role="img" with a title, each beside its data table.
    const charts = [
      ...html.matchAll(
        /<svg class="gh-chart" role="img" aria-labelledby="([^"]+)"[^>]*><title id="[^"]+">([^<]+)<\/title><desc/g,
      ),
    ];
    expect(charts.map((c) => c[2])).toEqual([
      'correct: pass rate',
      'correct: pass rate by band',
      'no-pii: failure rate',
      'no-pii: failure rate by band',
    ]);
    for (const [, ids] of charts) {
      for (const id of ids.split(' ')) {
        expect(html).toContain(`id="${id}"`);
      }
    }
    expect(html).toContain('Data for the chart of correct</caption>');
    expect(html).toContain('Data for the chart of correct by band</caption>');
    expect(html).toContain('class="gh-chart__threshold"');
    expect(html).toMatch(/The largest gap is \d+\.\d pp, between/);
    // The guardrail failure: the item, the output (escaped) and the scorer's explanation.
    expect(html).toContain('Guardrail failures');
    expect(html).toContain('w-003: no-pii');
    expect(html).toContain('Yes &lt;b&gt;now&lt;/b&gt;: write to jo.bloggs@example.org');
    expect(html).not.toContain('<b>now</b>');
    expect(html).toMatch(/personal data in the answer: email/);
    // Failed items, with the equals scorer's explanation.
    expect(html).toContain('id="failed-items"');
    expect(html).toContain('expected &quot;yes&quot;');
    // The comparison with the baseline: baseline, candidate, difference with interval, p-value, verdict.
    expect(html).toContain('Compared with the baseline');
    expect(html).toContain(`href="/runs/${baselineId}"`);
    expect(html).toMatch(/95% interval of the difference/);
    expect(html).toMatch(/govuk-tag--red">Worse<\/strong>/);
    // No inline styles or scripts beyond GOV.UK's one allowed by hash.
    expect(html).not.toMatch(/\sstyle="|\son[a-z]+="/);
    expect([...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)]).toHaveLength(1);
    // A completed run offers neither progress nor cancelling.
    expect(html).not.toContain('data-run-events');
    expect(html).not.toContain(`/runs/${candidateId}/cancel`);
  });

  it('pages through the failed items', async () => {
    // 16 items failed a score: those that answered "no" (or leaked an email) where "yes" was expected.
    const first = await eveWeb.get(`/runs/${candidateId}`);
    expect(first.text).toContain('Showing 1 to 10 of 16 items with a failed score.');
    expect(first.text).toContain(`href="/runs/${candidateId}?page=2#failed-items"`);
    const second = await eveWeb.get(`/runs/${candidateId}?page=2`);
    expect(second.status).toBe(200);
    expect(second.text).toContain('Showing 11 to 16 of 16 items with a failed score.');
    expect(second.text).toContain('w-019');
    expect(second.text).toContain(`href="/runs/${candidateId}?page=1#failed-items"`);
    // Past the last page, the last page; nonsense, the first.
    expect((await eveWeb.get(`/runs/${candidateId}?page=9`)).text).toContain('Showing 11 to 16 of 16');
    expect((await eveWeb.get(`/runs/${candidateId}?page=x`)).text).toContain('Showing 1 to 10 of 16');
  });

  it('streams progress then done to a signed-in browser, and sends others to sign in', async () => {
    const response = await streamText(eveWeb.agent.get(`/runs/${baselineId}/events`));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = String(response.body)
      .split('\n\n')
      .filter((e) => e.includes('event:'));
    expect(events.map((e) => /event: (\w+)/.exec(e)?.[1])).toEqual(['progress', 'done']);
    expect(JSON.parse(/data: (.*)/.exec(events[0])?.[1] ?? '{}')).toMatchObject({
      id: baselineId,
      status: 'completed',
      progress: { total: 20, completed: 20 },
    });
    const anonymous = await api.http.get(`/runs/${baselineId}/events`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe(
      `/sign-in?next=${encodeURIComponent(`/runs/${baselineId}/events`)}`,
    );
    // A bearer token is no session.
    const bearer = await api.http.get(`/runs/${baselineId}`).set('Authorization', `Bearer ${eve.token}`);
    expect(bearer.status).toBe(303);
  });

  it('shows live progress while running; the starter cancels with the form, a reviewer is refused', async () => {
    stub.setOptions({ latencyMs: 200, respond: () => 'yes' });
    const id = await start({ suite: 'web-yes-no@1' });
    try {
      await waitFor(id, (run) => run.progress.completed >= 1);
      const running = await eveWeb.get(`/runs/${id}`);
      expect(running.status).toBe(200);
      expect(running.text).toContain(`data-run-events="/runs/${id}/events"`);
      expect(running.text).toMatch(/<progress id="run-progress" class="gh-progress" max="20" value="\d+">/);
      expect(running.text).toMatch(/data-progress-text[^>]*>\d+ of 20 items done/);
      expect(running.text).toContain(`<a class="govuk-link" href="/runs/${id}">Refresh this page</a>`);
      expect(running.text).not.toContain('http-equiv="refresh"');
      expect(running.text).toContain(`action="/runs/${id}/cancel"`);

      // The reviewer may read the run, but not cancel it.
      const reviewerView = await ritaWeb.get(`/runs/${id}`);
      expect(reviewerView.status).toBe(200);
      const refused = await ritaWeb.post(`/runs/${id}/cancel`, { reason: 'not mine' });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('You cannot do this');
      expect(refused.text).toContain('Only the person who started the run');

      // Without the session's CSRF token, nothing is cancelled.
      const forged = await eveWeb.agent.post(`/runs/${id}/cancel`).type('form').send({ reason: 'x' });
      expect(forged.status).toBe(403);
      expect((await api.as(eve.token).get(`/v1/runs/${id}`).expect(200)).body.status).not.toBe('cancelled');

      const cancelled = await eveWeb.post(`/runs/${id}/cancel`, { reason: 'wrong model' });
      expect(cancelled.status).toBe(303);
      expect(cancelled.headers.location).toBe(`/runs/${id}`);
      const run = await waitFor(id, settled);
      expect(run.status).toBe('cancelled');
      const audit = await api.admin.get(`/v1/audit-events?subjectId=${id}`).expect(200);
      expect(audit.body.items.find((e: { action: string }) => e.action === 'run.cancelled')).toMatchObject({
        actorId: eve.id,
        reason: 'wrong model',
      });
      const after = await eveWeb.get(`/runs/${id}`);
      expect(after.text).toContain('Cancelled');
      expect(after.text).toContain('the report covers only the');
      expect(after.text).not.toContain('data-run-events');
    } finally {
      stub.setOptions({ latencyMs: 0 });
      await waitFor(id, settled);
    }
  });

  it('offers Cancel only to those the API lets cancel: the starter and the owning team, not another engineer', async () => {
    stub.setOptions({ latencyMs: 1000, respond: () => 'yes' });
    const cancelForm = (id: string) => `action="/runs/${id}/cancel"`;
    const [samWeb, oluWeb] = await Promise.all([signIn(api, sam.token), signIn(api, olu.token)]);
    const loose = await start({ suite: 'web-yes-no@1' });
    const useCase = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    const evidence = await start({ suite: 'web-yes-no@1', aiUseCaseId: useCase.body.id });
    try {
      // A run for no use case: only its starter (or an admin) may cancel it, so only the starter sees the form.
      expect((await eveWeb.get(`/runs/${loose}`)).text).toContain(cancelForm(loose));
      for (const [who, web, token] of [
        ['an engineer of another team', oluWeb, olu.token],
        ["the starter's team's service team", samWeb, sam.token],
      ] as const) {
        const page = await web.get(`/runs/${loose}`);
        expect([who, page.status, page.text.includes(cancelForm(loose))]).toEqual([who, 200, false]);
        const refused = await api.as(token).post(`/v1/runs/${loose}/cancel`, {}).expect(403);
        expect(refused.body.detail).toContain('Only the person who started the run');
      }
      // A run that is evidence for a use case: its owning team may cancel it as well, and sees the form.
      expect((await samWeb.get(`/runs/${evidence}`)).text).toContain(cancelForm(evidence));
      expect((await ritaWeb.get(`/runs/${evidence}`)).text).not.toContain(cancelForm(evidence));
      const cancelled = await samWeb.post(`/runs/${evidence}/cancel`, { reason: 'wrong suite' });
      expect(cancelled.status).toBe(303);
      await api.as(eve.token).post(`/v1/runs/${loose}/cancel`, {}).expect(200);
      // Once cancelled, nobody is offered Cancel again.
      expect((await eveWeb.get(`/runs/${loose}`)).text).not.toContain(cancelForm(loose));
    } finally {
      stub.setOptions({ latencyMs: 0 });
      await waitFor(loose, settled);
      await waitFor(evidence, settled);
    }
  });

  it("shows a 404 page for a run of another team's draft AI use case, and links the owner's run to it", async () => {
    const useCase = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    const id = await start({ suite: 'web-yes-no@1', aiUseCaseId: useCase.body.id });
    await waitFor(id, settled);
    const oluWeb = await signIn(api, olu.token);
    const hidden = await oluWeb.get(`/runs/${id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toContain('Page not found');
    expect(hidden.text).not.toContain('web-yes-no');
    const hiddenEvents = await oluWeb.agent.get(`/runs/${id}/events`);
    expect(hiddenEvents.status).toBe(404);
    expect(hiddenEvents.headers['content-type']).toMatch(/^text\/html/);
    const owner = await eveWeb.get(`/runs/${id}`);
    expect(owner.text).toContain(`<a class="govuk-link" href="/ai-use-cases/${useCase.body.id}">`);
    expect((await eveWeb.get('/runs/not-a-run')).status).toBe(404);
    expect((await eveWeb.get('/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
