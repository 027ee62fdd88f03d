import { JOB_QUEUE, type JobQueue } from '@gatehouse/application';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, reportWritten, TestApi, type TestUser } from './support/test-api';

/** 40 questions; the stub answers "yes" to the even ones, and "yes" is expected of all but every fifth. */
const ITEMS = questionItems(40, {
  expected: (k) => (k % 5 === 0 ? 'no' : 'yes'),
  metadata: (k) => ({ band: k <= 20 ? 'under-65' : '65+' }),
});
const NDJSON = 'application/x-ndjson';
const YAML = 'application/yaml';

const suiteYaml = (overrides: { name?: string; version?: number; dataset?: string; extra?: string } = {}) =>
  stubSuiteYaml({
    name: overrides.name ?? 'yes-no',
    version: overrides.version,
    dataset: overrides.dataset ?? 'questions@1',
    groupBy: ['band'],
    minGroupSize: 5,
    concurrency: 8,
    thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.4 }],
    extra: overrides.extra ?? '',
  });

describeIntegration('datasets, suites and runs through the API (in-process queue)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let eve: TestUser;
  let sam: TestUser;
  let rita: TestUser;
  let otherEngineer: TestUser;

  beforeAll(async () => {
    stub = await startOpenAiStub({
      respond: (body) =>
        Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]) % 2 === 0 ? 'yes' : 'Yes.',
    });
    // A fan-out window of 10 items: every run here is enqueued a window at a time (FanOutRun jobs).
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_ITEM_CONCURRENCY: '8',
      GATEHOUSE_FANOUT_AHEAD: '10',
    });
    await api.connection('stub', stub.url);
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    otherEngineer = await api.user('Olu', ['engineer'], 'Tax');
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  // A test that changes the stub's latency or replies changes them for itself only.
  afterEach(() => stub.reset());

  /** The 40 questions as `name` version 1 (uploaded unless they already are). */
  const givenQuestions = async (name = 'questions') => {
    const response = await api.as(eve.token).upload(`/v1/datasets?name=${name}`, jsonl(ITEMS), NDJSON);
    expect([200, 201]).toContain(response.status);
    return response.body as { name: string; version: number };
  };

  /** `yes-no@1` on `questions@1` (published unless it already is). */
  const givenSuite = async () => {
    await givenQuestions();
    const response = await api.as(eve.token).upload('/v1/suites', suiteYaml(), YAML);
    expect([200, 201]).toContain(response.status);
  };

  describe('datasets', () => {
    it('freezes JSONL as a version with its hash, and returns the same version for the same content', async () => {
      const first = await api
        .as(eve.token)
        .upload('/v1/datasets?name=frozen', jsonl(ITEMS), NDJSON)
        .expect(201);
      expect(first.body).toMatchObject({
        name: 'frozen',
        version: 1,
        itemCount: 40,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(first.headers.location).toBe('/v1/datasets/frozen/versions/1');
      expect(first.body.manifest.fields.metadata.band.values).toEqual({ 'under-65': 20, '65+': 20 });
      // The same items in another order and formatting are the same content.
      const again = await api
        .as(eve.token)
        .upload('/v1/datasets?name=frozen', jsonl([...ITEMS].reverse()), NDJSON)
        .expect(200);
      expect(again.body).toMatchObject({ version: 1, sha256: first.body.sha256 });
      const changed = await api
        .as(eve.token)
        .upload('/v1/datasets?name=frozen', jsonl(ITEMS.slice(0, 10)), NDJSON)
        .expect(201);
      expect(changed.body.version).toBe(2);
    });

    it('refuses other content under an existing version (versions are immutable)', async () => {
      await givenQuestions();
      const response = await api
        .as(eve.token)
        .upload('/v1/datasets?name=questions&version=1', jsonl(ITEMS.slice(0, 3)), NDJSON)
        .expect(409);
      expect(response.body).toMatchObject({
        code: 'conflict',
        errors: [{ field: 'version', code: 'versions_immutable' }],
      });
    });

    it('names the line and field of a bad item, and stores nothing', async () => {
      const bad = `${jsonl(ITEMS.slice(0, 2))}\n{"id":"q-x","input":42}\n`;
      const response = await api.as(eve.token).upload('/v1/datasets?name=broken', bad, NDJSON).expect(400);
      expect(response.body.errors).toEqual([
        {
          field: 'input',
          message: 'line 3: must be text or a non-empty list of chat messages',
          code: 'invalid',
        },
      ]);
      const list = await api.as(eve.token).get('/v1/datasets?name=broken').expect(200);
      expect(list.body.total).toBe(0);
    });

    it('asks for JSONL when the body is JSON, and for a name', async () => {
      const json = await api.as(eve.token).post('/v1/datasets?name=questions', { items: ITEMS }).expect(415);
      expect(json.body.detail).toContain('application/x-ndjson');
      const unnamed = await api.as(eve.token).upload('/v1/datasets', jsonl(ITEMS), NDJSON).expect(400);
      expect(unnamed.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    });

    it('lists versions and pages through items in id order', async () => {
      await givenQuestions('listed');
      await api
        .as(eve.token)
        .upload('/v1/datasets?name=listed', jsonl(ITEMS.slice(0, 10)), NDJSON)
        .expect(201);
      const list = await api.as(sam.token).get('/v1/datasets?name=listed').expect(200);
      expect(list.body.items.map((d: { version: number }) => d.version)).toEqual([2, 1]);
      const page = await api
        .as(sam.token)
        .get('/v1/datasets/listed/versions/1/items?limit=5&offset=5')
        .expect(200);
      expect(page.body.total).toBe(40);
      expect(page.body.items.map((i: { id: string }) => i.id)).toEqual([
        'q-006',
        'q-007',
        'q-008',
        'q-009',
        'q-010',
      ]);
      await api.as(sam.token).get('/v1/datasets/listed/versions/9').expect(404);
    });

    it('lets only engineers upload', async () => {
      await api.as(sam.token).upload('/v1/datasets?name=sams', jsonl(ITEMS), NDJSON).expect(403);
    });
  });

  describe('suites', () => {
    beforeAll(() => givenQuestions());

    it('publishes YAML pinned to its dataset version, idempotently', async () => {
      const created = await api
        .as(eve.token)
        .upload('/v1/suites', suiteYaml({ name: 'pinned' }), YAML)
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'pinned',
        version: 1,
        dataset: { name: 'questions', version: 1 },
      });
      const same = await api
        .as(eve.token)
        .upload('/v1/suites', `# a comment changes nothing\n${suiteYaml({ name: 'pinned' })}`, YAML)
        .expect(200);
      expect(same.body.sha256).toBe(created.body.sha256);
      const fetched = await api.as(rita.token).get('/v1/suites/pinned/versions/1').expect(200);
      expect(fetched.body.definition.scorers).toEqual([
        expect.objectContaining({ type: 'equals', name: 'correct' }),
      ]);
    });

    it('accepts JSON too', async () => {
      await givenSuite();
      const { body } = await api.as(eve.token).get('/v1/suites/yes-no/versions/1').expect(200);
      const response = await api
        .as(eve.token)
        .post('/v1/suites', { ...body.definition, name: 'yes-no-json' })
        .expect(201);
      expect(response.body.name).toBe('yes-no-json');
    });

    it('refuses a change under an existing version with 409, and names the line of a schema problem', async () => {
      await givenSuite();
      const changed = await api
        .as(eve.token)
        .upload('/v1/suites', suiteYaml().replace('concurrency: 8', 'concurrency: 9'), YAML)
        .expect(409);
      expect(changed.body.detail).toContain('version 2');
      const typo = await api
        .as(eve.token)
        .upload('/v1/suites', suiteYaml({ name: 'typo' }).replace('  model:', '  modle:'), YAML)
        .expect(400);
      expect(typo.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'target.modle', message: expect.stringMatching(/line 6/) }),
        ]),
      );
      const unknownDataset = await api
        .as(eve.token)
        .upload('/v1/suites', suiteYaml({ name: 'orphan', dataset: 'nowhere@1' }), YAML)
        .expect(400);
      expect(unknownDataset.body.errors).toEqual([
        expect.objectContaining({ field: 'dataset', code: 'unknown_reference' }),
      ]);
    });
  });

  describe('runs', () => {
    /** A completed run of `yes-no@1` by Eve, with the stub's usual answers: what the reading tests read. */
    let runId: string;

    beforeAll(async () => {
      await givenSuite();
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no@1' }).expect(202);
      runId = started.body.id;
      await api.waitForRun(runId, eve.token, reportWritten);
    });

    it('starts a run (202, queued), executes it and aggregates the results with intervals', async () => {
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no@1' }).expect(202);
      expect(started.body).toMatchObject({
        status: 'queued',
        createdBy: eve.id,
        progress: { total: 40, completed: 0 },
      });
      expect(started.headers.location).toBe(`/v1/runs/${started.body.id}`);
      const run = await api.waitForRun(started.body.id, eve.token, reportWritten);
      expect(run).toMatchObject({
        status: 'completed',
        outcome: 'passed',
        progress: { total: 40, completed: 40, failed: 8, errored: 0, remaining: 0 },
        manifest: {
          engine: 'platform',
          dataset: { name: 'questions', version: 1, count: 40 },
          suite: { name: 'yes-no', version: 1 },
        },
      });
      // Odd questions answer "Yes." (normalised to "yes"), so only the "no" items fail: 32 of 40 right.
      const metric = run.report.summary.metrics[0];
      expect(metric).toMatchObject({ name: 'correct', value: 32 / 40, n: 40 });
      expect(metric.interval.lower).toBeLessThan(0.8);
      expect(metric.interval.upper).toBeGreaterThan(0.8);
      expect(metric.groups[0].groups.map((g: { group: string }) => g.group).sort()).toEqual([
        '65+',
        'under-65',
      ]);
      expect(run.report.partial).toBe(false);
    });

    it('enqueues a run a window at a time: never more than the window and a page waiting', async () => {
      const queue = api.app.get<JobQueue>(JOB_QUEUE);
      stub.setOptions({ latencyMs: 20 });
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no@1' }).expect(202);
      let peakWaiting = 0;
      let run: { status: string; report: unknown } | undefined;
      while (!run) {
        const counts = await queue.counts();
        const waiting = Object.entries(counts)
          .filter(([name]) => name.startsWith('gatehouse-items-'))
          .reduce((sum, [, c]) => sum + c.waiting, 0);
        peakWaiting = Math.max(peakWaiting, waiting);
        const { body } = await api.as(eve.token).get(`/v1/runs/${started.body.id}`).expect(200);
        run = reportWritten(body) ? body : undefined;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      stub.setOptions({ latencyMs: 0 });
      expect(run).toMatchObject({ status: 'completed', progress: { total: 40, completed: 40 } });
      expect(peakWaiting).toBeGreaterThan(0);
      expect(peakWaiting).toBeLessThanOrEqual(20); // window 10 + one page of 10, of 40 items
    });

    it('pages results in dataset order, filtered by failure and group', async () => {
      const failed = await api
        .as(eve.token)
        .get(`/v1/runs/${runId}/results?status=failed&limit=100`)
        .expect(200);
      expect(failed.body.items.map((r: { itemId: string }) => r.itemId)).toEqual(
        ITEMS.filter((i) => i.expected === 'no').map((i) => i.id),
      );
      const older = await api
        .as(eve.token)
        .get(`/v1/runs/${runId}/results?group=${encodeURIComponent('band:65+')}&limit=3`)
        .expect(200);
      expect(older.body.total).toBe(20);
      expect(older.body.items.map((r: { itemId: string }) => r.itemId)).toEqual(['q-021', 'q-022', 'q-023']);
      expect(older.body.items[0]).toMatchObject({
        status: 'scored',
        groups: { band: '65+' },
        worker: expect.any(String),
      });
      const bad = await api.as(eve.token).get(`/v1/runs/${runId}/results?group=band`).expect(400);
      expect(bad.body.errors[0].field).toBe('group');
    });

    it('streams progress as server-sent events, ending with the run', async () => {
      const response = await api
        .as(eve.token)
        .get(`/v1/runs/${runId}/events`)
        .buffer(true)
        .parse((res, callback) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => callback(null, text));
        });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
      const events = String(response.body)
        .split('\n\n')
        .filter((e) => e.includes('event:'));
      expect(events.map((e) => /event: (\w+)/.exec(e)?.[1])).toEqual(['progress', 'done']);
      expect(JSON.parse(/data: (.*)/.exec(events[1])?.[1] ?? '{}')).toMatchObject({
        id: runId,
        status: 'completed',
      });
    });

    it('compares two runs on the same items with a paired test', async () => {
      stub.setOptions({ respond: () => 'no' });
      const second = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'yes-no@1', baselineRunId: runId })
        .expect(202);
      await api.waitForRun(second.body.id, eve.token, reportWritten);
      const { body } = await api
        .as(rita.token)
        .get(`/v1/runs/${runId}/compare/${second.body.id}`)
        .expect(200);
      expect(body.metrics).toEqual([
        expect.objectContaining({
          metric: 'correct',
          test: 'mcnemar_exact',
          n: 40,
          baseline: 0.8,
          candidate: 0.2,
          verdict: 'worse',
        }),
      ]);
      expect(body.metrics[0].pValue).toBeLessThan(0.001);
    });

    it('records who started and finished runs in the audit log', async () => {
      const { body } = await api.as(ADMIN_TOKEN).get(`/v1/audit-events?subjectId=${runId}`).expect(200);
      const actions = body.items.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['run.started', 'run.completed']));
      expect(body.items.find((e: { action: string }) => e.action === 'run.started').actorId).toBe(eve.id);
    });

    it('refuses bad run requests with the field and stores no run', async () => {
      const before = (await api.as(eve.token).get('/v1/runs').expect(200)).body.total;
      const unknown = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no@7' }).expect(400);
      expect(unknown.body.errors).toEqual([
        expect.objectContaining({ field: 'suite', code: 'unknown_reference' }),
      ]);
      const badTarget = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'yes-no@1', target: { type: 'openai', model: '' } })
        .expect(400);
      expect(badTarget.body.errors[0].field).toMatch(/^target\./);
      const hash = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'yes-no@1', datasetSha256: '0'.repeat(64) })
        .expect(400);
      expect(hash.body.errors).toEqual([
        expect.objectContaining({ field: 'datasetSha256', code: 'hash_mismatch' }),
      ]);
      const shape = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no' }).expect(400);
      expect(shape.body.errors[0].field).toBe('suite');
      await api.as(rita.token).post('/v1/runs', { suite: 'yes-no@1' }).expect(403);
      expect((await api.as(eve.token).get('/v1/runs').expect(200)).body.total).toBe(before);
    });

    it('cancels a run mid-way: no more model calls, partial results kept and marked', async () => {
      stub.setOptions({ latencyMs: 150, respond: () => 'yes' });
      const started = await api.as(eve.token).post('/v1/runs', { suite: 'yes-no@1' }).expect(202);
      const id = started.body.id;
      await api.waitForRun(
        id,
        eve.token,
        (run) => (run as unknown as { progress: { completed: number } }).progress.completed >= 8,
      );
      await api.as(otherEngineer.token).post(`/v1/runs/${id}/cancel`, {}).expect(403);
      const cancelled = await api
        .as(eve.token)
        .post(`/v1/runs/${id}/cancel`, { reason: 'wrong model' })
        .expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      await new Promise((resolve) => setTimeout(resolve, 300)); // in-flight calls are aborted, not awaited
      const requestsAfterCancel = stub.requests;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(stub.requests).toBe(requestsAfterCancel);
      const run = await api.waitForRun(id, eve.token, reportWritten);
      expect(run).toMatchObject({ status: 'cancelled', outcome: 'cancelled', report: { partial: true } });
      expect(run.progress.completed).toBeLessThan(40);
      expect(run.report.summary.items.total).toBe(run.progress.completed);
      const results = await api.as(eve.token).get(`/v1/runs/${id}/results?limit=1`).expect(200);
      expect(results.body.total).toBe(run.progress.completed);
      await api.as(eve.token).post(`/v1/runs/${id}/cancel`, {}).expect(409);
      stub.setOptions({ latencyMs: 0 });
    });

    it("hides runs of another team's draft use case, and keeps evidence to the owning team", async () => {
      const useCase = await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: lowRiskRecord() })
        .expect(201);
      const started = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'yes-no@1', aiUseCaseId: useCase.body.id })
        .expect(202);
      await api.as(otherEngineer.token).get(`/v1/runs/${started.body.id}`).expect(404);
      // Its progress stream too: a 404 problem before any event-stream header.
      const stream = await api.as(otherEngineer.token).get(`/v1/runs/${started.body.id}/events`).expect(404);
      expect(stream.headers['content-type']).toMatch(/^application\/problem\+json/);
      const hidden = await api
        .as(otherEngineer.token)
        .post('/v1/runs', { suite: 'yes-no@1', aiUseCaseId: useCase.body.id })
        .expect(400);
      expect(hidden.body.errors).toEqual([
        expect.objectContaining({ field: 'aiUseCaseId', code: 'unknown_reference' }),
      ]);
      await api.waitForRun(started.body.id, eve.token, reportWritten);
      const reviewerRun = await api.as(rita.token).get(`/v1/runs/${started.body.id}`).expect(200);
      expect(reviewerRun.body.aiUseCaseId).toBe(useCase.body.id);
    });
  });
});
