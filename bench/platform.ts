/**
 * The Gatehouse platform as separate processes for the queue benchmark: a fresh PostgreSQL database and
 * Redis key prefix, the API, N workers and the provider stub. Every child is registered so it is
 * stopped on the way out, even when the benchmark fails or is interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setPriority } from 'node:os';
import Redis from 'ioredis';
import { Client } from 'pg';
import { startStubProcess } from './stub-process';

const DIST = join(__dirname, '..');
export const REPO_ROOT = join(DIST, '..');
const API_MAIN = join(DIST, 'apps/api/src/main.js');
const WORKER_MAIN = join(DIST, 'apps/worker/src/main.js');
const OUTPUT_KEPT = 64 * 1024;

// ---------------------------------------------------------------------------------------------------
// Children: started here, always stopped.

const children = new Set<ChildProcess>();

/** Kills whatever is still running (synchronous, so it also works from an 'exit' handler). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  children.clear();
}

export class ChildNode {
  private output = '';
  private readonly listeners = new Set<() => void>();
  readonly exited: Promise<number | string>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    children.add(child);
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_KEPT);
      this.listeners.forEach((listener) => listener());
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        this.listeners.forEach((listener) => listener());
        resolve(code ?? signal ?? -1);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output);
        if (match) {
          done();
          resolve(match);
        } else if (!this.alive) {
          done();
          reject(new Error(`${this.label} exited before it was ready:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label} not ready after ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) {
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function startNode(
  label: string,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ChildNode {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ChildNode(label, child);
}

// ---------------------------------------------------------------------------------------------------
// The platform.

export interface PlatformOptions {
  postgresUrl: string;
  redisUrl: string;
  workers: number;
  itemConcurrency: number;
  stubLatencyMs: number;
  /** DATABASE_POOL_SIZE for the API and the workers; undefined keeps Gatehouse's default. */
  poolSize?: number;
  label: string;
  /** Extra node flags for the workers (e.g. --cpu-prof). */
  workerNodeArgs?: string[];
  /**
   * The workers' nice value (0: as the API). On one machine, a worker at a lower priority leaves the cores to
   * the API when both want them: what an operator running both on one host would do for ingest latency.
   */
  workerNice?: number;
  /** Extra node flags for the API (e.g. --cpu-prof). */
  apiNodeArgs?: string[];
  /** Extra environment for the API and the workers (e.g. a shorter queue lock). */
  env?: Record<string, string>;
}

export interface RunView {
  id: string;
  status: string;
  error: string | null;
  progress: { total: number; completed: number; failed: number; errored: number };
  startedAt: string | null;
  completedAt: string | null;
}

const ADMIN_TOKEN = `bench-admin-${randomBytes(24).toString('hex')}`;
const SECRETS_KEY = randomBytes(32).toString('base64');

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export class Platform {
  readonly database: string;
  readonly prefix: string;
  readonly databaseUrl: string;
  api: ChildNode | null = null;
  workers: ChildNode[] = [];
  stub: { url: string; pid: number; stop: () => void } | null = null;
  apiUrl = '';
  workerPorts: number[] = [];
  /** Admin connection to the benchmark's own database (queries, sampling). */
  db: Client | null = null;
  redis: Redis | null = null;
  private engineerToken = '';
  private databaseCreated = false;

  constructor(readonly options: PlatformOptions) {
    const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    this.database = `gatehouse_bench_${options.label}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    this.prefix = `gatehouse-bench-${options.label}-${suffix}`;
    this.databaseUrl = withDatabase(options.postgresUrl, this.database);
  }

  private started<T>(value: T | null, what: string): T {
    if (value === null) {
      throw new Error(`the platform has no ${what}: start() it first`);
    }
    return value;
  }

  get sql(): Client {
    return this.started(this.db, 'database client');
  }

  get queueRedis(): Redis {
    return this.started(this.redis, 'Redis client');
  }

  get stubUrl(): string {
    return this.started(this.stub, 'stub').url;
  }

  get stubPid(): number {
    return this.started(this.stub, 'stub').pid;
  }

  get apiPid(): number {
    return this.started(this.api, 'API').pid;
  }

  private environment(extra: Record<string, string>): NodeJS.ProcessEnv {
    // Whatever the shell has (a developer's DATABASE_URL, say) must not leak into the platform under test.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('GATEHOUSE_') && !['DATABASE_URL', 'REDIS_URL', 'PORT'].includes(key),
      ),
    );
    return {
      ...inherited,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      GATEHOUSE_QUEUE_PREFIX: this.prefix,
      GATEHOUSE_AUTO_MIGRATE: 'true',
      GATEHOUSE_SEED_EXAMPLES: 'false',
      GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_ITEM_CONCURRENCY: String(this.options.itemConcurrency),
      // The stub listens on loopback, which the egress policy refuses unless an operator allows it.
      GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
      GATEHOUSE_SECRETS_KEY: SECRETS_KEY,
      LOG_LEVEL: 'warn',
      ...(this.options.poolSize ? { DATABASE_POOL_SIZE: String(this.options.poolSize) } : {}),
      ...this.options.env,
      ...extra,
    };
  }

  async start(): Promise<void> {
    const admin = new Client({ connectionString: this.options.postgresUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${this.database}"`);
      this.databaseCreated = true;
    } finally {
      await admin.end();
    }
    this.db = new Client({ connectionString: this.databaseUrl, application_name: 'gatehouse-bench' });
    await this.db.connect();
    this.redis = new Redis(this.options.redisUrl, { maxRetriesPerRequest: 2 });
    const stub = await startStubProcess(this.options.stubLatencyMs);
    this.stub = stub;
    registerPid(stub.pid);
    // The API migrates the fresh database; the workers start once it has (no migration lock contest).
    this.api = startNode(
      `API (${this.options.label})`,
      API_MAIN,
      this.environment({ PORT: '0' }),
      this.options.apiNodeArgs,
    );
    const [, url] = await this.api.waitFor(/Gatehouse is ready at (\S+)/);
    this.apiUrl = url.replace('//localhost', '//127.0.0.1');
    this.workers = Array.from({ length: this.options.workers }, (_, i) => this.startWorker(i + 1));
    this.workerPorts = await Promise.all(this.workers.map((worker) => Platform.workerReady(worker)));
    await this.createEngineer();
  }

  private startWorker(n: number): ChildNode {
    const worker = startNode(
      `worker ${n} (${this.options.label})`,
      WORKER_MAIN,
      this.environment({ GATEHOUSE_WORKER_PORT: '0' }),
      this.options.workerNodeArgs,
    );
    if (this.options.workerNice && worker.pid) {
      setPriority(worker.pid, this.options.workerNice);
    }
    return worker;
  }

  private static async workerReady(worker: ChildNode): Promise<number> {
    return Number((await worker.waitFor(/worker is ready \(health and metrics on port (\d+)\)/))[1]);
  }

  /** Kills worker `index` with SIGKILL (no graceful stop: its jobs are left to BullMQ's stall detection). */
  async killWorker(index: number): Promise<void> {
    const worker = this.workers[index];
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /** Starts a fresh worker in place of worker `index` and waits until it is ready. */
  async replaceWorker(index: number): Promise<void> {
    const worker = this.startWorker(this.workers.length + 1);
    this.workers[index] = worker;
    this.workerPorts[index] = await Platform.workerReady(worker);
  }

  /** The bootstrap admin's token. */
  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  /** The API as the admin would call it (JSON in, JSON out; throws on a status of 300 or more). */
  async adminCall<T>(method: string, path: string, body?: object): Promise<T> {
    return (await this.call<T>(method, path, ADMIN_TOKEN, body)).body;
  }

  /** The API as any token's holder would call it (JSON in, JSON out; throws on a status of 300 or more). */
  async callAs<T>(token: string, method: string, path: string, body?: object): Promise<T> {
    return (await this.call<T>(method, path, token, body)).body;
  }

  /** Stops every process, drops the database and deletes the queue keys; never throws. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await Promise.all(this.workers.map((worker) => attempt(`stopping ${worker.label}`, () => worker.stop())));
    await attempt('stopping the API', async () => this.api?.stop());
    if (this.stub) {
      this.stub.stop();
      unregisterPid(this.stub.pid);
      this.stub = null;
    }
    await attempt('closing the database client', async () => this.db?.end());
    this.db = null;
    if (this.databaseCreated) {
      await attempt(`dropping ${this.database}`, async () => {
        const admin = new Client({ connectionString: this.options.postgresUrl });
        await admin.connect();
        try {
          await admin.query(`DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      });
    }
    if (this.redis) {
      const redis = this.redis;
      await attempt(`deleting Redis keys ${this.prefix}:*`, async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) {
            await redis.unlink(...keys);
          }
        } while (cursor !== '0');
      });
      redis.disconnect();
      this.redis = null;
    }
    return problems;
  }

  // -------------------------------------------------------------------------------------------------
  // The API, as a client would use it.

  private async call<T>(
    method: string,
    path: string,
    token: string,
    body?: string | object,
    contentType = 'application/json',
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) {
      throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 2000)}`);
    }
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  private async createEngineer(): Promise<void> {
    const team = await this.call<{ id: string }>('POST', '/v1/teams', ADMIN_TOKEN, {
      name: 'Benchmark team',
    });
    const user = await this.call<{ enrolment: { token: string } }>('POST', '/v1/users', ADMIN_TOKEN, {
      name: 'Bench Engineer',
      roles: ['engineer'],
      teamId: team.body.id,
    });
    // The engineer's own API token, from their one-time enrolment (public route: no bearer token).
    const enrolled = await this.call<{ token: { token: string } }>('POST', '/v1/enrolments', '', {
      token: user.body.enrolment.token,
    });
    this.engineerToken = enrolled.body.token.token;
  }

  /** The admin's connection to the stub, for every team: platform targets reach a model only through one. */
  async createConnection(name: string, baseUrl: string): Promise<void> {
    await this.call('POST', '/v1/connections', ADMIN_TOKEN, {
      name,
      kind: 'openai',
      baseUrl,
      teams: ['*'],
      secret: 'sk-bench',
    });
  }

  async uploadDataset(name: string, jsonl: string): Promise<void> {
    await this.call(
      'POST',
      `/v1/datasets?name=${encodeURIComponent(name)}`,
      this.engineerToken,
      jsonl,
      'application/x-ndjson',
    );
  }

  async publishSuite(yaml: string): Promise<void> {
    await this.call('POST', '/v1/suites', this.engineerToken, yaml, 'application/yaml');
  }

  async startRun(suite: string): Promise<RunView> {
    const response = await this.call<RunView>('POST', '/v1/runs', this.engineerToken, { suite });
    if (response.status !== 202) {
      throw new Error(`POST /v1/runs answered ${response.status}, expected 202`);
    }
    return response.body;
  }

  async getRun(id: string): Promise<RunView> {
    return (await this.call<RunView>('GET', `/v1/runs/${id}`, this.engineerToken)).body;
  }

  /**
   * Polls until the run is completed; throws on failed/cancelled, a dead process or the timeout. The
   * interval grows to 1% of the time elapsed (at most 500 ms): the error stays under 1% of the wall time
   * and a long run is not slowed by its own observer (each GET reads the run row the workers update).
   */
  async waitForCompletion(id: string, pollMs: number, timeoutMs: number): Promise<RunView> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (;;) {
      const run = await this.getRun(id);
      if (run.status === 'completed') {
        return run;
      }
      if (run.status === 'failed' || run.status === 'cancelled') {
        throw new Error(`run ${id} ended ${run.status}: ${run.error ?? ''}`);
      }
      const dead = [this.api, ...this.workers].find((p) => p && !p.alive);
      if (dead) {
        throw new Error(`${dead.label} exited during the run:\n${dead.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `run ${id} still ${run.status} (${run.progress.completed}/${run.progress.total}) after ${timeoutMs} ms`,
        );
      }
      await sleep(Math.max(pollMs, Math.min(500, (Date.now() - started) / 100)));
    }
  }

  /** Resolves once `count` BullMQ workers listen on the item queue (each worker discovers it on a 2 s timer). */
  async waitForItemWorkers(queueName: string, count: number, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const redis = this.queueRedis;
    const encoded = Buffer.from(queueName).toString('base64');
    while (Date.now() < deadline) {
      // BullMQ names each worker's blocking connection <prefix>:<base64 queue name>:w:<worker name>.
      const list = (await redis.client('LIST')) as string;
      const listening = list
        .split('\n')
        .filter((line) => line.includes(` name=${this.prefix}:${encoded}`)).length;
      if (listening >= count) {
        return true;
      }
      await sleep(100);
    }
    return false;
  }
}

// Pids of children started elsewhere (the stub), killed on exit too.
const pids = new Set<number>();

function registerPid(pid: number): void {
  if (pid) {
    pids.add(pid);
  }
}

function unregisterPid(pid: number): void {
  pids.delete(pid);
}

export function killRegisteredPids(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
