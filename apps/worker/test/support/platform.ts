import { createTestDatabase, type RunningProcess, startNode, type TestDatabase } from '@gatehouse/testing';
import Redis from 'ioredis';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { until } from './wait';

export const ROOT = join(__dirname, '../../../..');
export const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/worker/src/main.js');
export const ADMIN_TOKEN = 'reliability-admin-token-0123456789abcdefghij';

/** Compiles apps and libs into dist/ (incremental: a no-op when nothing changed). */
export function buildDist(): void {
  execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { stdio: 'ignore' });
}

/** A queue prefix no other test (file, test or run) shares. */
export function uniquePrefix(label: string): string {
  return `rel-${label}-${randomBytes(4).toString('hex')}`.slice(0, 40);
}

export interface HttpReply<T = unknown> {
  status: number;
  body: T;
}

export interface RunRow {
  id: string;
  status: string;
  provider: string;
  total: number;
  completed: number;
  failed: number;
  errored: number;
  outcome: string | null;
  report: { partial: boolean; outcome: string; summary: { items: Record<string, number> } } | null;
}

export interface ResultStats {
  rows: number;
  distinct: number;
  failed: number;
  errored: number;
  workers: Record<string, number>;
}

export interface DatasetLine {
  id: string;
  input: string;
  expected: string;
}

/**
 * `n` items with ids i-00001…; the stub echoes the input, so an `equals` scorer passes an item whose
 * expected value is its input and fails the others (every `failEvery`-th item here).
 */
export function datasetLines(n: number, failEvery = 10): DatasetLine[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `i-${String(i + 1).padStart(5, '0')}`;
    const input = `question ${i + 1}`;
    return { id, input, expected: (i + 1) % failEvery === 0 ? `something else ${i + 1}` : input };
  });
}

/** A suite calling the OpenAI-compatible stub through the connection named `connection`, scored by exact match. */
export function suiteYaml(options: {
  name: string;
  dataset: string;
  connection: string;
  timeoutMs?: number;
}) {
  return [
    `name: ${options.name}`,
    'version: 1',
    `dataset: ${options.dataset}`,
    'target:',
    '  type: openai',
    '  model: stub-model',
    `  connection: ${options.connection}`,
    'scorers:',
    '  - { type: equals, name: exact }',
    `limits: { timeoutMs: ${options.timeoutMs ?? 10_000} }`,
    'maxErroredShare: 1',
    '',
  ].join('\n');
}

/**
 * The platform as production runs it, for one test: a fresh PostgreSQL database (a clone of the migrated
 * template), the API process and any number of worker processes, all on one Redis under a queue prefix of
 * the test's own. Everything it starts is stopped by close(), which also drops the database and the
 * prefix's Redis keys.
 */
export class Platform {
  readonly workers: RunningProcess[] = [];
  private engineerToken = '';
  private closed = false;

  private constructor(
    readonly database: TestDatabase,
    readonly sql: Client,
    readonly redisUrl: string,
    readonly prefix: string,
    readonly baseEnv: NodeJS.ProcessEnv,
    readonly api: RunningProcess,
    readonly apiUrl: string,
  ) {}

  static async start(options: {
    redisUrl: string;
    prefix: string;
    /** The environment the processes inherit (the test's own, less its database and Redis). */
    parentEnv: NodeJS.ProcessEnv;
    /** Extra environment for the API and every worker. */
    env?: Record<string, string>;
  }): Promise<Platform> {
    const database = await createTestDatabase();
    const sql = new Client({ connectionString: database.url });
    sql.on('error', () => undefined); // a query on a lost connection still rejects; no unhandled event
    let api: RunningProcess | null = null;
    try {
      await sql.connect();
      const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = options.parentEnv;
      const baseEnv: NodeJS.ProcessEnv = {
        ...inherited,
        TZ: 'UTC',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '10',
        REDIS_URL: options.redisUrl,
        GATEHOUSE_QUEUE_PREFIX: options.prefix,
        GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_SEED_EXAMPLES: 'false',
        GATEHOUSE_AUTO_MIGRATE: 'true',
        GATEHOUSE_SHUTDOWN_TIMEOUT_MS: '5000',
        // The model stubs listen on loopback: allowed here, as an operator would allow a model server.
        GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
        GATEHOUSE_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
        ...options.env,
      };
      api = startNode(API_MAIN, { cwd: ROOT, env: { ...baseEnv, PORT: '0', HOST: '127.0.0.1' } });
      const [, url] = await api.waitFor(/Gatehouse is ready at (http:\/\/\S+)/, 30_000);
      return new Platform(database, sql, options.redisUrl, options.prefix, baseEnv, api, url);
    } catch (error) {
      await api?.stop('SIGKILL');
      await sql.end().catch(() => undefined);
      await database.drop();
      throw error;
    }
  }

  /** Starts a worker process and waits until it consumes jobs. */
  async startWorker(env: Record<string, string> = {}): Promise<RunningProcess> {
    if (this.closed) {
      throw new Error('the platform is closed (the test timed out?): no more workers');
    }
    const worker = startNode(WORKER_MAIN, {
      cwd: ROOT,
      env: { ...this.baseEnv, GATEHOUSE_WORKER_PORT: '0', ...env },
    });
    this.workers.push(worker);
    await worker.waitFor(/worker is ready/, 30_000);
    return worker;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; contentType?: string; timeoutMs?: number } = {},
  ): Promise<HttpReply<T>> {
    const headers: Record<string, string> = {};
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T };
  }

  private async expectStatus<T>(reply: Promise<HttpReply<T>>, status: number, what: string): Promise<T> {
    const { status: actual, body } = await reply;
    if (actual !== status) {
      throw new Error(`${what}: expected HTTP ${status}, got ${actual}: ${JSON.stringify(body)}`);
    }
    return body;
  }

  /** An engineer in a team of their own (made once), with their API token. */
  async engineer(): Promise<string> {
    if (!this.engineerToken) {
      const team = await this.expectStatus<{ id: string }>(
        this.request('POST', '/v1/teams', { token: ADMIN_TOKEN, body: { name: 'Reliability' } }),
        201,
        'creating a team',
      );
      const user = await this.expectStatus<{ enrolment: { token: string } }>(
        this.request('POST', '/v1/users', {
          token: ADMIN_TOKEN,
          body: { name: 'Rel Engineer', roles: ['engineer'], teamId: team.id },
        }),
        201,
        'creating an engineer',
      );
      const enrolled = await this.expectStatus<{ token: { token: string } }>(
        this.request('POST', '/v1/enrolments', { body: { token: user.enrolment.token } }),
        201,
        'exchanging the enrolment',
      );
      this.engineerToken = enrolled.token.token;
    }
    return this.engineerToken;
  }

  /**
   * The admin's connection to an OpenAI-compatible server at `baseUrl` (made once, for every team); its
   * name, for suites and targets to use.
   */
  async connection(baseUrl: string): Promise<string> {
    const name = `stub-${new URL(baseUrl).port}`;
    const response = await this.request('POST', '/v1/connections', {
      token: ADMIN_TOKEN,
      body: { name, kind: 'openai', baseUrl, teams: ['*'], secret: 'sk-stub' },
    });
    if (response.status !== 201 && response.status !== 409) {
      throw new Error(
        `creating the connection ${name} answered ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    return name;
  }

  /** Uploads the items as a dataset and publishes a suite on it against the stub; returns `suite@1`. */
  async publish(options: {
    items: DatasetLine[];
    baseUrl: string;
    name?: string;
    timeoutMs?: number;
  }): Promise<{ suite: string; datasetSha256: string }> {
    const token = await this.engineer();
    const name = options.name ?? 'rel-items';
    const dataset = await this.expectStatus<{ name: string; version: number; sha256: string }>(
      this.request('POST', `/v1/datasets?name=${name}`, {
        token,
        contentType: 'application/x-ndjson',
        body: `${options.items.map((item) => JSON.stringify(item)).join('\n')}\n`,
      }),
      201,
      'uploading the dataset',
    );
    const suite = await this.expectStatus<{ name: string; version: number }>(
      this.request('POST', '/v1/suites', {
        token,
        contentType: 'application/yaml',
        body: suiteYaml({
          name: `${name}-suite`,
          dataset: `${dataset.name}@${dataset.version}`,
          connection: await this.connection(options.baseUrl),
          timeoutMs: options.timeoutMs,
        }),
      }),
      201,
      'publishing the suite',
    );
    return { suite: `${suite.name}@${suite.version}`, datasetSha256: dataset.sha256 };
  }

  /** POST /v1/runs → 202; returns the run's id. */
  async startRun(suite: string): Promise<string> {
    const run = await this.expectStatus<{ id: string; status: string }>(
      this.request('POST', '/v1/runs', { token: await this.engineer(), body: { suite } }),
      202,
      'starting the run',
    );
    return run.id;
  }

  async run(runId: string): Promise<RunRow> {
    const { rows } = await this.sql.query<RunRow>(
      'SELECT id, status, provider, total, completed, failed, errored, outcome, report FROM evaluation_runs WHERE id = $1',
      [runId],
    );
    if (!rows[0]) {
      throw new Error(`no evaluation_runs row ${runId}`);
    }
    return rows[0];
  }

  async runCount(): Promise<number> {
    const { rows } = await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM evaluation_runs');
    return rows[0].n;
  }

  async resultRows(runId: string): Promise<number> {
    const { rows } = await this.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM run_results WHERE run_id = $1',
      [runId],
    );
    return rows[0].n;
  }

  /** What the database holds for the run, counted from the rows themselves. */
  async resultStats(runId: string): Promise<ResultStats> {
    const { rows } = await this.sql.query<Omit<ResultStats, 'workers'>>(
      `SELECT count(*)::int AS rows,
              count(DISTINCT (item_id, epoch))::int AS distinct,
              count(*) FILTER (WHERE any_failed)::int AS failed,
              count(*) FILTER (WHERE status = 'errored')::int AS errored
         FROM run_results WHERE run_id = $1`,
      [runId],
    );
    const byWorker = await this.sql.query<{ worker: string; n: number }>(
      'SELECT worker, count(*)::int AS n FROM run_results WHERE run_id = $1 GROUP BY worker',
      [runId],
    );
    return {
      ...rows[0],
      workers: Object.fromEntries(byWorker.rows.map((row) => [row.worker, row.n])),
    };
  }

  /** Waits until `count(run_results)` for the run reaches `rows`; returns the count seen. */
  waitForRows(runId: string, rows: number, timeoutMs = 60_000): Promise<number> {
    return until(
      `${rows} result rows`,
      async () => {
        const n = await this.resultRows(runId);
        return n >= rows ? n : undefined;
      },
      { timeoutMs, intervalMs: 25, describe: () => this.describeRun(runId) },
    );
  }

  /** Waits until the run has one of the statuses (and, for completed or cancelled, its report). */
  waitForStatus(runId: string, statuses: string[], timeoutMs = 90_000): Promise<RunRow> {
    return until(
      `run status ${statuses.join(' or ')}`,
      async () => {
        const run = await this.run(runId);
        const settled =
          statuses.includes(run.status) &&
          (!['completed', 'cancelled'].includes(run.status) || run.report !== null);
        return settled ? run : undefined;
      },
      { timeoutMs, intervalMs: 100, describe: () => this.describeRun(runId) },
    );
  }

  async describeRun(runId: string): Promise<string> {
    const run = await this.run(runId).catch((error: Error) => error.message);
    const rows = await this.resultRows(runId).catch(() => -1);
    const state =
      typeof run === 'string'
        ? run
        : `status ${run.status}, counters ${run.completed}/${run.total} (failed ${run.failed}, errored ${run.errored})`;
    const tails = this.workers.map((w, i) => `worker ${i}: ${w.output().slice(-1500)}`).join('\n');
    return `${state}, ${rows} rows\n${tails}`;
  }

  /** Stops every process it started (SIGTERM, then SIGKILL after 8 s), drops the database and the prefix's keys. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    const stop = async (child: RunningProcess) => {
      const timer = setTimeout(() => void child.stop('SIGKILL'), 8_000);
      await child.stop('SIGTERM');
      clearTimeout(timer);
    };
    const errors: unknown[] = [];
    await Promise.all([...this.workers, this.api].map(stop)).catch((error: unknown) => errors.push(error));
    await this.sql.end().catch((error: unknown) => errors.push(error));
    await this.database.drop().catch((error: unknown) => errors.push(error));
    await deleteRedisPrefix(this.redisUrl, this.prefix).catch((error: unknown) => errors.push(error));
    if (errors.length > 0) {
      throw errors[0];
    }
  }
}

/** Deletes every key under the queue prefix, so test runs leave nothing behind in the shared Redis. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
