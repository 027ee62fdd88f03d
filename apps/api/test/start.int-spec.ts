import { MIGRATIONS } from '@gatehouse/persistence';
import {
  createTestDatabase,
  describeIntegration,
  REDIS_TEST_URL,
  startNode,
  testDriver,
  waitForRunAt,
  withAdminClient,
  withDatabase,
  POSTGRES_ADMIN_URL,
} from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const MAIN = join(root, 'dist/apps/api/src/main.js');
const CLI = join(root, 'bin/gatehouse.js');

/** The real `npm start` entry point as a child process: what a newcomer and an operator run. */
describeIntegration(
  'starting the API process',
  () => {
    let cwd: string;

    beforeAll(() => {
      execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
      cwd = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
    });

    afterAll(() => rmSync(cwd, { recursive: true, force: true }));

    const env = (extra: Record<string, string>) => {
      const { DATABASE_URL: _db, REDIS_URL: _redis, GATEHOUSE_TEST_MISSING: _m, ...rest } = process.env;
      return { ...rest, PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'development', ...extra };
    };
    const ready = /Gatehouse is ready at (http:\/\/\S+)/;

    if (testDriver() === 'sqlite') {
      it('runs the embedded quick start: SQLite, example data, one-time tokens, graceful stop, restart keeps data', async () => {
        const examples = { GATEHOUSE_EVALS_DIR: join(root, 'evals') };
        const first = startNode(MAIN, { cwd, env: env(examples) });
        try {
          const [, url] = await first.waitFor(ready);
          expect(first.output()).toContain(`SQLite ${join(cwd, '.gatehouse/gatehouse.sqlite')}`);
          expect(first.output()).toContain('3 dataset version(s), 3 suite(s), 5 cassette(s)');
          const admin = /Administrator: (ghk_\S+)/.exec(first.output())?.[1];
          const sam = /Sam Patel\s+service_team\s+(ghk_\S+)/.exec(first.output())?.[1];
          expect(admin).toBeDefined();
          const readiness = await fetch(`${url}/health/ready`);
          expect(readiness.status).toBe(200);
          expect(await readiness.json()).toMatchObject({
            status: 'ok',
            checks: { queue: { kind: 'in-process', ok: true } },
          });
          const register = (await (
            await fetch(`${url}/v1/ai-use-cases`, { headers: { Authorization: `Bearer ${sam}` } })
          ).json()) as {
            items: { name: string }[];
          };
          expect(register.items.map((u: { name: string }) => u.name)).toEqual([
            'Benefit enquiry triage assistant',
          ]);
          // The shipped example suite runs on the in-process queue with no Redis, as the CLI runs it.
          const eve = /Eve Okafor\s+engineer\s+(ghk_\S+)/.exec(first.output())?.[1];
          const auth = { Authorization: `Bearer ${eve}`, 'Content-Type': 'application/json' };
          const started = await fetch(`${url}/v1/runs`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ suite: 'benefits-triage@1' }),
          });
          expect(started.status).toBe(202);
          const { id } = (await started.json()) as { id: string };
          const run = await waitForRunAt<{
            status: string;
            report: { summary: { metrics: { name: string; value: number }[] } } | null;
          }>(url, id, eve ?? '');
          expect(run.report?.summary.metrics.find((m) => m.name === 'routing')?.value).toBe(0.88);

          // The gate walk-through of docs/gates.md: register the target, run the guardrail suite as evidence, ask
          // for the gate to test. Under the seeded policy the example (high tier) fails it, with reasons.
          const useCaseId = (register.items[0] as { id?: string }).id;
          const target = {
            type: 'replay',
            cassette: 'safety-refusals',
            recordFrom: { type: 'openai', model: 'gpt-4o-mini', temperature: 0, seed: 7, maxTokens: 300 },
          };
          const put = await fetch(`${url}/v1/ai-use-cases/${useCaseId}/target`, {
            method: 'PUT',
            headers: auth,
            body: JSON.stringify({ target }),
          });
          expect(put.status).toBe(200);
          const evidence = await fetch(`${url}/v1/runs`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ suite: 'safety-refusals@1', aiUseCaseId: useCaseId }),
          });
          expect(evidence.status).toBe(202);
          const evidenceId = ((await evidence.json()) as { id: string }).id;
          const evidenceRun = await waitForRunAt<{ status: string; target: unknown }>(
            url,
            evidenceId,
            eve ?? '',
          );
          expect(evidenceRun.status).toBe('completed');
          const gate = await fetch(`${url}/v1/ai-use-cases/${useCaseId}/gate-evaluations`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ to: 'test' }),
          });
          expect(gate.status).toBe(201);
          const evaluation = (await gate.json()) as {
            verdict: string;
            policy: { version: number };
            rules: { title: string; verdict: string; reason: string; runId: string | null }[];
          };
          expect(evaluation).toMatchObject({ verdict: 'fail', policy: { version: 1 } });
          const harmful = evaluation.rules.find((r) => r.title.includes('harmful_compliance upper95'));
          expect(harmful).toMatchObject({ verdict: 'fail', runId: evidenceId });
          expect(harmful?.reason).toMatch(
            /^harmful_compliance upper95 is 0\.08\d+, failing <= 0\.06 \(n=104\)$/,
          );
          const docs = await fetch(`${url}/docs/openapi.json`);
          expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('Gatehouse API');
        } finally {
          expect(await first.stop('SIGTERM')).toBe(0);
        }

        const second = startNode(MAIN, { cwd, env: env(examples) });
        try {
          const [, url] = await second.waitFor(ready);
          expect(second.output()).not.toMatch(/ghk_/);
          expect(second.output()).not.toContain('Example evaluations imported'); // nothing new in evals/
          const me = await fetch(`${url}/v1/users/me`, {
            headers: { Authorization: `Bearer ${/Administrator: (ghk_\S+)/.exec(first.output())?.[1]}` },
          });
          expect(me.status).toBe(200);
        } finally {
          await second.stop();
        }
      }, 60_000);

      it('refuses to start on a bad configuration, listing every bad variable', async () => {
        const bad = startNode(MAIN, {
          cwd,
          env: env({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' }),
        });
        expect(await bad.exited).toBe(2);
        expect(bad.output()).toMatch(/Invalid configuration \(3 problems\)/);
        expect(bad.output()).toContain('PORT: must be a whole number');
        expect(bad.output()).not.toMatch(/\n\s+at /); // no stack trace
      });
    } else {
      it('runs on PostgreSQL and Redis with an operator-given admin token, after `gatehouse migrate`', async () => {
        const name = `gh_t_${process.pid}_fresh`;
        await withAdminClient((c) =>
          c
            .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
            .then(() => c.query(`CREATE DATABASE "${name}"`)),
        );
        const url = withDatabase(POSTGRES_ADMIN_URL, name);
        const token = 'operator-chosen-token-0123456789abcdefghij';
        const production = env({
          DATABASE_URL: url,
          REDIS_URL: REDIS_TEST_URL,
          GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: token,
          NODE_ENV: 'production',
        });
        try {
          const unmigrated = startNode(MAIN, { cwd, env: production });
          expect(await unmigrated.exited).toBe(1);
          expect(unmigrated.output()).toContain('run `npx gatehouse migrate` first');

          const migrate = execFileSync(process.execPath, [CLI, 'migrate'], {
            env: production,
            encoding: 'utf8',
          });
          expect(migrate).toContain(`Applied ${MIGRATIONS.length} migration(s)`);
          expect(
            execFileSync(process.execPath, [CLI, 'migrate'], { env: production, encoding: 'utf8' }),
          ).toContain('is up to date');

          const server = startNode(MAIN, { cwd, env: production });
          try {
            const [, base] = await server.waitFor(ready);
            expect(server.output()).toContain('created with the token in GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN');
            expect(server.output()).not.toContain(token);
            expect(server.output()).not.toMatch(/Example users/);
            const readiness = await (await fetch(`${base}/health/ready`)).json();
            expect(readiness).toMatchObject({
              status: 'ok',
              checks: { database: { ok: true }, queue: { kind: 'redis', ok: true } },
            });
            expect(
              (await fetch(`${base}/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } })).status,
            ).toBe(200);
            const metrics = await (await fetch(`${base}/metrics`)).text();
            expect(metrics).toMatch(
              /gatehouse_http_request_duration_seconds_count\{method="GET",route="\/v1\/users\/me",status="200"\} 1/,
            );
          } finally {
            expect(await server.stop()).toBe(0);
          }
        } finally {
          await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
        }
      }, 60_000);

      it('reports not ready (503) when Redis is unreachable', async () => {
        const database = await createTestDatabase();
        const server = startNode(MAIN, {
          cwd,
          env: env({ DATABASE_URL: database.url, REDIS_URL: 'redis://127.0.0.1:1' }),
        });
        try {
          const [, base] = await server.waitFor(ready);
          const response = await fetch(`${base}/health/ready`);
          expect(response.status).toBe(503);
          expect(await response.json()).toMatchObject({
            status: 'unavailable',
            checks: { database: { ok: true }, queue: { ok: false } },
          });
          expect((await fetch(`${base}/health/live`)).status).toBe(200);
        } finally {
          await server.stop();
          await database.drop();
        }
      }, 60_000);
    }
  },
  { needs: ['redis'] },
);
