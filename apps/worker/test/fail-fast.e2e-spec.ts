import { describeIntegration, type OpenAiStub, REDIS_TEST_URL, startOpenAiStub } from '@gatehouse/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { buildDist, datasetLines, Platform, ROOT, uniquePrefix } from './support/platform';

/** The `gatehouse` bin, as an engineer's CI job runs it; never rejects. */
function gatehouse(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [join(ROOT, 'bin/gatehouse.js'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/**
 * Issue #11 with the production shape (API and worker processes on Redis and PostgreSQL): a run whose
 * first calls are all refused stops with the reason, and `gatehouse runs start --wait` returns exit 2
 * with that sentence instead of following `running 0/n` for ever.
 */
describeIntegration('runs that fail fast on the platform (Redis queue, worker process)', () => {
  let stub: OpenAiStub | null = null;
  let platform: Platform | null = null;

  beforeAll(() => buildDist(), 120_000);
  afterAll(async () => {
    await platform?.close();
    await stub?.close();
  }, 60_000);

  it('stops a run against a wrong key after its first calls; runs start --wait exits 2 with the reason', async () => {
    // The stub takes only its own key; the connection the platform makes for it holds another.
    stub = await startOpenAiStub({
      apiKey: 'sk-only-this-one',
      respond: (body) => body.messages.at(-1)?.content ?? '',
    });
    platform = await Platform.start({
      redisUrl: REDIS_TEST_URL,
      prefix: uniquePrefix('failfast'),
      parentEnv: process.env,
      env: { GATEHOUSE_ITEM_CONCURRENCY: '8' },
    });
    await platform.startWorker();
    const { suite } = await platform.publish({
      items: datasetLines(300),
      baseUrl: stub.url,
      name: 'wrong-key',
    });
    const started = Date.now();
    const result = await gatehouse(['runs', 'start', suite, '--wait'], {
      GATEHOUSE_URL: platform.apiUrl,
      GATEHOUSE_TOKEN: await platform.engineer(),
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /failed[\s\S]*error: The run stopped after 10 items: every call failed the same way: refused \(401\)/,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain('sk-stub');
    // Stopped early: a fraction of the 300 items called the provider (each call tried once: a 401 is final).
    expect(stub.requests).toBeLessThan(100);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 180_000);
});
