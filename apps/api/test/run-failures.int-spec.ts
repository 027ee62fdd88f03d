import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signIn } from './support/web';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(90_000);

const ITEMS = Array.from({ length: 12 }, (_, i) => ({
  id: `q-${i + 1}`,
  input: `question ${i + 1}`,
  expected: 'yes',
}));

/**
 * Issue #11 on the platform: a run that cannot build its target fails at once with the reason (never
 * `running 0/n` for ever), and rate limiting shows on the run, its page and /metrics.
 */
describeIntegration('runs that fail fast and say why (platform)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let eve: TestUser;
  let modulesDir: string;

  const waitFor = (id: string) => api.waitForRun(id, eve.token);

  /** `<name>-items@1` and `<name>-suite@1`: exact match against the stub, through the `stub` connection. */
  const publish = async (name: string, items: object[]) => {
    await api
      .as(eve.token)
      .upload(
        `/v1/datasets?name=${name}-items`,
        items.map((item) => JSON.stringify(item)).join('\n'),
        'application/x-ndjson',
      )
      .expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        `name: ${name}-suite\nversion: 1\ndataset: ${name}-items@1\ntarget: { type: openai, model: m, connection: stub }\nscorers:\n  - { type: equals, name: correct }\n`,
        'application/yaml',
      )
      .expect(201);
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    modulesDir = mkdtempSync(join(tmpdir(), 'gatehouse-modules-'));
    writeFileSync(join(modulesDir, 'broken.js'), "throw new Error('the chain needs a vector store');\n");
    api = await TestApi.start({
      GATEHOUSE_ITEM_CONCURRENCY: '4',
      GATEHOUSE_LANGCHAIN_MODULES_DIR: modulesDir,
    });
    await api.connection('stub', stub.url);
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    await publish('fail', ITEMS);
  });

  /** 200 items: enough that a run stopped after its first ten calls visibly leaves the rest uncalled. */
  let manySuite: string | null = null;
  const many = async () => {
    if (manySuite) {
      return manySuite;
    }
    await publish(
      'many',
      Array.from({ length: 200 }, (_, i) => ({ id: `m-${i + 1}`, input: `q ${i + 1}`, expected: 'yes' })),
    );
    manySuite = 'many-suite@1';
    return manySuite;
  };

  afterAll(async () => {
    await api?.close();
    await stub?.close();
    rmSync(modulesDir, { recursive: true, force: true });
  });

  it('fails a run whose target cannot be built, at once, with the reason on the API, the page and the audit', async () => {
    const started = await api
      .as(eve.token)
      .post('/v1/runs', { suite: 'fail-suite@1', target: { type: 'langchain', module: 'broken' } })
      .expect(202);
    const run = await waitFor(started.body.id);
    expect(run).toMatchObject({ status: 'failed', progress: { completed: 0 } });
    expect(run.error).toMatch(
      /cannot start: .*cannot load the LangChain module .*the chain needs a vector store/,
    );
    expect(stub.requests).toBe(0);
    const audit = await api.admin.get(`/v1/audit-events?subjectId=${run.id}`).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('run.failed');
    const page = await (await signIn(api, eve.token)).get(`/runs/${run.id}`);
    expect(page.text).toContain('The run failed: The run cannot start');
  });

  it('stops a run whose first calls are all refused (a wrong key), saying so, without calling for every item', async () => {
    const guarded = await startOpenAiStub({ apiKey: 'sk-the-right-key', respond: () => 'yes' });
    try {
      await api.connection('wrong-key', guarded.url, { secret: 'sk-a-wrong-key' });
      const started = await api
        .as(eve.token)
        .post('/v1/runs', {
          suite: await many(),
          target: { type: 'openai', model: 'm', connection: 'wrong-key' },
        })
        .expect(202);
      const run = await waitFor(started.body.id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/stopped after 10 items: every call failed the same way: refused \(401\)/);
      expect(run.error).not.toContain('sk-a-wrong-key');
      // Ten fatal answers decide it: most of the 200 items never call the provider.
      expect(guarded.requests).toBeLessThan(60);
      expect(run.progress.completed).toBeLessThan(60);
      const audit = await api.admin.get(`/v1/audit-events?subjectId=${run.id}`).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('run.failed');
    } finally {
      await guarded.close();
    }
  });

  it('fails a run shorter than the fail-fast window whose every call is refused, rather than completing it with every item errored', async () => {
    // Three items, four at a time: the last refused call's write completes the run before the workers' fail-fast
    // window (three, capped at the run's items) has seen enough; the aggregation finds every item errored the
    // same fatal way and fails the run (before, it completed, all errored).
    await publish(
      'three',
      ITEMS.slice(0, 3).map((item) => ({ ...item, id: `three-${item.id}` })),
    );
    const guarded = await startOpenAiStub({ apiKey: 'sk-the-right-key', respond: () => 'yes' });
    try {
      await api.connection('wrong-key-3', guarded.url, { secret: 'sk-a-wrong-key' });
      const started = await api
        .as(eve.token)
        .post('/v1/runs', {
          suite: 'three-suite@1',
          target: { type: 'openai', model: 'm', connection: 'wrong-key-3' },
        })
        .expect(202);
      const run = await waitFor(started.body.id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(
        /^The run failed: all 3 of its items errored: every call failed the same way: refused \(401\)/,
      );
      expect(run.progress).toMatchObject({ completed: 3, errored: 3 });
      const audit = await api.admin.get(`/v1/audit-events?subjectId=${run.id}`).expect(200);
      const actions = audit.body.items.map((e: { action: string }) => e.action);
      expect(actions).toContain('run.failed');
      expect(actions).not.toContain('run.completed');
    } finally {
      await guarded.close();
    }
  });

  it('names the host, port and system error when nothing listens there, and stops early', async () => {
    const closed = await startOpenAiStub();
    const url = closed.url;
    await closed.close();
    await api.connection('nothing-there', url);
    const started = await api
      .as(eve.token)
      .post('/v1/runs', {
        suite: await many(),
        target: { type: 'openai', model: 'm', connection: 'nothing-there' },
      })
      .expect(202);
    const run = await waitFor(started.body.id);
    expect(run.status).toBe('failed');
    expect(run.error).toContain(`nothing listening on ${new URL(url).host} (ECONNREFUSED)`);
    expect(run.progress.completed).toBeLessThan(60);
  });

  it('says why items errored in the report and on the page (an outage is errored, not failed)', async () => {
    stub.setOptions({ serverErrorRate: 1 });
    try {
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'fail-suite@1' }).expect(202);
      const run = await waitFor(started.body.id);
      expect(run).toMatchObject({ status: 'completed', outcome: 'errored', progress: { errored: 12 } });
      expect(run.report.summary.operational.errors[0]).toMatchObject({
        kind: 'server_error',
        count: 12,
        share: 1,
        message: expect.stringMatching(/server error \(500\)/),
      });
      const page = await (await signIn(api, eve.token)).get(`/runs/${run.id}`);
      expect(page.text).toContain('Why items errored');
      expect(page.text).toMatch(/server error \(500\)/);
    } finally {
      stub.setOptions({ serverErrorRate: 0 });
    }
  });

  it('does not pause a provider for a Retry-After longer than the policy waits: the items error, saying so', async () => {
    const greedy = await startOpenAiStub({
      failFirst: { status: 429, count: 10_000, retryAfterSeconds: 86_400 },
    });
    await api.connection('greedy', greedy.url);
    const started = await api
      .as(eve.token)
      .post('/v1/runs', {
        suite: 'fail-suite@1',
        target: { type: 'openai', model: 'm', connection: 'greedy' },
      })
      .expect(202);
    const run = await waitFor(started.body.id).finally(() => greedy.close());
    expect(run).toMatchObject({ status: 'completed', outcome: 'errored', progress: { errored: 12 } });
    expect(run.rateLimits.pauses).toBe(0);
    expect(run.report.summary.operational.errors[0]).toMatchObject({ kind: 'rate_limited', count: 12 });
  });

  it('shows 429 pauses on the run and in /metrics, and still completes every item', async () => {
    // A provider of its own: its first two calls are answered 429, Retry-After 1 s.
    const limited = await startOpenAiStub({
      respond: () => 'yes',
      failFirst: { status: 429, count: 2, retryAfterSeconds: 1 },
    });
    await api.connection('limited', limited.url);
    const started = await api
      .as(eve.token)
      .post('/v1/runs', {
        suite: 'fail-suite@1',
        target: { type: 'openai', model: 'm', connection: 'limited' },
      })
      .expect(202);
    const run = await waitFor(started.body.id).finally(() => limited.close());
    expect(run).toMatchObject({ status: 'completed', progress: { completed: 12, errored: 0 } });
    expect(run.rateLimits.pauses).toBeGreaterThanOrEqual(1);
    expect(run.rateLimits.waitedSeconds).toBeGreaterThanOrEqual(1);
    expect(run.report.summary.operational.rateLimit.pauses).toBe(run.rateLimits.pauses);
    const metrics = await api.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /gatehouse_provider_retries_total\{provider="connection:limited",kind="rate_limited"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /gatehouse_provider_pause_seconds_total\{provider="connection:limited"\} [1-9]/,
    );
    const page = await (await signIn(api, eve.token)).get(`/runs/${run.id}`);
    expect(page.text).toMatch(/\d+ pauses? \(429\)/);
  });
});
