import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
} from '@gatehouse/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

const NDJSON = 'application/x-ndjson';
const YAML = 'application/yaml';
const ITEMS = questionItems(6, { idWidth: 1 });

/** A secret the server holds in its environment: no suite may ever make it travel. */
const SERVER_SECRET = 'server-only-secret-value-0123456789';

/**
 * Issue #10, "trusted evidence": a platform run reaches models only through admin-managed connections. No
 * URL, base URL, key variable, header template or module path from a user reaches the server's secrets,
 * network or filesystem; connections are checked against the egress policy; secrets are sealed and never
 * read back; a team uses only the connections shared with it.
 */
describeIntegration('security: provider connections and egress', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let eve: TestUser;
  let olu: TestUser;
  let sam: TestUser;
  let modulesDir: string;
  /** Every request that reached the capture server (a hostile team's own endpoint). */
  const captured: { url: string; headers: Record<string, unknown>; body: string }[] = [];
  let capture: Server;
  let captureUrl: string;

  const waitFor = (id: string, token: string) => api.waitForRun(id, token);

  beforeAll(async () => {
    capture = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        captured.push({ url: req.url ?? '', headers: req.headers, body });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ answer: 'yes', choices: [{ message: { role: 'assistant', content: 'yes' } }] }),
        );
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
    stub = await startOpenAiStub({ respond: () => 'yes', apiKey: 'sk-connection-secret' });
    modulesDir = mkdtempSync(join(tmpdir(), 'gatehouse-modules-'));
    writeFileSync(join(modulesDir, 'always-yes.js'), "module.exports = { invoke: async () => 'yes' };\n");
    api = await TestApi.start({
      OPENAI_API_KEY: SERVER_SECRET,
      GATEHOUSE_ITEM_CONCURRENCY: '4',
      GATEHOUSE_LANGCHAIN_MODULES_DIR: modulesDir,
      GATEHOUSE_MAX_TARGET_RESPONSE_BYTES: '2048',
      PORT: '3999',
    });
    await api.connection('stub', stub.url, { secret: 'sk-connection-secret' });
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    olu = await api.user('Olu', ['engineer'], 'Tax');
    await api.as(eve.token).upload('/v1/datasets?name=sec-items', jsonl(ITEMS), NDJSON).expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        [
          'name: sec-suite',
          'version: 1',
          'dataset: sec-items@1',
          'target: { type: replay, cassette: none-needed }',
          'scorers:',
          '  - { type: equals, name: correct }',
        ].join('\n'),
        YAML,
      )
      .expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
    await new Promise((resolve) => capture?.close(resolve));
    rmSync(modulesDir, { recursive: true, force: true });
  });

  const startRun = (token: string, target: object, extra: object = {}) =>
    api.as(token).post('/v1/runs', { suite: 'sec-suite@1', target, ...extra });
  const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field).sort();

  describe('a user’s target cannot reach the server’s environment, network or files', () => {
    it.each<[string, object, string[]]>([
      [
        'an http target with a ${VAR} header, aimed at the team’s own server',
        { type: 'http', url: 'http://127.0.0.1:9/x', headers: { Authorization: 'Bearer ${OPENAI_API_KEY}' } },
        ['target.connection', 'target.headers', 'target.url'],
      ],
      [
        'an http target aimed at the API itself',
        { type: 'http', url: 'http://127.0.0.1:3999/v1/users', answerPath: '$.token.token' },
        ['target.connection', 'target.url'],
      ],
      [
        'an openai target with its own base URL and another key variable',
        { type: 'openai', model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'DATABASE_URL' },
        ['target.apiKeyEnv', 'target.baseUrl', 'target.connection'],
      ],
      [
        'an openai target with a literal secret-looking header',
        { type: 'openai', model: 'm', connection: 'stub', headers: { authorization: 'Bearer sk-literal' } },
        ['target.headers'],
      ],
      [
        'a replay target whose recordFrom carries a literal key (shown with every run)',
        {
          type: 'replay',
          cassette: 'none-needed',
          recordFrom: {
            type: 'openai',
            model: 'm',
            headers: { Authorization: 'Bearer sk-live-0123456789abcdef' },
          },
        },
        ['target.recordFrom.headers.Authorization'],
      ],
      [
        'a LangChain module path on the server',
        { type: 'langchain', module: '../dist/apps/worker/src/main.js' },
        ['target.module'],
      ],
      [
        'a LangChain chat model with its own base URL',
        { type: 'langchain', model: 'm', baseUrl: 'http://169.254.169.254/v1' },
        ['target.baseUrl', 'target.connection'],
      ],
    ])('refuses %s with a 400 naming the fields, and stores no run', async (_name, target, expected) => {
      const before = (await api.as(eve.token).get('/v1/runs').expect(200)).body.total;
      const response = await startRun(eve.token, target).expect(400);
      expect(fields(response.body)).toEqual(expected);
      expect(JSON.stringify(response.body)).not.toContain(SERVER_SECRET);
      expect((await api.as(eve.token).get('/v1/runs').expect(200)).body.total).toBe(before);
      expect(captured).toHaveLength(0);
    });

    it('refuses the same targets when a team registers them for its use case', async () => {
      const useCase = await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: lowRiskRecord() })
        .expect(201);
      const response = await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCase.body.id}/target`, {
          target: { type: 'http', url: `${captureUrl}/steal`, headers: { 'x-key': '${OPENAI_API_KEY}' } },
        })
        .expect(400);
      expect(fields(response.body)).toEqual(['target.connection', 'target.headers', 'target.url']);
      expect(captured).toHaveLength(0);
    });

    it('refuses live judges that do not name a connection (replayed judges need none)', async () => {
      await api
        .as(eve.token)
        .upload(
          '/v1/suites',
          [
            'name: sec-judged',
            'version: 1',
            'dataset: sec-items@1',
            'target: { type: replay, cassette: none-needed }',
            'scorers:',
            '  - type: rubric_judge',
            '    rubric: grade it',
            `    judge: { model: judge, baseUrl: "${captureUrl}/v1", apiKeyEnv: GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN }`,
          ].join('\n'),
          YAML,
        )
        .expect(201);
      const response = await api
        .as(eve.token)
        .post('/v1/runs', {
          suite: 'sec-judged@1',
          target: { type: 'openai', model: 'm', connection: 'stub' },
        })
        .expect(400);
      expect(fields(response.body)).toEqual([
        'scorers[0].judge.apiKeyEnv',
        'scorers[0].judge.baseUrl',
        'scorers[0].judge.connection',
      ]);
      expect(captured).toHaveLength(0);
    });
  });

  describe('connections', () => {
    it('runs through a connection with its sealed secret, never the server’s environment', async () => {
      const started = await startRun(eve.token, {
        type: 'openai',
        model: 'stub-model',
        connection: 'stub',
      }).expect(202);
      const run = await waitFor(started.body.id, eve.token);
      expect(run).toMatchObject({ status: 'completed', progress: { completed: 6, errored: 0 } });
      // The stub accepts only the connection's key: every call carried it, none the server's variable.
      expect(stub.completions).toBeGreaterThanOrEqual(6);
      expect(JSON.stringify(run)).not.toContain('sk-connection-secret');
    });

    it('never returns or logs the secret, and audits changes without it', async () => {
      const view = await api.admin.get('/v1/connections/stub').expect(200);
      expect(view.body).toMatchObject({ name: 'stub', kind: 'openai', hasSecret: true });
      expect(JSON.stringify(view.body)).not.toContain('sk-connection-secret');
      await api.admin
        .patch('/v1/connections/stub', { secret: 'sk-connection-secret', reason: 'rotation' })
        .expect(200);
      const audit = await api.admin.get('/v1/audit-events?limit=200').expect(200);
      const events = audit.body.items.filter((e: { action: string }) => e.action.startsWith('connection.'));
      expect(events.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['connection.created', 'connection.updated']),
      );
      expect(JSON.stringify(audit.body)).not.toContain('sk-connection-secret');
      expect(api.logs.join('')).not.toContain('sk-connection-secret');
      // Sealed in the database: the stored text is not the secret.
      const rows: { secret_sealed: string }[] = await api.app
        .get(DataSource)
        .query("SELECT secret_sealed FROM provider_connections WHERE name = 'stub'");
      expect(rows[0].secret_sealed).toMatch(/^gh1\./);
      expect(rows[0].secret_sealed).not.toContain('sk-connection-secret');
    });

    it('lets only admins manage them', async () => {
      await api
        .as(eve.token)
        .post('/v1/connections', { name: 'mine', kind: 'openai', baseUrl: stub.url, teams: ['*'] })
        .expect(403);
      await api.as(eve.token).patch('/v1/connections/stub', { baseUrl: captureUrl }).expect(403);
      await api.http.delete('/v1/connections/stub').set('Authorization', `Bearer ${eve.token}`).expect(403);
      await api.admin.get('/v1/connections/stub').expect(200);
    });

    it('keeps a team to the connections shared with it; another team’s answers like an unknown one', async () => {
      const benefits = await api.team('Benefits');
      await api.admin
        .post('/v1/connections', {
          name: 'benefits-only',
          kind: 'openai',
          baseUrl: stub.url,
          teams: [benefits],
          secret: 'sk-connection-secret',
        })
        .expect(201);
      const listed = await api.as(olu.token).get('/v1/connections').expect(200);
      expect(listed.body.items.map((c: { name: string }) => c.name)).not.toContain('benefits-only');
      await api.as(olu.token).get('/v1/connections/benefits-only').expect(404);
      const taken = await startRun(olu.token, {
        type: 'openai',
        model: 'm',
        connection: 'benefits-only',
      }).expect(400);
      const unknown = await startRun(olu.token, {
        type: 'openai',
        model: 'm',
        connection: 'no-such-thing',
      }).expect(400);
      expect(taken.body.errors[0].message.replace('benefits-only', 'X')).toBe(
        unknown.body.errors[0].message.replace('no-such-thing', 'X'),
      );
      await startRun(eve.token, { type: 'openai', model: 'stub-model', connection: 'benefits-only' }).expect(
        202,
      );
    });

    it('refuses a connection of the wrong kind', async () => {
      const response = await startRun(eve.token, { type: 'http', connection: 'stub' }).expect(400);
      expect(response.body.errors[0]).toMatchObject({ field: 'target.connection', code: 'wrong_kind' });
    });
  });

  describe('egress policy', () => {
    it.each<[string, string, RegExp]>([
      ['the Gatehouse server itself, although loopback is allowed', 'http://127.0.0.1:3999/v1', /itself/],
      ['the cloud metadata address', 'http://169.254.169.254/latest', /metadata/],
      ['a private address nobody allowed', 'http://10.1.2.3/v1', /private address.*GATEHOUSE_EGRESS_ALLOW/],
      ['a link-local IPv6 address', 'http://[fe80::1]/v1', /link-local/],
      ['an IPv4-mapped private address', 'http://[::ffff:192.168.0.1]/v1', /private/],
      ['a name that does not resolve', 'http://no-such-host.invalid/v1', /does not resolve/],
    ])('refuses %s when the admin saves it', async (_name, baseUrl, reason) => {
      const response = await api.admin
        .post('/v1/connections', { name: `egress-${Date.now()}`, kind: 'openai', baseUrl, teams: ['*'] })
        .expect(400);
      expect(response.body.errors[0]).toMatchObject({ field: 'baseUrl', code: 'egress_refused' });
      expect(response.body.errors[0].message).toMatch(reason);
    });

    it('refuses credentials in the URL and secret-looking plain headers', async () => {
      const response = await api.admin
        .post('/v1/connections', {
          name: 'leaky',
          kind: 'http',
          baseUrl: 'http://user:pass@127.0.0.1:9/x',
          teams: ['*'],
          headers: { 'X-Api-Key': 'literal' },
        })
        .expect(400);
      expect(fields(response.body)).toEqual(['baseUrl', 'headers.X-Api-Key']);
    });
  });

  describe('http connections and operator modules', () => {
    it('sends the sealed secret in the configured header to the connection’s base URL and path', async () => {
      await api.admin
        .post('/v1/connections', {
          name: 'team-service',
          kind: 'http',
          baseUrl: `${captureUrl}/service`,
          teams: ['*'],
          secret: 'svc-secret-1',
          secretHeader: 'x-api-key',
        })
        .expect(201);
      const started = await startRun(eve.token, {
        type: 'http',
        connection: 'team-service',
        path: '/answer',
      }).expect(202);
      const run = await waitFor(started.body.id, eve.token);
      expect(run).toMatchObject({ status: 'completed', progress: { errored: 0 } });
      expect(captured.length).toBeGreaterThanOrEqual(6);
      for (const request of captured) {
        expect(request.url).toBe('/service/answer');
        expect(request.headers['x-api-key']).toBe('svc-secret-1');
        expect(JSON.stringify(request)).not.toContain(SERVER_SECRET);
      }
      expect(run.manifest.target.description).not.toContain('svc-secret-1');
      captured.length = 0;
    });

    it.each(['/%2e%2e/%2e%2e/admin/users', '/%2E%2e/admin', '/x%2f..%2fadmin'])(
      'refuses an escaped path that would climb out of the base path (%s)',
      async (path) => {
        const response = await startRun(eve.token, { type: 'http', connection: 'team-service', path }).expect(
          400,
        );
        expect(response.body.errors[0].field).toBe('target.path');
        expect(captured).toHaveLength(0);
      },
    );

    it('refuses a path that climbs out of the base path', async () => {
      const response = await startRun(eve.token, {
        type: 'http',
        connection: 'team-service',
        path: '/../admin',
      }).expect(400);
      expect(response.body.errors[0].field).toBe('target.path');
    });

    it('loads a LangChain module only by its registered name', async () => {
      const modules = await api.as(eve.token).get('/v1/langchain-modules').expect(200);
      expect(modules.body.items).toEqual([{ name: 'always-yes' }]);
      const started = await startRun(eve.token, { type: 'langchain', module: 'always-yes' }).expect(202);
      expect(await waitFor(started.body.id, eve.token)).toMatchObject({
        status: 'completed',
        progress: { errored: 0 },
      });
      const refused = await startRun(eve.token, {
        type: 'langchain',
        module: `${modulesDir}/always-yes.js`,
      }).expect(400);
      expect(refused.body.errors[0]).toMatchObject({ field: 'target.module', code: 'unknown_module' });
    });
  });

  describe('bounded answers', () => {
    it('errors an item whose answer is over the cap with response_too_large, storing none of it', async () => {
      stub.setOptions({ respond: () => 'x'.repeat(10_000) });
      try {
        const started = await startRun(eve.token, {
          type: 'openai',
          model: 'big',
          connection: 'stub',
        }).expect(202);
        const run = await waitFor(started.body.id, eve.token);
        expect(run.progress.errored).toBe(6);
        const results = await api
          .as(eve.token)
          .get(`/v1/runs/${started.body.id}/results?limit=10`)
          .expect(200);
        for (const item of results.body.items) {
          expect(item.error).toMatchObject({ kind: 'response_too_large' });
          expect(item.output ?? '').toBe('');
        }
      } finally {
        stub.setOptions({ respond: () => 'yes' });
      }
    });
  });
});
