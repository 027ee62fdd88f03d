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

  const waitFor = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      const { body } = await api.as(eve.token).get(`/v1/runs/${id}`).expect(200);
      if (['completed', 'failed', 'cancelled'].includes(body.status)) {
        return body;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`run ${id} did not settle`);
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
    await api
      .as(eve.token)
      .upload(
        '/v1/datasets?name=fail-items',
        ITEMS.map((item) => JSON.stringify(item)).join('\n'),
        'application/x-ndjson',
      )
      .expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        'name: fail-suite\nversion: 1\ndataset: fail-items@1\ntarget: { type: openai, model: m, connection: stub }\nscorers:\n  - { type: equals, name: correct }\n',
        'application/yaml',
      )
      .expect(201);
  });

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

  it('shows 429 pauses on the run and in /metrics, and still completes every item', async () => {
    stub.setOptions({ failFirst: { status: 429, count: 2, retryAfterSeconds: 1 } });
    const started = await api.as(eve.token).post('/v1/runs', { suite: 'fail-suite@1' }).expect(202);
    const run = await waitFor(started.body.id);
    expect(run).toMatchObject({ status: 'completed', progress: { completed: 12, errored: 0 } });
    expect(run.rateLimits.pauses).toBeGreaterThanOrEqual(1);
    expect(run.rateLimits.waitedSeconds).toBeGreaterThanOrEqual(1);
    const metrics = await api.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /gatehouse_provider_retries_total\{provider="connection:stub",kind="rate_limited"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /gatehouse_provider_pause_seconds_total\{provider="connection:stub"\} [1-9]/,
    );
    const page = await (await signIn(api, eve.token)).get(`/runs/${run.id}`);
    expect(page.text).toMatch(/\d+ pauses? \(429\)/);
  });
});
