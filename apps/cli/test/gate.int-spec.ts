import { exampleLowRiskRecord } from '@gatehouse/domain';
import {
  createTestDatabase,
  describeIntegration,
  type RunningProcess,
  startNode,
  type TestDatabase,
  waitForRunAt,
} from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { API_MAIN as API, freePort, gatehouse, ROOT as root } from './support/cli-process';

/** `gatehouse gate check|explain` against the real API process with the seeded example organisation. */
describeIntegration('gatehouse gate check and explain against a server', () => {
  let database: TestDatabase;
  let server: RunningProcess;
  let url: string;
  let sam: string;
  let seeded: string;
  let lowRisk: string;
  let unrun: string;
  let rita: string;

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
    rita = /Rita Chen\s+reviewer\s+(ghk_\S+)/.exec(server.output())?.[1] ?? '';
    if (!sam || !eve || !rita) {
      throw new Error(`the example users' tokens are not in the start banner:\n${server.output()}`);
    }
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
    // The same record and target, and no run yet: the suite rules are missing evidence.
    unrun = String((await api('POST', '/v1/ai-use-cases', sam, { record })).body.id);
    const target = {
      type: 'replay',
      cassette: 'safety-refusals',
      recordFrom: { type: 'openai', model: 'gpt-4o-mini', temperature: 0, seed: 7, maxTokens: 300 },
    };
    for (const id of [lowRisk, seeded, unrun]) {
      const put = await api('PUT', `/v1/ai-use-cases/${id}/target`, eve, { target });
      if (put.status !== 200) {
        throw new Error(`registering the target: HTTP ${put.status}`);
      }
      if (id === unrun) {
        continue;
      }
      const run = await api('POST', '/v1/runs', eve, { suite: 'safety-refusals@1', aiUseCaseId: id });
      const { status } = await waitForRunAt(url, String(run.body.id), eve);
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

  it('exits 0 and prints the rule table when the gate passes (no colours in a pipe)', async () => {
    const result = await gatehouse(['gate', 'check', lowRisk, '--to', 'test'], as(sam));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `gate proposed → test (promotion) for ${lowRisk}, risk tier low, policy v1\n`,
    );
    expect(result.stdout).toMatch(/│ rule +│ verdict +│ reason +│/);
    expect(result.stdout).toMatch(
      /│ safety-refusals harmful_compliance upper95 <= 0\.15 +│ PASS +│ harmful_compliance upper95 is [\d.]+, meeting <= 0\.15 \(n=104\) +│/,
    );
    expect(result.stdout).toMatch(/^verdict: {4}PASS \((\d+) of \1 rules pass\)$/m);
    expect(result.stdout).toMatch(/^approvals: {2}0 of 1 approvals \(pending\)$/m);
    expect(result.stdout).toMatch(/^hash: {7}[0-9a-f]{64}$/m);
    const [, id] = /^evaluation: ([0-9a-f-]{36}) \(new\)$/m.exec(result.stdout) ?? [];
    expect(id).toBeDefined();
    expect(result.stdout).not.toMatch(/FAIL|MISSING/);
    expect(result.stdout).not.toContain('\u001b[');

    // CI checks again with nothing changed: the same evaluation, which stands (approvals would too).
    const again = await gatehouse(['gate', 'check', lowRisk, '--to', 'test'], as(sam));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `^evaluation: ${id} \\(unchanged since \\S+: nothing the gate reads has changed, so this evaluation and its decisions stand\\)$`,
        'm',
      ),
    );
  }, 60_000);

  it('exits 1 with each failing rule and its reason when the gate fails; --json prints the evaluation', async () => {
    const json = await gatehouse(['gate', 'check', seeded, '--to', 'test', '--json'], as(sam));
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const evaluation = JSON.parse(json.stdout) as {
      verdict: string;
      to: string;
      hash: string;
      rules: { title: string; verdict: string; reason: string }[];
    };
    expect(evaluation).toMatchObject({
      verdict: 'fail',
      to: 'test',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const failing = evaluation.rules.filter((rule) => rule.verdict !== 'pass');
    expect(failing.length).toBeGreaterThan(0);

    const result = await gatehouse(['gate', 'check', seeded, '--to', 'test'], { ...as(sam), NO_COLOR: '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /│ safety-refusals harmful_compliance upper95 <= 0\.06 +│ FAIL +│ harmful_compliance upper95 is [\d.]+, failing <= 0\.06 \(n=104\) +│/,
    );
    for (const rule of failing) {
      expect(result.stdout).toContain(rule.reason);
      expect(result.stdout).toContain(rule.verdict.toUpperCase());
    }
    expect(result.stdout).toMatch(/^verdict: {4}FAIL \(\d+ of \d+ rules pass\)$/m);
  }, 60_000);

  it('explains what is not passing and how to get it: the run to start, then the approvals needed', async () => {
    const missing = await gatehouse(['gate', 'explain', unrun, '--to', 'test'], as(sam));
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('Runs to start:');
    expect(missing.stdout).toContain('no completed run of safety-refusals');
    expect(missing.stdout).toContain(
      `run it: gatehouse runs start safety-refusals@1 --ai-use-case ${unrun} --wait`,
    );
    expect(missing.stdout).not.toMatch(/^ {2}- PASS/m);

    const failing = await gatehouse(['gate', 'explain', seeded, '--to', 'test'], as(sam));
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain(
      `after changing what failed, run it again: gatehouse runs start safety-refusals@1 --ai-use-case ${seeded} --wait`,
    );

    const passing = await gatehouse(['gate', 'explain', lowRisk, '--to', 'test'], as(sam));
    expect(passing.code).toBe(0);
    expect(passing.stdout).toMatch(/: PASS, 0 of \d+ rules not passing/);
    expect(passing.stdout).toContain('Approvals still needed: 1 more (0 of 1 approvals so far)');
    expect(passing.stdout).toContain('an assurance reviewer (role reviewer) outside the owning team who');
    expect(passing.stdout).toMatch(/- did not start a run it uses \(user [0-9a-f-]{36}\),/);
    expect(passing.stdout).toMatch(/\/v1\/gate-evaluations\/[0-9a-f-]{36}\/approvals/);
  }, 60_000);

  it('exits 2 for a skipped stage (naming the rule), an unknown use case, another team, a bad argument, no server', async () => {
    const skipped = await gatehouse(['gate', 'check', lowRisk, '--to', 'scale'], as(sam));
    expect(skipped.code).toBe(2);
    expect(skipped.stdout).toBe('');
    expect(skipped.stderr).toContain('HTTP 409, stage_order');
    expect(skipped.stderr).toContain('next gate leads to test');
    const explained = await gatehouse(['gate', 'explain', lowRisk, '--to', 'scale'], as(sam));
    expect(explained.code).toBe(2);
    expect(explained.stderr).toContain('stage_order');

    const unknown = await gatehouse(
      ['gate', 'check', '00000000-0000-4000-8000-000000000000', '--to', 'test'],
      as(sam),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('HTTP 404');
    const outsider = await gatehouse(['gate', 'check', lowRisk, '--to', 'test', '--json'], as(rita));
    expect(outsider.code).toBe(2);
    expect(outsider.stdout).toBe('');
    expect(outsider.stderr).toContain('HTTP 403, gate_proposed_by_owning_team');

    const badStage = await gatehouse(['gate', 'check', lowRisk, '--to', 'moon'], as(sam));
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain('--to must be test, learn, scale');
    const badId = await gatehouse(['gate', 'check', 'not-a-use-case', '--to', 'test'], as(sam));
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('is not an AI use case id');
    const noStage = await gatehouse(['gate', 'check', lowRisk], as(sam));
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain("required option '--to <stage>'");

    const down = await gatehouse(['gate', 'check', lowRisk, '--to', 'test'], {
      GATEHOUSE_URL: `http://127.0.0.1:${await freePort()}`,
      GATEHOUSE_TOKEN: sam,
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(`${skipped.stderr}${outsider.stderr}${down.stderr}`).not.toContain(sam);
  }, 60_000);
});
