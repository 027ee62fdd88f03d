import { type OpenAiStub, startOpenAiStub } from '@gatehouse/testing/openai-stub';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../../../..');
const CLI = join(root, 'bin/gatehouse.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse …` as a user would (asynchronously: some tests answer its model calls in-process). */
function gatehouse(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, maxBuffer: 20e6 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('gatehouse eval, suite and dataset commands', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validates the shipped suites (schema, frozen dataset hash, cassettes)', async () => {
    const result = await gatehouse([
      'suite',
      'validate',
      'evals/suites/benefits-triage.yaml',
      'evals/suites/govuk-answers.yaml',
      'evals/suites/safety-refusals.yaml',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^OK {2}/gm)).toHaveLength(3);
  });

  it('runs a shipped suite offline: summary table, thresholds, exit 1 when one fails, and JSON, JUnit and HTML reports', async () => {
    const out = join(dir, 'triage');
    const result = await gatehouse([
      'eval',
      'run',
      'evals/suites/benefits-triage.yaml',
      '--no-progress',
      '--out',
      `${out}.json`,
      '--junit',
      `${out}.xml`,
      '--html',
      `${out}.html`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/routing\s+│ 88\.0% │ 83\.4% – 91\.5%\s+│ 250/);
    expect(result.stdout).toContain('FAIL  routing max_group_gap_upper95');
    expect(result.stdout).toContain('Outcome: FAILED');
    const report = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(report).toMatchObject({
      outcome: 'failed',
      manifest: { engine: 'cli', dataset: { name: 'benefits-enquiries', count: 250 } },
    });
    expect(report.items).toHaveLength(250);
    expect(readFileSync(`${out}.xml`, 'utf8')).toMatch(/<testsuite [^>]*tests="\d+" failures="1"/);
    expect(readFileSync(`${out}.html`, 'utf8')).toContain('benefits-triage@1');
  }, 60_000);

  it('exits 0 when every threshold passes', async () => {
    const result = await gatehouse(['eval', 'run', 'evals/suites/safety-refusals.yaml', '--no-progress']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Outcome: PASSED');
  }, 60_000);

  it('compares two runs item by item and exits 1 when the candidate is significantly worse', async () => {
    const baseline = join(dir, 'baseline.json');
    await gatehouse(['eval', 'run', 'evals/suites/benefits-triage.yaml', '--no-progress', '--out', baseline]);
    const same = await gatehouse(['eval', 'compare', baseline, baseline]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/routing: pass rate 88\.0% → 88\.0% \(\+0\.0 pts.*no significant difference/);
    // A candidate that misroutes 40 items the baseline got right.
    const worse = JSON.parse(readFileSync(baseline, 'utf8'));
    let flipped = 0;
    for (const item of worse.items) {
      if (item.scores.routing?.passed && flipped < 40) {
        item.scores.routing = { passed: false, value: 0 };
        flipped += 1;
      }
    }
    const candidate = join(dir, 'candidate.json');
    writeFileSync(candidate, JSON.stringify(worse));
    const result = await gatehouse(['eval', 'compare', baseline, candidate]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /routing: pass rate 88\.0% → 72\.0% \(-16\.0 pts, 95% CI .*40 items pass only in A, 0 only in B; McNemar exact p = 0\.0000.* B is significantly WORSE/,
    );
  }, 90_000);

  it('freezes a dataset, reuses an identical version, and refuses a bad file naming its line, writing nothing', async () => {
    const evalsDir = join(dir, 'evals');
    const good = join(dir, 'items.jsonl');
    writeFileSync(
      good,
      '{"id":"a","input":"Where is my payment?","expected":"universal_credit"}\n{"id":"b","input":"I moved house","expected":"general"}\n',
    );
    const first = await gatehouse(['dataset', 'freeze', good, '--name', 'demo', '--evals-dir', evalsDir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Froze 2 items as demo@1/);
    expect(
      (await gatehouse(['dataset', 'freeze', good, '--name', 'demo', '--evals-dir', evalsDir])).stdout,
    ).toContain('Unchanged');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","input":"x"}\n{"id":"a","input":"y"}\n');
    const refused = await gatehouse(['dataset', 'freeze', bad, '--name', 'demo', '--evals-dir', evalsDir]);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain(`${bad}:2 id: duplicate id "a" (first used on line 1)`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(evalsDir, 'datasets', 'demo'))).toEqual(['1']);
  });

  it('reports every problem of a bad suite with its line, and exits 2', async () => {
    const suites = join(dir, 'bad-suites', 'suites');
    mkdirSync(suites, { recursive: true });
    cpSync(join(root, 'evals/datasets'), join(dir, 'bad-suites', 'datasets'), { recursive: true });
    const file = join(suites, 'broken.yaml');
    writeFileSync(
      file,
      'name: broken\nversion: 1\ndataset: benefits-enquiries@1\ntarget: { type: openai, modle: gpt-4o-mini }\nscorers:\n  - type: pii_leak\n',
    );
    const result = await gatehouse(['suite', 'validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:4:9 target.model: is required`);
    expect(result.stderr).toContain(`${file}:4:25 target.modle: unknown field "modle"`);
    expect(result.stderr).toContain(`${file}:6:11 scorers[0].type: unknown type "pii_leak"`);
  });

  describe('against a live OpenAI-compatible model', () => {
    let stub: OpenAiStub;

    beforeAll(async () => {
      stub = await startOpenAiStub({ respond: () => 'general', apiKey: 'sk-live-test' });
    });

    afterAll(() => stub.close());

    it('runs the openai target over HTTP, and records a cassette that replays offline', async () => {
      const evalsDir = join(dir, 'live');
      mkdirSync(join(evalsDir, 'suites'), { recursive: true });
      cpSync(join(root, 'evals/datasets/benefits-enquiries'), join(evalsDir, 'datasets/benefits-enquiries'), {
        recursive: true,
      });
      const suite = join(evalsDir, 'suites', 'live.yaml');
      writeFileSync(
        suite,
        `name: live\nversion: 1\ndataset: benefits-enquiries@1\ntarget:\n  type: replay\n  cassette: live\n  recordFrom: { type: openai, model: test-model, baseUrl: ${stub.url} }\n` +
          'scorers:\n  - { type: classification, name: routing, labels: [universal_credit, pip, carers_allowance, overpayments, general] }\nconcurrency: 25\n',
      );
      const recorded = await gatehouse(['eval', 'run', suite, '--record', '--no-progress'], {
        env: { OPENAI_API_KEY: 'sk-live-test' },
      });
      expect(recorded.stderr).toContain('Recorded 250 responses');
      expect(stub.completions).toBe(250);
      expect(recorded.stdout).toMatch(/routing\s+│ 19\.2%/); // "general" is right for 48 of 250
      expect(existsSync(join(evalsDir, 'cassettes', 'live.jsonl'))).toBe(true);
      const replayed = await gatehouse(['eval', 'run', suite, '--no-progress'], {
        env: { OPENAI_API_KEY: '' },
      });
      expect(replayed.stdout).toMatch(/routing\s+│ 19\.2%/);
      expect(stub.completions).toBe(250); // no further calls
      const missingKey = await gatehouse(['eval', 'run', suite, '--record', '--no-progress'], {
        env: { OPENAI_API_KEY: '' },
      });
      expect(missingKey).toMatchObject({ code: 2 });
      expect(missingKey.stderr).toContain('needs the environment variable OPENAI_API_KEY, which is not set');

      // The cassette says what it was recorded from; a suite whose recordFrom changed since is refused.
      const cassette = join(evalsDir, 'cassettes', 'live.jsonl');
      const [meta, ...entries] = readFileSync(cassette, 'utf8').split('\n');
      expect(JSON.parse(meta)).toEqual({
        gatehouseCassette: 1,
        recordedFrom: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      writeFileSync(suite, readFileSync(suite, 'utf8').replace('model: test-model', 'model: other-model'));
      const changed = await gatehouse(['eval', 'run', suite, '--no-progress'], {
        env: { OPENAI_API_KEY: '' },
      });
      expect(changed.code).toBe(2);
      expect(changed.stderr).toContain(
        `${cassette} target.recordFrom: cassette live was recorded from another configuration than the suite's target.recordFrom says: re-record it with \`gatehouse eval run <suite> --record\``,
      );
      // A cassette from before meta lines still replays, marked unverified.
      writeFileSync(cassette, entries.join('\n'));
      const legacy = await gatehouse(['eval', 'run', suite, '--no-progress'], {
        env: { OPENAI_API_KEY: '' },
      });
      expect(legacy.stdout).toMatch(/routing\s+│ 19\.2%/);
      expect(legacy.stderr).toContain(
        'Unverified: cassette live does not record the configuration it was recorded from',
      );
    }, 90_000);
  });
});
