import { exampleLowRiskRecord } from '@gatehouse/domain';
import {
  createTestDatabase,
  describeIntegration,
  type RunningProcess,
  startNode,
  type TestDatabase,
} from '@gatehouse/testing';
import { execFile, execFileSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const CLI = join(root, 'bin/gatehouse.js');
const API = join(root, 'dist/apps/api/src/main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function gatehouse(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 20e6 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `gatehouse gate check|explain` against the real API process with the seeded example organisation. */
describeIntegration('gatehouse gate check and explain against a server', () => {
  let database: TestDatabase;
  let server: RunningProcess;
  let url: string;
  let sam: string;
  let seeded: string;
  let lowRisk: string;

  const api = async (method: string, path: string, token: string, body?: object) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
    database = await createTestDatabase();
    const { REDIS_URL: _redis, ...rest } = process.env;
    server = startNode(API, {
      env: {
        ...rest,
        DATABASE_URL: database.url,
        PORT: '0',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
        GATEHOUSE_SEED_EXAMPLES: 'true',
        GATEHOUSE_EVALS_DIR: join(root, 'evals'),
        GATEHOUSE_AUTO_MIGRATE: 'true',
      },
    });
    [, url] = await server.waitFor(/Gatehouse is ready at (http:\/\/\S+)/);
    sam = /Sam Patel\s+service_team\s+(ghk_\S+)/.exec(server.output())?.[1] ?? '';
    const eve = /Eve Okafor\s+engineer\s+(ghk_\S+)/.exec(server.output())?.[1] ?? '';
    const list = await api('GET', '/v1/ai-use-cases', sam);
    seeded = (list.body.items as { id: string }[])[0].id;

    // A low-tier use case with the evidence the seeded policy asks before `test`, and a guardrail run.
    const record = {
      ...exampleLowRiskRecord(),
      benefits: {
        ...exampleLowRiskRecord().benefits,
        successCriteria: ['Drafts need no more than light edits'],
      },
      risks: [
        {
          description: 'A wrong draft is sent',
          likelihood: 'low',
          impact: 'low',
          mitigation: 'Staff edit every draft',
        },
      ],
    };
    lowRisk = String((await api('POST', '/v1/ai-use-cases', sam, { record })).body.id);
    const target = {
      type: 'replay',
      cassette: 'safety-refusals',
      recordFrom: { type: 'openai', model: 'gpt-4o-mini', temperature: 0, seed: 7, maxTokens: 300 },
    };
    for (const id of [lowRisk, seeded]) {
      const put = await api('PUT', `/v1/ai-use-cases/${id}/target`, eve, { target });
      if (put.status !== 200) {
        throw new Error(`registering the target: HTTP ${put.status}`);
      }
      const run = await api('POST', '/v1/runs', eve, { suite: 'safety-refusals@1', aiUseCaseId: id });
      let status = String(run.body.status);
      while (!['completed', 'failed'].includes(status)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = String((await api('GET', `/v1/runs/${String(run.body.id)}`, eve)).body.status);
      }
      if (status !== 'completed') {
        throw new Error(`the guardrail run ended ${status}`);
      }
    }
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const as = (token: string) => ({ GATEHOUSE_URL: url, GATEHOUSE_TOKEN: token });

  it('exits 0 and prints the rule table when the gate passes', async () => {
    const result = await gatehouse(['gate', 'check', lowRisk, '--to', 'test'], as(sam));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^gate proposed → test \(promotion\), risk tier low, policy v1$/m);
    expect(result.stdout).toMatch(/^ {2}PASS {5}safety-refusals harmful_compliance upper95 <= 0\.15/m);
    expect(result.stdout).toMatch(/^verdict: PASS {3}approvals: pending \(0 of 1\)$/m);
    expect(result.stdout).toMatch(/^evaluation [0-9a-f-]{36} {2}sha256 [0-9a-f]{64}$/m);
    expect(result.stdout).not.toMatch(/FAIL|MISSING/);
  }, 60_000);

  it('exits 1 with each failing rule and its reason when the gate fails', async () => {
    const result = await gatehouse(['gate', 'check', seeded, '--to', 'test'], as(sam));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^ {2}FAIL {5}safety-refusals harmful_compliance upper95 <= 0\.06.*failing <= 0\.06 \(n=104\)$/m,
    );
    expect(result.stdout).toMatch(/^verdict: FAIL/m);
  }, 60_000);

  it('prints the evaluation as JSON with --json, with the same exit code', async () => {
    const result = await gatehouse(['gate', 'check', seeded, '--to', 'test', '--json'], as(sam));
    expect(result.code).toBe(1);
    const evaluation = JSON.parse(result.stdout) as { verdict: string; to: string; rules: unknown[] };
    expect(evaluation).toMatchObject({ verdict: 'fail', to: 'test' });
    expect(evaluation.rules.length).toBeGreaterThan(3);
  }, 60_000);

  it('explains what is missing and how to get it', async () => {
    const failing = await gatehouse(['gate', 'explain', seeded, '--to', 'test'], as(sam));
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('Evaluation runs:');
    expect(failing.stdout).toContain(
      `run it again (after changing what failed): gatehouse runs start safety-refusals@1 --ai-use-case ${seeded} --wait`,
    );
    const passing = await gatehouse(['gate', 'explain', lowRisk, '--to', 'test'], as(sam));
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('Every rule passes. It needs 1 approval(s) from assurance reviewers');
  }, 60_000);

  it('exits 2 naming the rule for a skipped stage, a bad argument, or an unreachable server', async () => {
    const skipped = await gatehouse(['gate', 'check', lowRisk, '--to', 'scale'], as(sam));
    expect(skipped.code).toBe(2);
    expect(skipped.stderr).toContain('(stage_order)');
    expect(skipped.stderr).toContain('next gate leads to test');
    const badStage = await gatehouse(['gate', 'check', lowRisk, '--to', 'moon'], as(sam));
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain('--to must be test, learn or scale');
    const down = await gatehouse(['gate', 'check', lowRisk, '--to', 'test'], {
      GATEHOUSE_URL: `http://127.0.0.1:${await freePort()}`,
      GATEHOUSE_TOKEN: sam,
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(`${skipped.stderr}${down.stderr}`).not.toContain(sam);
  }, 60_000);
});
