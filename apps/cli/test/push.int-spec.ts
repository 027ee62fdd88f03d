import {
  createTestDatabase,
  describeIntegration,
  type RunningProcess,
  startNode,
  type TestDatabase,
  userTokenAt,
} from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_MAIN as API, freePort, gatehouse, ROOT as root } from './support/cli-process';

const ADMIN = 'push-test-admin-token-0123456789abcdefghij';

/** `gatehouse push` and `gatehouse runs` against the real API process. */
describeIntegration('gatehouse push and runs against a server', () => {
  let database: TestDatabase;
  let server: RunningProcess;
  let url: string;
  let env: Record<string, string>;
  let evalsDir: string;
  const copies: string[] = [];

  /** A copy of the repository's evals/ of the test's own, to change as it likes. */
  const givenEvalsCopy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-push-'));
    copies.push(dir);
    cpSync(join(root, 'evals'), dir, { recursive: true });
    return dir;
  };

  /** evals/ pushed by Eve (created, or unchanged when an earlier test pushed it); returns the copy pushed. */
  const givenPushed = async () => {
    const dir = givenEvalsCopy();
    const pushed = await gatehouse(['push', '--evals-dir', dir], env);
    if (pushed.code !== 0) {
      throw new Error(`the given push failed (${pushed.code}):\n${pushed.stdout}${pushed.stderr}`);
    }
    return dir;
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
        GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
        GATEHOUSE_SEED_EXAMPLES: 'false',
        GATEHOUSE_AUTO_MIGRATE: 'true',
      },
    });
    [, url] = await server.waitFor(/Gatehouse is ready at (http:\/\/\S+)/);
    const eve = await userTokenAt(url, ADMIN, { name: 'Eve', roles: ['engineer'], team: 'Evaluation' });
    env = { GATEHOUSE_URL: url, GATEHOUSE_TOKEN: eve };
    evalsDir = givenEvalsCopy();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    copies.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('uploads datasets (keeping their versions), cassettes and suites, then finds nothing new', async () => {
    const first = await gatehouse(['push', '--evals-dir', evalsDir], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      /created\s+dataset\s+benefits-enquiries@1 \(250 items, sha256 [0-9a-f]{12}\)/,
    );
    expect(first.stdout).toMatch(/created\s+suite\s+govuk-answers@1/);
    expect(first.stdout).toContain('11 created, 0 unchanged, 0 refused');
    const again = await gatehouse(['push', '--evals-dir', evalsDir], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 created, 11 unchanged, 0 refused');
    expect(again.stdout).not.toContain(env.GATEHOUSE_TOKEN);
  }, 60_000);

  it('refuses a changed suite under its existing version, naming it, and pushes the rest', async () => {
    const dir = await givenPushed();
    const file = join(dir, 'suites', 'safety-refusals.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^concurrency: \d+$/m, 'concurrency: 3'));
    const result = await gatehouse(['push', '--evals-dir', dir], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /REFUSED\s+suite\s+.*safety-refusals\.yaml: Suite safety-refusals@1 exists with other content/,
    );
    expect(result.stdout).toContain('0 created, 10 unchanged, 1 refused');
    expect(result.stderr).toContain('1 item(s) were refused');
  }, 60_000);

  it('runs a pushed suite on the server and follows it to the end', async () => {
    await givenPushed();
    const result = await gatehouse(['runs', 'start', 'benefits-triage@1', '--wait'], env);
    // The suite's group-gap threshold fails on these recordings: exit 1, as `eval run` does locally.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Started run [0-9a-f-]{36} \(250 items\)/);
    expect(result.stdout).toMatch(/benefits-triage@1\s+completed \(failed\)/);
    expect(result.stdout).toMatch(/routing\s+88\.0%\s+83\.4% – 91\.5%\s+n=250/);
    expect(result.stdout).toContain('FAIL  routing max_group_gap_upper95');
    const unknown = await gatehouse(['runs', 'start', 'benefits-triage@9'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('suite: benefits-triage@9 is not a suite on this server');
  }, 60_000);

  it("reports another team's names as refused (409), naming the artefact and what to do", async () => {
    const ivy = await userTokenAt(url, ADMIN, { name: 'Ivy', roles: ['engineer'], team: 'Tax' });
    const dir = await givenPushed();
    const cassette = join(dir, 'cassettes', 'benefits-triage.jsonl');
    writeFileSync(cassette, readFileSync(cassette, 'utf8').replace(/"output":"pip"/g, '"output":"general"'));
    const result = await gatehouse(['push', '--evals-dir', dir], {
      ...env,
      GATEHOUSE_TOKEN: ivy,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /REFUSED\s+cassette benefits-triage: The cassette name benefits-triage belongs to another team: only that team can publish under it\. Publish under a name of your own\.\n\s+name: belongs to another team/,
    );
    expect(result.stdout).not.toContain('Evaluation'); // the owning team is not named
  }, 60_000);

  it('says what is missing without a token or a server', async () => {
    const noToken = await gatehouse(['push', '--evals-dir', evalsDir], {
      GATEHOUSE_URL: url,
      GATEHOUSE_TOKEN: '',
    });
    expect(noToken).toMatchObject({ code: 2 });
    expect(noToken.stderr).toContain('set GATEHOUSE_TOKEN');
    const badToken = await gatehouse(['runs', 'show', '00000000-0000-4000-8000-000000000000'], {
      ...env,
      GATEHOUSE_TOKEN: 'ghk_nope',
    });
    expect(badToken.stderr).toContain('refused the token (401)');
    const closed = await freePort();
    const down = await gatehouse(['push', '--evals-dir', evalsDir], {
      ...env,
      GATEHOUSE_URL: `http://127.0.0.1:${closed}`,
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(`cannot reach http://127.0.0.1:${closed} (ECONNREFUSED)`);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
