import { describeIntegration, type OpenAiStub, REDIS_TEST_URL, startOpenAiStub } from '@gatehouse/testing';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { buildDist, datasetLines, Platform, uniquePrefix } from './support/platform';
import { findRedisServer, RedisServer } from './support/redis-server';
import { sleep } from './support/wait';

/**
 * A TCP proxy in front of the shared PostgreSQL that a test can take down and bring back. For the
 * worker behind it this is a database outage: open connections are reset, new ones are refused
 * (nothing listens on the port), then the same port answers again. Stopping the machine's PostgreSQL
 * is not an option (other suites use it), and a server of the test's own (initdb + pg_ctl) needs a
 * non-root user and seconds of start-up for what the application sees just the same.
 */
class PostgresOutage {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<PostgresOutage> {
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new PostgresOutage(port, target);
    await proxy.up();
    return proxy;
  }

  /** A database URL that reaches the same database through the proxy. */
  via(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** The outage: every open connection is reset and the port stops listening. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }

  async close(): Promise<void> {
    await this.down();
  }
}

/**
 * The run's result rows once PostgreSQL has finished the statements the proxy had already passed on when it
 * went down (a COMMIT it received still commits): on a busy machine they can land a moment after `down()`.
 */
async function rowsOnceSettled(platform: Platform, runId: string): Promise<number> {
  let rows = await platform.resultRows(runId);
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const now = await platform.resultRows(runId);
    if (now === rows) {
      return rows;
    }
    rows = now;
  }
  return rows;
}

/**
 * With RECOVERY_DEFAULT_TIMERS=1 the processes keep the product's default timers and two more outages
 * are measured (a killed worker, Redis losing its jobs): the figures in docs/platform.md come from this.
 */
const defaults = process.env.RECOVERY_DEFAULT_TIMERS === '1';
const whenMeasuring = defaults ? describe : describe.skip;
const OUTAGE_MS = 15_000;

describeIntegration(
  'runs recover from outages: PostgreSQL away (and, measured, a killed worker and Redis losing its jobs)',
  () => {
    const open: { close: () => Promise<void> }[] = [];
    beforeAll(() => buildDist(), 120_000);
    afterEach(async () => {
      for (const resource of open.splice(0).reverse()) {
        await resource.close().catch(() => undefined);
      }
    }, 60_000);

    it(
      'completes after a 15 s outage: jobs that failed for good meanwhile are really re-enqueued',
      async () => {
        const items = 400;
        const stub: OpenAiStub = await startOpenAiStub({ latencyMs: 60 });
        open.push(stub);
        const platform = await Platform.start({
          redisUrl: REDIS_TEST_URL,
          prefix: uniquePrefix('pg-outage'),
          parentEnv: process.env,
          env: defaults
            ? {}
            : {
                GATEHOUSE_QUEUE_LOCK_MS: '2000',
                GATEHOUSE_RECONCILE_EVERY_MS: '1000',
                GATEHOUSE_STUCK_AFTER_MS: '3000',
              },
        });
        open.push(platform);
        const target = new URL(platform.database.url);
        const proxy = await PostgresOutage.start({
          host: target.hostname,
          port: Number(target.port || 5432),
        });
        open.unshift(proxy); // closed last, after the platform's processes

        const { suite } = await platform.publish({ items: datasetLines(items), baseUrl: stub.url });
        const runId = await platform.startRun(suite);
        // The worker reaches the database only through the proxy; the API and this test go direct.
        const worker = await platform.startWorker({
          DATABASE_URL: proxy.via(platform.database.url),
          GATEHOUSE_ITEM_CONCURRENCY: '5',
          LOG_LEVEL: 'info',
        });
        await platform.waitForRows(runId, 50, 60_000);
        await proxy.down();
        const downAt = Date.now();
        const atOutage = await rowsOnceSettled(platform, runId);
        await sleep(OUTAGE_MS);
        const duringOutage = await platform.resultRows(runId);
        await proxy.up();
        const upAt = Date.now();
        const logAtRestore = worker.output().length;

        const run = await platform.waitForStatus(
          runId,
          ['completed', 'failed'],
          defaults ? 600_000 : 120_000,
        );
        const recoveredAfterMs = Date.now() - upAt;
        const stats = await platform.resultStats(runId);
        process.stdout.write(
          `\n[recovery] database: ${items} items, ${atOutage} recorded when PostgreSQL went away for ${Math.round((upAt - downAt) / 1000)} s; ` +
            `run ${run.status} ${Math.round(recoveredAfterMs / 1000)} s after it came back ` +
            `(${defaults ? 'default timers' : 'test timers: stuck 3 s, reconcile every 1 s'})\n`,
        );

        expect(duringOutage).toBe(atOutage); // nothing was recorded while the database was away
        expect(atOutage).toBeLessThan(items);
        expect(run.status).toBe('completed');
        expect(stats).toMatchObject({ rows: items, distinct: items, failed: items / 10, errored: 0 });
        expect({ completed: run.completed, failed: run.failed, errored: run.errored }).toEqual({
          completed: items,
          failed: items / 10,
          errored: 0,
        });
        // The outage outlasted the jobs' attempts: the reconciler found them failed for good and retried them.
        const after = worker.output().slice(logAtRestore);
        const retried = [
          ...after.matchAll(
            new RegExp(
              `Reconciled run ${runId}: re-enqueued (\\d+) items with no result \\((\\d+) had failed for good`,
              'g',
            ),
          ),
        ].map((m) => Number(m[2]));
        expect(Math.max(0, ...retried)).toBeGreaterThan(0);
        // Permanent failures were logged (rate-limited) as they happened, and the worker rode the outage out.
        expect(worker.output()).toMatch(/failed for good \(no attempt left\)/);
        expect(worker.child.exitCode).toBeNull();
        // …and counted in the worker's /metrics, with what the reconciler put back.
        const [, port] = worker.output().match(/health and metrics on port (\d+)/) ?? [];
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const value = (pattern: RegExp) => Number(metrics.match(pattern)?.[1] ?? 0);
        expect(
          value(/gatehouse_jobs_failed_total\{queue="gatehouse-items-[^"]+",final="true"\} (\d+)/),
        ).toBeGreaterThan(0);
        expect(value(/gatehouse_jobs_requeued_total\{reason="failed"\} (\d+)/)).toBeGreaterThan(0);
      },
      defaults ? 900_000 : 240_000,
    );

    whenMeasuring('with the default timers (RECOVERY_DEFAULT_TIMERS=1)', () => {
      it('(measurement) recovers from a worker killed mid-run with the default timers', async () => {
        const items = 300;
        const stub: OpenAiStub = await startOpenAiStub({ latencyMs: 60 });
        open.push(stub);
        const platform = await Platform.start({
          redisUrl: REDIS_TEST_URL,
          prefix: uniquePrefix('kill-defaults'),
          parentEnv: process.env,
        });
        open.push(platform);
        const { suite } = await platform.publish({ items: datasetLines(items), baseUrl: stub.url });
        const runId = await platform.startRun(suite);
        const first = await platform.startWorker({ GATEHOUSE_ITEM_CONCURRENCY: '5' });
        await platform.waitForRows(runId, 50, 60_000);
        first.child.kill('SIGKILL');
        const killedAt = Date.now();
        await platform.startWorker({ GATEHOUSE_ITEM_CONCURRENCY: '5' });
        const run = await platform.waitForStatus(runId, ['completed', 'failed'], 600_000);
        process.stdout.write(
          `\n[recovery] killed worker: run ${run.status} ${Math.round((Date.now() - killedAt) / 1000)} s after ` +
            "the kill (a second worker took the waiting items at once; the killed one's in-flight items waited for stall detection)\n",
        );
        expect(run.status).toBe('completed');
      }, 900_000);

      it('(measurement) recovers from Redis losing every job with the default timers', async () => {
        const binary = findRedisServer();
        if (!binary) {
          throw new Error('redis-server is not on PATH (apt-get install -y redis-server)');
        }
        const redis = await RedisServer.start(binary);
        open.unshift(redis);
        const items = 600;
        const stub: OpenAiStub = await startOpenAiStub({ latencyMs: 60 });
        open.push(stub);
        const platform = await Platform.start({
          redisUrl: redis.url,
          prefix: uniquePrefix('redis-defaults'),
          parentEnv: process.env,
        });
        open.push(platform);
        const { suite } = await platform.publish({ items: datasetLines(items), baseUrl: stub.url });
        const runId = await platform.startRun(suite);
        await platform.startWorker({ GATEHOUSE_ITEM_CONCURRENCY: '5' });
        await platform.waitForRows(runId, 100, 60_000);
        await redis.kill();
        await sleep(1000);
        await redis.start();
        const restartedAt = Date.now();
        const run = await platform.waitForStatus(runId, ['completed', 'failed'], 600_000);
        process.stdout.write(
          `\n[recovery] Redis lost its jobs: run ${run.status} ${Math.round((Date.now() - restartedAt) / 1000)} s after Redis came back\n`,
        );
        expect(run.status).toBe('completed');
      }, 900_000);
    });
  },
  { needs: ['redis'] },
);
