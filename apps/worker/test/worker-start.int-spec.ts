import { createTestDatabase, describeIntegration, REDIS_TEST_URL, startNode } from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const MAIN = join(root, 'dist/apps/worker/src/main.js');

describeIntegration(
  'starting the worker process',
  () => {
    beforeAll(() => {
      execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
    });

    const env = (extra: Record<string, string>) => {
      const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
      return { ...rest, GATEHOUSE_WORKER_PORT: '0', LOG_LEVEL: 'warn', ...extra };
    };

    it('serves health and metrics, and stops cleanly on SIGTERM', async () => {
      const database = await createTestDatabase();
      const worker = startNode(MAIN, { env: env({ DATABASE_URL: database.url, REDIS_URL: REDIS_TEST_URL }) });
      try {
        const [, port] = await worker.waitFor(/worker is ready \(health and metrics on port (\d+)\)/);
        const base = `http://127.0.0.1:${port}`;
        const ready = await fetch(`${base}/health/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({
          status: 'ok',
          checks: { database: { ok: true }, queue: { kind: 'redis', ok: true } },
        });
        expect(await (await fetch(`${base}/metrics`)).text()).toContain(
          'gatehouse_process_cpu_seconds_total',
        );
        expect((await fetch(`${base}/nope`)).status).toBe(404);
      } finally {
        expect(await worker.stop()).toBe(0);
        await database.drop();
      }
    }, 60_000);

    it('explains that the embedded mode needs no worker', async () => {
      const worker = startNode(MAIN, { env: env({}) });
      expect(await worker.exited).toBe(2);
      expect(worker.output()).toContain('set REDIS_URL');
    });
  },
  { needs: ['redis'] },
);
