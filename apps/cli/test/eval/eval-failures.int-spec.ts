import { type OpenAiStub, startOpenAiStub, type StubRequestBody } from '@gatehouse/testing/openai-stub';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, gatehouse as run, ROOT } from '../support/cli-process';

/** Runs `gatehouse …` with OPENAI_API_KEY set unless the test says otherwise. */
const gatehouse = (args: string[], env: Record<string, string> = {}) =>
  run(args, { OPENAI_API_KEY: 'sk-right-key', ...env });

const ROUTING =
  '  - { type: classification, name: routing, labels: [universal_credit, pip, carers_allowance, overpayments, general] }\n';

/** A judge's verdict when asked for one (structured output), else the routing label. */
const answer = (body: StubRequestBody) =>
  body.response_format ? JSON.stringify({ score: 4, reasoning: 'Covers the rubric.' }) : 'general';

describe('gatehouse eval run when calls fail: says why, stops early, tells outages from failures', () => {
  let dir: string;
  let stub: OpenAiStub;

  /** Writes a suite over the 250-item benefits dataset (`large`) or a 12-item one, and returns its path. */
  function suite(name: string, body: string, options: { large?: boolean } = {}): string {
    const file = join(dir, 'suites', `${name}.yaml`);
    writeFileSync(
      file,
      `name: ${name}\nversion: 1\ndataset: ${options.large ? 'benefits-enquiries@1' : 'small@1'}\n${body}`,
    );
    return file;
  }

  const openaiTarget = (url: string) => `target: { type: openai, model: test-model, baseUrl: "${url}" }\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-failures-'));
    mkdirSync(join(dir, 'suites'), { recursive: true });
    cpSync(join(ROOT, 'evals/datasets/benefits-enquiries'), join(dir, 'datasets/benefits-enquiries'), {
      recursive: true,
    });
    const items = join(dir, 'small.jsonl');
    writeFileSync(
      items,
      Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({ id: `q${i}`, input: `Question ${i} about my payment`, expected: 'general' }),
      ).join('\n'),
    );
    const frozen = await run(['dataset', 'freeze', items, '--name', 'small', '--evals-dir', dir], {});
    if (frozen.code !== 0) {
      throw new Error(`dataset freeze failed: ${frozen.stderr}`);
    }
    stub = await startOpenAiStub({ respond: answer, apiKey: 'sk-right-key' });
  }, 60_000);

  afterAll(async () => {
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong key (401) stops after 10 items with exit 2, the reason in the sentence and the summary, and no key', async () => {
    const file = suite('wrong-key', `${openaiTarget(stub.url)}scorers:\n${ROUTING}concurrency: 4\n`, {
      large: true,
    });
    const result = await gatehouse(['eval', 'run', file, '--no-progress'], {
      OPENAI_API_KEY: 'sk-wrong-0123456789abcdef',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'gatehouse: stopped after 10 items: every call failed the same way: refused (401): Incorrect API key provided.\n  target: test-model at 127.0.0.1',
    );
    const items = Number(/^(\d+) items \(0 scored/m.exec(result.stdout)?.[1]);
    expect(items).toBeGreaterThanOrEqual(10);
    expect(items).toBeLessThan(20); // of 250: it stopped
    expect(result.stdout).toMatch(
      /^ {2}\d+ client_error \(100\.0%\): refused \(401\): Incorrect API key provided\.$/m,
    );
    expect(result.stdout).toContain('Outcome: ERRORED');
    expect(`${result.stdout}${result.stderr}`).not.toContain('sk-wrong');
  }, 60_000);

  it('nothing listening on the port: names host, port and ECONNREFUSED, stops early, no listener warning', async () => {
    const port = await freePort();
    const file = suite(
      'refused',
      `${openaiTarget(`http://127.0.0.1:${port}/v1`)}scorers:\n${ROUTING}concurrency: 25\n`,
      { large: true },
    );
    const started = Date.now();
    const result = await gatehouse(['eval', 'run', file, '--no-progress']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `stopped after 10 items: every call failed the same way: connection failed: nothing listening on 127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(result.stdout).toContain(
      `network (100.0%): connection failed: nothing listening on 127.0.0.1:${port}`,
    );
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
    expect(Date.now() - started).toBeLessThan(15_000); // was 250 items × 5 attempts with backoff
  }, 60_000);

  it('--fail-fast 0 never stops: every item is tried', async () => {
    const port = await freePort();
    const file = suite('refused-all', `${openaiTarget(`http://127.0.0.1:${port}/v1`)}scorers:\n${ROUTING}`);
    const result = await gatehouse(['eval', 'run', file, '--no-progress', '--fail-fast', '0']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('12 items (0 scored, 12 errored: 12 network)');
    expect(result.stderr).not.toContain('stopped after');
  }, 60_000);

  it('a judge whose server answers 500: items errored with judge_error, exit 2 (not a model failure)', async () => {
    const judge = await startOpenAiStub({ respond: answer, serverErrorRate: 1 });
    try {
      const file = suite(
        'judge-down',
        `${openaiTarget(stub.url)}scorers:\n${ROUTING}` +
          `  - { type: rubric_judge, name: quality, rubric: "Is it right?", judge: { model: judge-model, baseUrl: "${judge.url}" } }\n` +
          'thresholds:\n  - { metric: quality, stat: value, op: ">=", value: 0.5 }\nconcurrency: 12\n',
      );
      const result = await gatehouse(['eval', 'run', file, '--no-progress']);
      expect(result.stdout).toContain('12 items (0 scored, 12 errored: 12 judge_error)');
      expect(result.stdout).toMatch(
        /^ {2}12 judge_error \(100\.0%\): quality: judge judge-model failed: server error \(500\): The server had an error$/m,
      );
      expect(result.stdout).toContain('Outcome: ERRORED');
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('stopped after'); // a 5xx may pass: not a fail-fast error
      expect(judge.faults.serverErrors).toBe(12 * 5); // every judge call retried up to the policy
    } finally {
      await judge.close();
    }
  }, 60_000);

  it('a burst of 429s shows as rate-limit pauses and retries by cause in the summary', async () => {
    const limited = await startOpenAiStub({
      respond: answer,
      failFirst: { status: 429, count: 5, retryAfterSeconds: 1 },
    });
    try {
      const file = suite('burst', `${openaiTarget(limited.url)}scorers:\n${ROUTING}concurrency: 12\n`);
      const result = await gatehouse(['eval', 'run', file, '--no-progress']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/5 retries \(5 rate_limited\); 5 rate-limit pauses, 5\.\d s paused/);
      expect(result.stdout).toContain('12 items (12 scored, 0 errored)');
    } finally {
      await limited.close();
    }
  }, 60_000);

  it('--record on a target that is not replay is an error naming the flag', async () => {
    const file = suite('not-replay', `${openaiTarget(stub.url)}scorers:\n${ROUTING}`);
    const result = await gatehouse(['eval', 'run', file, '--record', '--no-progress']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "gatehouse: --record records a replay target's cassette from its recordFrom; this suite's target is openai",
    );
    expect(result.stdout).toBe('');
  });

  describe('suite validate --check', () => {
    let judgeFile: string;

    beforeAll(() => {
      judgeFile = suite(
        'checked',
        `target: { type: openai, model: test-model, baseUrl: "${stub.url}", headers: { x-team: "\${TEAM_TOKEN}" } }\nscorers:\n${ROUTING}` +
          `  - { type: rubric_judge, name: quality, rubric: "Is it right?", judge: { model: judge-model, baseUrl: "${stub.url}", apiKeyEnv: JUDGE_KEY } }\n`,
      );
    });

    it('lists every variable that is not set, per target and judge, and exits 2', async () => {
      const result = await gatehouse(['suite', 'validate', judgeFile, '--check'], {
        OPENAI_API_KEY: '',
        TEAM_TOKEN: '',
        JUDGE_KEY: '',
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toContain(
        'FAIL  target: needs the environment variables OPENAI_API_KEY, TEAM_TOKEN, which are not set',
      );
      expect(result.stdout).toContain(
        'FAIL  judge quality: needs the environment variable JUDGE_KEY, which is not set',
      );
      expect(result.stderr).toContain('2 of 2 live checks failed');
    });

    it('makes one cheap call to each and says they answered', async () => {
      const before = stub.completions;
      const result = await gatehouse(['suite', 'validate', judgeFile, '--check'], {
        TEAM_TOKEN: 't',
        JUDGE_KEY: 'sk-right-key',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OK {2}.*checked@1 on small@1 \(12 items\)/m);
      expect(result.stdout).toMatch(
        /OK {4}target: test-model at 127\.0\.0\.1:\d+ \(openai SDK\) answered in \d+ ms/,
      );
      expect(result.stdout).toMatch(/OK {4}judge quality: judge-model answered in \d+ ms/);
      expect(stub.completions - before).toBe(2);
      expect(stub.lastBodies.find((b) => b.model === 'test-model' && b.max_tokens === 1)).toBeDefined();
    });

    it('reports a call that is refused, per target, and exits 2', async () => {
      const result = await gatehouse(['suite', 'validate', judgeFile, '--check'], {
        TEAM_TOKEN: 't',
        OPENAI_API_KEY: 'sk-wrong',
        JUDGE_KEY: 'sk-right-key',
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(
        /FAIL {2}target: test-model at 127\.0\.0\.1:\d+ \(openai SDK\): refused \(401\): Incorrect API key provided\./,
      );
      expect(result.stdout).toMatch(/OK {4}judge quality: judge-model answered/);
    });

    it('without --check, nothing is called and variables are not needed', async () => {
      const before = stub.completions;
      const result = await gatehouse(['suite', 'validate', judgeFile], { OPENAI_API_KEY: '' });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('target:');
      expect(stub.completions).toBe(before);
    });
  });
});
