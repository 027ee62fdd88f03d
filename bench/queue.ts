/**
 * `npm run bench:queue`: runs on the platform (API → BullMQ on Redis → worker processes → PostgreSQL)
 * against the OpenAI-compatible stub in a process of its own. Prints figures; it asserts nothing.
 *   1. 10,000 items, stub latency 200 ms, one worker at GATEHOUSE_ITEM_CONCURRENCY=200 (ideal 1,000 items/s).
 *   2. The same with two workers (ideal 2,000 items/s): the ratio to one worker.
 *   3. 20 ms latency, one worker at 200: items/s and CPU per item (worker, API, PostgreSQL, Redis, stub).
 *   4. 1,000 items, 20 ms, concurrency 50: POST /v1/runs → completed, next to `gatehouse eval run`.
 *   5. p50/p99 of provider latency and of queue wait, from run_results of the runs above.
 * Each scenario gets a fresh database, queue prefix, stub and processes, all stopped at the end, even on
 * failure. Options (argv or BENCH_* environment variables): see `--help`.
 */
import { itemQueueName } from '@gatehouse/queue';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ProfileSummary, summariseProfiles } from './cpu-profile';
import {
  codeVersion,
  fixed,
  type Percentiles,
  percentiles,
  printPostgresActivity,
  readOptions,
  stopProcessesOnExit,
  table,
  usageText,
  waitForQuietMachine,
} from './bench-kit';
import { killAllChildren, killRegisteredPids, Platform, REPO_ROOT } from './platform';
import {
  machineCpuSeconds,
  type PostgresSample,
  PostgresSampler,
  processCpuSeconds,
  redisCpuSeconds,
} from './proc-stats';

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  items: number;
  platformItems: number;
  concurrency: number;
  latencyMs: number;
  fastLatencyMs: number;
  compareConcurrency: number;
  warmupItems: number;
  rounds: number;
  scenarios: Set<number>;
  poolSize: number | undefined;
  postgresUrl: string;
  redisUrl: string;
  pollMs: number;
  timeoutMs: number;
  quietCores: number;
  quietWaitMs: number;
  cpuProfileDir: string;
}

const OPTIONS: Record<string, { env: string; help: string; fallback: string }> = {
  items: { env: 'BENCH_ITEMS', help: 'items in scenarios 1-3', fallback: '10000' },
  'platform-items': { env: 'BENCH_PLATFORM_ITEMS', help: 'items in scenario 4', fallback: '1000' },
  concurrency: { env: 'BENCH_CONCURRENCY', help: 'GATEHOUSE_ITEM_CONCURRENCY in 1-3', fallback: '200' },
  'latency-ms': { env: 'BENCH_LATENCY_MS', help: 'stub latency in 1-2', fallback: '200' },
  'fast-latency-ms': { env: 'BENCH_FAST_LATENCY_MS', help: 'stub latency in 3-4', fallback: '20' },
  'compare-concurrency': {
    env: 'BENCH_COMPARE_CONCURRENCY',
    help: 'worker and suite concurrency in 4',
    fallback: '50',
  },
  'warmup-items': {
    env: 'BENCH_WARMUP_ITEMS',
    help: 'items of the unmeasured warm-up run before 1-3 (0: none)',
    fallback: '1000',
  },
  rounds: { env: 'BENCH_ROUNDS', help: 'warm platform runs and CLI runs in 4 (median)', fallback: '3' },
  scenarios: { env: 'BENCH_SCENARIOS', help: 'which scenarios, e.g. 1,3', fallback: '1,2,3,4' },
  'pool-size': {
    env: 'BENCH_POOL_SIZE',
    help: "DATABASE_POOL_SIZE of the API and workers (default: Gatehouse's, 10)",
    fallback: '',
  },
  'postgres-url': {
    env: 'BENCH_POSTGRES_URL',
    help: 'an admin URL; databases are created beside it',
    fallback: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
  'redis-url': {
    env: 'BENCH_REDIS_URL',
    help: 'Redis for the queues',
    fallback: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  },
  'poll-ms': { env: 'BENCH_POLL_MS', help: 'GET /v1/runs/{id} interval', fallback: '25' },
  'timeout-s': { env: 'BENCH_TIMEOUT_S', help: 'give up on a run after this long', fallback: '600' },
  'cpu-profile': {
    env: 'BENCH_CPU_PROFILE',
    help: 'a directory: run the workers with --cpu-prof and print where their CPU goes (adds overhead)',
    fallback: '',
  },
  'quiet-cores': {
    env: 'BENCH_QUIET_CORES',
    help: 'before each measured run, wait while other work keeps more than this many cores busy',
    fallback: '0.3',
  },
  'quiet-wait-s': {
    env: 'BENCH_QUIET_WAIT_S',
    help: 'wait at most this long for a quiet machine, then measure anyway (the load is printed)',
    fallback: '300',
  },
};

function usage(): string {
  return usageText(OPTIONS, 'bench:queue', 'npm run bench:queue -- --items 1000');
}

function parseOptions(argv: string[]): Options {
  const { raw, int } = readOptions(argv, OPTIONS, usage);
  const scenarios = new Set(raw('scenarios').split(',').map(Number));
  if ([...scenarios].some((s) => ![1, 2, 3, 4].includes(s))) {
    throw new Error('--scenarios takes a list of 1, 2, 3, 4');
  }
  return {
    items: int('items', 2),
    platformItems: int('platform-items', 2),
    concurrency: int('concurrency', 1),
    latencyMs: int('latency-ms', 1),
    fastLatencyMs: int('fast-latency-ms', 1),
    compareConcurrency: int('compare-concurrency', 1),
    warmupItems: int('warmup-items', 0),
    rounds: int('rounds', 1),
    scenarios,
    poolSize: raw('pool-size') ? int('pool-size', 1) : undefined,
    postgresUrl: raw('postgres-url'),
    redisUrl: raw('redis-url'),
    pollMs: int('poll-ms', 1),
    timeoutMs: int('timeout-s', 1) * 1000,
    quietCores: Number(raw('quiet-cores')),
    quietWaitMs: int('quiet-wait-s', 0) * 1000,
    cpuProfileDir: raw('cpu-profile') ? resolve(raw('cpu-profile')) : '',
  };
}

// ---------------------------------------------------------------------------------------------------
// Inputs: the stub answers LABELS[n % 5] for "Enquiry n", so every item scores as a pass.

const LABELS = ['universal_credit', 'pip', 'carers_allowance', 'overpayments', 'general'];

function datasetJsonl(count: number, idPrefix = 'b'): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        id: `${idPrefix}-${String(i + 1).padStart(5, '0')}`,
        input: `Enquiry ${i}: I need help with my ${LABELS[i % 5].replace('_', ' ')} claim, my reference is ${100000 + i}.`,
        expected: LABELS[i % 5],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

const CONNECTION = 'bench-stub';

/** The platform's target names the admin's connection; the CLI's (same model, same stub) its base URL. */
function suiteYaml(
  name: string,
  dataset: string,
  concurrency: number,
  target = `{ type: openai, model: stub, connection: ${CONNECTION} }`,
): string {
  return `name: ${name}
version: 1
dataset: ${dataset}@1
target: ${target}
prompt: { system: "Route the enquiry to one team.", template: "{{input}}" }
scorers:
  - { type: equals, name: routed }
concurrency: ${concurrency}
limits: { timeoutMs: 30000 }
`;
}

// ---------------------------------------------------------------------------------------------------
// One measured platform run

interface RunFigures {
  label: string;
  workers: number;
  concurrency: number;
  latencyMs: number;
  items: number;
  errored: number;
  failed: number;
  /** POST /v1/runs → GET says completed. */
  wallSeconds: number;
  /** First to last result row (created_at). */
  resultSpanSeconds: number;
  itemsPerSecond: number;
  /** POST → first job started / last result → completed (aggregation). */
  startSeconds: number | null;
  finishSeconds: number;
  providerLatency: Omit<Percentiles, 'p90'>;
  queueWait: Omit<Percentiles, 'p90'>;
  /** Engine time per item (provider call + scoring), from run_results.duration_ms. */
  engineMs: number;
  /** From the BullMQ job hashes: time in the job handler, and jobs in flight on average. */
  handlerMs: Percentiles | null;
  inFlight: number | null;
  enqueueSeconds: number | null;
  perWorker: number[];
  cpu: CpuFigures;
  postgres: PostgresSample;
  /** Cores busy on the machine in the 2 s before the run, while the platform was idle. */
  backgroundCores: number;
  /** items/s in each tenth of the run (by result order). */
  tenths: number[];
  runsTable: RunsTableFigures;
}

/** What the run did to the evaluation_runs table (one row updated per item). */
interface RunsTableFigures {
  updates: number;
  hotUpdates: number;
  tableBytes: number;
  indexBytes: number;
}

async function runsTableStats(db: Platform['sql']) {
  const row = (
    await db.query<{ upd: string; hot: string; heap: string; idx: string }>(
      `SELECT coalesce(s.n_tup_upd, 0) AS upd, coalesce(s.n_tup_hot_upd, 0) AS hot,
              pg_relation_size('evaluation_runs') AS heap, pg_indexes_size('evaluation_runs') AS idx
         FROM pg_stat_user_tables s WHERE s.relname = 'evaluation_runs'`,
    )
  ).rows[0];
  return {
    updates: Number(row.upd),
    hotUpdates: Number(row.hot),
    tableBytes: Number(row.heap),
    indexBytes: Number(row.idx),
  };
}

interface CpuFigures {
  windowSeconds: number;
  workers: number[];
  api: number;
  stub: number;
  postgres: number;
  redis: number;
  bench: number;
  machineBusy: number;
  machineCores: number;
}

async function measureRun(
  platform: Platform,
  suite: string,
  label: string,
  options: Options,
): Promise<RunFigures> {
  const backgroundCores = await waitForQuietMachine(options, label);
  const db = platform.sql;
  const redis = platform.queueRedis;
  const pids = {
    workers: platform.workers.map((w) => w.pid),
    api: platform.apiPid,
    stub: platform.stubPid,
  };
  const cpuOf = (pid: number) => processCpuSeconds(pid) ?? 0;
  const sampler = new PostgresSampler(db, platform.database);
  await sampler.start();
  const before = {
    workers: pids.workers.map(cpuOf),
    api: cpuOf(pids.api),
    stub: cpuOf(pids.stub),
    redis: await redisCpuSeconds(redis),
    machine: machineCpuSeconds(),
    bench: process.cpuUsage(),
  };
  const tableBefore = await runsTableStats(db);
  const postedAt = Date.now();
  const started = performance.now();
  const run = await platform.startRun(suite);
  const done = await platform.waitForCompletion(run.id, options.pollMs, options.timeoutMs);
  const wallSeconds = (performance.now() - started) / 1000;
  const machine = machineCpuSeconds();
  const benchCpu = process.cpuUsage(before.bench);
  const cpu: CpuFigures = {
    windowSeconds: wallSeconds,
    workers: pids.workers.map((pid, i) => cpuOf(pid) - before.workers[i]),
    api: cpuOf(pids.api) - before.api,
    stub: cpuOf(pids.stub) - before.stub,
    postgres: 0,
    redis: (await redisCpuSeconds(redis)) - before.redis,
    bench: (benchCpu.user + benchCpu.system) / 1e6,
    machineBusy: machine.busy - before.machine.busy,
    machineCores: cpus().length,
  };
  const postgres = await sampler.stop();
  cpu.postgres = postgres.cpuSeconds;
  await new Promise((resolve) => setTimeout(resolve, 1500)); // backends publish their statistics within 1 s
  const tableAfter = await runsTableStats(db);
  const tenths = (
    await db.query<{ n: number; span: number }>(
      `SELECT count(*)::int AS n, extract(epoch FROM max(created_at) - min(created_at))::float8 AS span
         FROM (SELECT created_at, ntile(10) OVER (ORDER BY created_at) AS tenth FROM run_results WHERE run_id = $1) r
        GROUP BY tenth ORDER BY tenth`,
      [run.id],
    )
  ).rows.map((r) => (r.span > 0 ? r.n / r.span : 0));

  const stats = (
    await db.query<{
      n: number;
      errored: number;
      failed: number;
      span: number;
      first_ms: number;
      last_ms: number;
      lat50: number;
      lat99: number;
      latmean: number;
      latmax: number;
      qw50: number;
      qw99: number;
      qwmean: number;
      qwmax: number;
      engine: number;
    }>(
      `SELECT count(*)::int AS n,
              count(*) FILTER (WHERE status = 'errored')::int AS errored,
              count(*) FILTER (WHERE any_failed)::int AS failed,
              extract(epoch FROM max(created_at) - min(created_at))::float8 AS span,
              (extract(epoch FROM min(created_at)) * 1000)::float8 AS first_ms,
              (extract(epoch FROM max(created_at)) * 1000)::float8 AS last_ms,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS lat50,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_ms) AS lat99,
              avg(latency_ms)::float8 AS latmean, max(latency_ms) AS latmax,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY queue_wait_ms) AS qw50,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY queue_wait_ms) AS qw99,
              avg(queue_wait_ms)::float8 AS qwmean, max(queue_wait_ms) AS qwmax,
              avg(duration_ms)::float8 AS engine
         FROM run_results WHERE run_id = $1`,
      [run.id],
    )
  ).rows[0];
  if (stats.n !== done.progress.total) {
    throw new Error(`run ${run.id} completed with ${stats.n} result rows, expected ${done.progress.total}`);
  }
  const perWorker = (
    await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM run_results WHERE run_id = $1 GROUP BY worker ORDER BY n DESC',
      [run.id],
    )
  ).rows.map((r) => r.n);
  const jobs = await jobTimings(platform, run.id, stats.n);
  const completedAt = done.completedAt ? Date.parse(done.completedAt) : stats.last_ms;
  return {
    label,
    workers: platform.workers.length,
    concurrency: platform.options.itemConcurrency,
    latencyMs: platform.options.stubLatencyMs,
    items: stats.n,
    errored: stats.errored,
    failed: stats.failed,
    wallSeconds,
    resultSpanSeconds: stats.span,
    itemsPerSecond: stats.span > 0 ? (stats.n - 1) / stats.span : 0,
    startSeconds: jobs ? (jobs.firstProcessedOn - postedAt) / 1000 : null,
    finishSeconds: (completedAt - stats.last_ms) / 1000,
    providerLatency: { p50: stats.lat50, p99: stats.lat99, mean: stats.latmean, max: stats.latmax },
    queueWait: { p50: stats.qw50, p99: stats.qw99, mean: stats.qwmean, max: stats.qwmax },
    engineMs: stats.engine,
    handlerMs: jobs?.handler ?? null,
    inFlight: jobs?.inFlight ?? null,
    enqueueSeconds: jobs?.enqueueSeconds ?? null,
    perWorker,
    cpu,
    postgres,
    backgroundCores,
    tenths,
    runsTable: {
      updates: tableAfter.updates - tableBefore.updates,
      hotUpdates: tableAfter.hotUpdates - tableBefore.hotUpdates,
      tableBytes: tableAfter.tableBytes,
      indexBytes: tableAfter.indexBytes,
    },
  };
}

/** Reads processedOn / finishedOn / timestamp of the run's item jobs (kept by removeOnComplete). */
async function jobTimings(platform: Platform, runId: string, count: number) {
  const redis = platform.queueRedis;
  const queue = itemQueueName(`connection:${CONNECTION}`);
  const seqs = (
    await platform.sql.query<{ seq: number; epoch: number }>(
      'SELECT seq, epoch FROM run_results WHERE run_id = $1',
      [runId],
    )
  ).rows;
  const handler: number[] = [];
  let firstProcessedOn = Infinity;
  let lastFinishedOn = 0;
  let firstAdded = Infinity;
  let lastAdded = 0;
  let busy = 0;
  for (let i = 0; i < seqs.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const { seq, epoch } of seqs.slice(i, i + 1000)) {
      pipeline.hmget(
        `${platform.prefix}:${queue}:item-${runId}-${seq}-${epoch}`,
        'timestamp',
        'processedOn',
        'finishedOn',
      );
    }
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      const [timestamp, processedOn, finishedOn] = ((error ? [] : value) as (string | null)[]).map(Number);
      if (!processedOn || !finishedOn) {
        continue;
      }
      handler.push(finishedOn - processedOn);
      busy += finishedOn - processedOn;
      firstProcessedOn = Math.min(firstProcessedOn, processedOn);
      lastFinishedOn = Math.max(lastFinishedOn, finishedOn);
      firstAdded = Math.min(firstAdded, timestamp);
      lastAdded = Math.max(lastAdded, timestamp);
    }
  }
  if (handler.length < count * 0.9) {
    return null; // the queue dropped them (removeOnComplete keeps 10,000): no figures rather than wrong ones
  }
  return {
    handler: percentiles(handler),
    inFlight: busy / Math.max(1, lastFinishedOn - firstProcessedOn),
    firstProcessedOn,
    enqueueSeconds: (lastAdded - firstAdded) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

const profiles: { label: string; items: number; summary: ProfileSummary }[] = [];

async function withPlatform<T>(
  options: Options,
  config: { label: string; workers: number; concurrency: number; latencyMs: number },
  work: (platform: Platform) => Promise<T>,
): Promise<T> {
  const profileDir = options.cpuProfileDir ? join(options.cpuProfileDir, config.label) : '';
  if (profileDir) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const platform = new Platform({
    workerNodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    postgresUrl: options.postgresUrl,
    redisUrl: options.redisUrl,
    workers: config.workers,
    itemConcurrency: config.concurrency,
    stubLatencyMs: config.latencyMs,
    poolSize: options.poolSize,
    label: config.label,
  });
  let items = 0;
  try {
    await platform.start();
    const result = await work(platform);
    items = Number(
      (await platform.sql.query<{ n: string }>('SELECT count(*) AS n FROM run_results')).rows[0].n,
    );
    return result;
  } finally {
    const problems = await platform.stop();
    problems.forEach((p) => console.error(`  cleanup: ${p}`));
    if (profileDir && items > 0) {
      profiles.push({ label: config.label, items, summary: summariseProfiles(profileDir) });
    }
  }
}

/** Dataset and suite for the measured run, and a small warm-up run that also makes every worker listen. */
async function prepare(
  platform: Platform,
  items: number,
  concurrency: number,
  warmupItems: number,
): Promise<void> {
  const stubUrl = platform.stubUrl;
  await platform.createConnection(CONNECTION, stubUrl);
  await platform.uploadDataset('bench-items', datasetJsonl(items));
  await platform.publishSuite(suiteYaml('bench-suite', 'bench-items', concurrency));
  if (warmupItems > 0) {
    await platform.uploadDataset('bench-warmup', datasetJsonl(warmupItems, 'w'));
    await platform.publishSuite(suiteYaml('bench-warmup', 'bench-warmup', concurrency));
    const warm = await platform.startRun('bench-warmup@1');
    await platform.waitForCompletion(warm.id, 50, 300_000);
  }
  const queue = itemQueueName(`connection:${CONNECTION}`);
  if (!(await platform.waitForItemWorkers(queue, platform.workers.length))) {
    console.error(`  note: not every worker was seen listening on ${queue} before the measured run`);
  }
}

async function throughputScenario(
  options: Options,
  label: string,
  workers: number,
  latencyMs: number,
): Promise<RunFigures> {
  process.stderr.write(
    `[${label}] ${options.items} items, ${workers} worker(s) at concurrency ${options.concurrency}, stub ${latencyMs} ms…\n`,
  );
  return withPlatform(
    options,
    { label, workers, concurrency: options.concurrency, latencyMs },
    async (platform) => {
      await prepare(platform, options.items, options.concurrency, options.warmupItems);
      return measureRun(platform, 'bench-suite@1', label, options);
    },
  );
}

interface CliFigures {
  seconds: number;
  engineSeconds: number;
  exitCode: number;
}

function runCli(args: string[]): Promise<{ code: number; output: string; seconds: number }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('GATEHOUSE_') && !['DATABASE_URL', 'REDIS_URL'].includes(key),
    ),
  );
  const started = performance.now();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/gatehouse.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...env, OPENAI_API_KEY: 'sk-bench', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      resolve({ code: code ?? -1, output, seconds: (performance.now() - started) / 1000 }),
    );
  });
}

async function cliEngineRun(dir: string, suiteFile: string, round: number): Promise<CliFigures> {
  const out = join(dir, `report-${round}.json`);
  const result = await runCli(['eval', 'run', suiteFile, '--out', out, '--evals-dir', dir, '--no-progress']);
  if (result.code !== 0 && result.code !== 1) {
    throw new Error(`gatehouse eval run exited ${result.code}:\n${result.output.slice(-3000)}`);
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    manifest: { startedAt: string; completedAt: string };
    summary: { items: { scored: number; total: number } };
  };
  if (report.summary.items.scored !== report.summary.items.total) {
    throw new Error(`the CLI scored ${report.summary.items.scored} of ${report.summary.items.total} items`);
  }
  return {
    seconds: result.seconds,
    engineSeconds: (Date.parse(report.manifest.completedAt) - Date.parse(report.manifest.startedAt)) / 1000,
    exitCode: result.code,
  };
}

interface CompareFigures {
  cold: RunFigures;
  warm: RunFigures[];
  cli: CliFigures[];
}

async function compareScenario(options: Options): Promise<CompareFigures> {
  const label = 's4';
  const concurrency = options.compareConcurrency;
  process.stderr.write(
    `[${label}] ${options.platformItems} items, stub ${options.fastLatencyMs} ms, concurrency ${concurrency}: platform vs CLI…\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-queue-'));
  try {
    return await withPlatform(
      options,
      { label, workers: 1, concurrency, latencyMs: options.fastLatencyMs },
      async (platform) => {
        const jsonl = datasetJsonl(options.platformItems);
        await platform.createConnection(CONNECTION, platform.stubUrl);
        await platform.uploadDataset('bench-items', jsonl);
        await platform.publishSuite(suiteYaml('bench-suite', 'bench-items', concurrency));
        // The CLI's evals dir: the same items frozen by `gatehouse dataset freeze`, the same suite.
        writeFileSync(join(dir, 'items.jsonl'), jsonl);
        const freeze = await runCli([
          'dataset',
          'freeze',
          join(dir, 'items.jsonl'),
          '--name',
          'bench-items',
          '--evals-dir',
          dir,
        ]);
        if (freeze.code !== 0) {
          throw new Error(`gatehouse dataset freeze exited ${freeze.code}:\n${freeze.output}`);
        }
        mkdirSync(join(dir, 'suites'));
        const suiteFile = join(dir, 'suites', 'bench-suite.yaml');
        writeFileSync(
          suiteFile,
          suiteYaml(
            'bench-suite',
            'bench-items',
            concurrency,
            `{ type: openai, model: stub, baseUrl: "${platform.stubUrl}", apiKeyEnv: OPENAI_API_KEY }`,
          ),
        );
        // The first run on a fresh platform: pays queue discovery (a 2 s timer), JIT and new connections.
        const cold = await measureRun(platform, 'bench-suite@1', 'platform, first run', options);
        const warm: RunFigures[] = [];
        const cli: CliFigures[] = [];
        for (let round = 0; round < options.rounds; round++) {
          warm.push(await measureRun(platform, 'bench-suite@1', `platform, warm ${round + 1}`, options));
          await waitForQuietMachine(options, 'cli');
          cli.push(await cliEngineRun(dir, suiteFile, round));
        }
        return { cold, warm, cli };
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Printing

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? 'n/a' : `${fixed(value)} ms`;
const seconds = (value: number | null | undefined) =>
  value === null || value === undefined ? 'n/a' : `${fixed(value, 2)} s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

function idealRate(run: RunFigures): number {
  return (run.workers * run.concurrency * 1000) / run.latencyMs;
}

function printThroughput(runs: RunFigures[], single: RunFigures | undefined): void {
  const t = table([
    'scenario',
    'items/s (first→last result)',
    'ideal',
    'fraction of ideal',
    'vs 1 worker',
    'wall (POST→completed)',
    'errored',
  ]);
  for (const run of runs) {
    const fraction = run.itemsPerSecond / idealRate(run);
    const ratio =
      single && run !== single && run.workers > 1
        ? `${fixed(run.itemsPerSecond / single.itemsPerSecond, 2)}x`
        : '';
    t.push([
      `${run.label}: ${run.items} items, ${run.workers} worker(s) x ${run.concurrency}, stub ${run.latencyMs} ms`,
      fixed(run.itemsPerSecond),
      fixed(idealRate(run)),
      `${fixed(fraction, 2)} ${run.latencyMs >= 100 ? (fraction >= 0.85 ? 'PASS' : 'BELOW') : ''} ${run.latencyMs >= 100 ? '(target >= 0.85)' : '(CPU-bound)'}`,
      ratio,
      seconds(run.wallSeconds),
      String(run.errored),
    ]);
  }
  console.log(t.toString());
}

function printWhereTimeGoes(runs: RunFigures[]): void {
  const t = table([
    'scenario',
    'jobs in flight (avg)',
    'job handler p50 / mean',
    'provider p50',
    'engine (call+score) mean',
    'DB + plan (handler - engine)',
    'BullMQ between jobs',
    'POST→first job / enqueue / aggregate',
  ]);
  for (const run of runs) {
    const slotMs = run.inFlight !== null ? (run.inFlight * 1000) / run.itemsPerSecond : null; // Little's law
    const totalSlots = run.workers * run.concurrency;
    const slotPerItemMs = (totalSlots * 1000) / run.itemsPerSecond;
    t.push([
      run.label,
      run.inFlight === null ? 'n/a' : `${fixed(run.inFlight)} of ${totalSlots}`,
      run.handlerMs ? `${ms(run.handlerMs.p50)} / ${ms(run.handlerMs.mean)}` : 'n/a',
      ms(run.providerLatency.p50),
      ms(run.engineMs),
      run.handlerMs ? ms(run.handlerMs.mean - run.engineMs) : 'n/a',
      slotMs === null ? 'n/a' : `${ms(slotPerItemMs - slotMs)}/item/slot`,
      `${seconds(run.startSeconds)} / ${seconds(run.enqueueSeconds)} / ${seconds(run.finishSeconds)}`,
    ]);
  }
  console.log(t.toString());
}

const ours = (run: RunFigures) =>
  run.cpu.workers.reduce((a, b) => a + b, 0) +
  run.cpu.api +
  run.cpu.postgres +
  run.cpu.redis +
  run.cpu.stub +
  run.cpu.bench;

function printCpu(runs: RunFigures[]): void {
  const t = table([
    'scenario',
    'window',
    'worker(s) CPU',
    'API',
    'PostgreSQL (bench DB backends)',
    'Redis',
    'stub',
    'machine busy',
    'others (not this benchmark)',
  ]);
  const cell = (cpuSeconds: number, run: RunFigures) =>
    `${fixed((cpuSeconds / run.cpu.windowSeconds) * 100)}% core, ${fixed((cpuSeconds * 1000) / run.items, 2)} ms/item`;
  for (const run of runs) {
    t.push([
      run.label,
      seconds(run.cpu.windowSeconds),
      run.cpu.workers.map((w) => cell(w, run)).join('\n'),
      cell(run.cpu.api, run),
      cell(run.cpu.postgres, run),
      cell(run.cpu.redis, run),
      cell(run.cpu.stub, run),
      `${fixed(run.cpu.machineBusy / run.cpu.windowSeconds, 2)} of ${run.cpu.machineCores} cores`,
      `${fixed(Math.max(0, run.cpu.machineBusy - ours(run)) / run.cpu.windowSeconds, 2)} cores during, ${fixed(run.backgroundCores, 2)} before`,
    ]);
  }
  console.log(t.toString());
}

function printPostgres(runs: RunFigures[]): void {
  printPostgresActivity(runs, 'scenario', 'idle in txn (waiting for the worker)');
}

function printPercentiles(runs: RunFigures[]): void {
  const t = table(['run', 'items', 'provider latency p50', 'p99', 'queue wait p50', 'p99', 'queue wait max']);
  for (const run of runs) {
    t.push([
      run.label,
      String(run.items),
      ms(run.providerLatency.p50),
      ms(run.providerLatency.p99),
      ms(run.queueWait.p50),
      ms(run.queueWait.p99),
      ms(run.queueWait.max),
    ]);
  }
  console.log(t.toString());
}

function printCompare(figures: CompareFigures, options: Options): void {
  const platformWall = median(figures.warm.map((r) => r.wallSeconds));
  const cliWall = median(figures.cli.map((r) => r.seconds));
  const cliEngine = median(figures.cli.map((r) => r.engineSeconds));
  const ideal = (options.platformItems * options.fastLatencyMs) / options.compareConcurrency / 1000;
  const t = table(['path', 'wall', 'items/s', `ratio to the CLI (target <= 2x)`]);
  const rate = (s: number) => fixed(options.platformItems / s);
  const verdict = (r: number) => `${fixed(r, 2)}x ${r <= 2 ? 'PASS' : 'BELOW'}`;
  t.push(
    [
      `platform, warm (median of ${figures.warm.length}): POST /v1/runs → completed`,
      seconds(platformWall),
      rate(platformWall),
      verdict(platformWall / cliWall),
    ],
    [
      'platform, first run on fresh processes (queue discovery, cold JIT)',
      seconds(figures.cold.wallSeconds),
      rate(figures.cold.wallSeconds),
      verdict(figures.cold.wallSeconds / cliWall),
    ],
    [
      `CLI \`gatehouse eval run\` (a fresh process each, median of ${figures.cli.length}): process wall`,
      seconds(cliWall),
      rate(cliWall),
      '1.00x',
    ],
    [
      '  of which the engine run itself (manifest startedAt → completedAt)',
      seconds(cliEngine),
      rate(cliEngine),
      `platform / engine only: ${fixed(platformWall / cliEngine, 2)}x`,
    ],
  );
  console.log(`  ideal (items x latency / concurrency): ${seconds(ideal)}`);
  console.log(t.toString());
  const w = figures.warm[Math.floor((figures.warm.length - 1) / 2)];
  console.log(
    `  platform (a warm run): POST → first job started ${seconds(w.startSeconds)}, first → last result ${seconds(w.resultSpanSeconds)}, last result → completed (aggregation) ${seconds(w.finishSeconds)}`,
  );
}

function printRunsTable(runs: RunFigures[]): void {
  const t = table([
    'scenario',
    'items/s by tenth of the run (first … last)',
    'evaluation_runs updates (HOT)',
    'evaluation_runs heap / indexes after',
  ]);
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
  for (const run of runs) {
    const u = run.runsTable;
    t.push([
      run.label,
      run.tenths.map((r) => fixed(r)).join(' '),
      `${u.updates} (${u.updates > 0 ? fixed((u.hotUpdates / u.updates) * 100) : '0'}% HOT)`,
      `${mb(u.tableBytes)} / ${mb(u.indexBytes)}`,
    ]);
  }
  console.log(t.toString());
}

function printLimits(run: RunFigures, poolSize: number): void {
  const notes: string[] = [];
  const cores = run.cpu.machineBusy / run.cpu.windowSeconds;
  if (cores >= 0.9 * run.cpu.machineCores) {
    notes.push(`the machine's CPU is saturated (${fixed(cores, 2)} of ${run.cpu.machineCores} cores busy)`);
  }
  run.cpu.workers.forEach((w, i) => {
    if (w / run.cpu.windowSeconds >= 0.85) {
      notes.push(
        `worker ${i + 1}'s event loop is near one full core (${fixed((w / run.cpu.windowSeconds) * 100)}%)`,
      );
    }
  });
  if (run.cpu.stub / run.cpu.windowSeconds >= 0.85) {
    notes.push(`the stub is near one full core (${fixed((run.cpu.stub / run.cpu.windowSeconds) * 100)}%)`);
  }
  const a = run.postgres.activity;
  const busy = a.cpu + a['row lock'] + a['WAL flush'] + a['other wait'] + a['idle in transaction'];
  if (busy >= 0.8 * poolSize * run.workers) {
    notes.push(
      `the workers' PostgreSQL pools are nearly always busy (${fixed(busy, 1)} of ${poolSize * run.workers} connections)`,
    );
  }
  const others = Math.max(0, run.cpu.machineBusy - ours(run)) / run.cpu.windowSeconds;
  if (others >= 0.3) {
    notes.push(
      `other processes on the machine took ${fixed(others, 2)} cores during the run (figures are pessimistic)`,
    );
  }
  if (a['row lock'] >= 1) {
    notes.push(`${fixed(a['row lock'], 1)} backends on average wait for a row lock (the run's counter row)`);
  }
  console.log(`  ${run.label} limits: ${notes.length ? notes.join('; ') : 'no single resource saturated'}`);
}

/** Which code was measured: other engineers change the tree while benchmarks run. */
// ---------------------------------------------------------------------------------------------------

/** The compiled files whose digests say which queue code was measured. */
const QUEUE_CODE = [
  'libs/application/src/runs/execution/item-executor.service.js',
  'libs/application/src/runs/execution/run-plans.js',
  'libs/persistence/src/runs/run-result.writer.js',
  'libs/queue/src/bullmq-job-queue.js',
];

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage());
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  stopProcessesOnExit(() => {
    killAllChildren();
    killRegisteredPids();
  });
  console.log(
    `Gatehouse queue benchmark on Node ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}` +
      `\n  code: ${codeVersion(QUEUE_CODE)}` +
      `\n  PostgreSQL pool per process: ${options.poolSize ?? '10 (default)'}; warm-up run before 1-3: ${options.warmupItems} items; the stub runs in its own process`,
  );
  const runs: RunFigures[] = [];
  let single: RunFigures | undefined;
  if (options.scenarios.has(1)) {
    single = await throughputScenario(options, 's1', 1, options.latencyMs);
    runs.push(single);
  }
  if (options.scenarios.has(2)) {
    runs.push(await throughputScenario(options, 's2', 2, options.latencyMs));
  }
  if (options.scenarios.has(3)) {
    runs.push(await throughputScenario(options, 's3', 1, options.fastLatencyMs));
  }
  const compare = options.scenarios.has(4) ? await compareScenario(options) : null;

  if (runs.length > 0) {
    console.log('\n1-3. Throughput on the platform (items/s from the run’s first to last result row)');
    printThroughput(runs, single);
    const s2 = runs.find((r) => r.workers === 2);
    if (s2) {
      console.log(`  items per worker in s2: ${s2.perWorker.join(' / ')}`);
    }
    console.log('\nWhere an item’s time goes (BullMQ job hashes + run_results; per item unless marked)');
    printWhereTimeGoes(runs);
    console.log('\nCPU during each measured run (POST → completed), % of one core and CPU ms per item');
    printCpu(runs);
    console.log('\nPostgreSQL backends of the bench database (average over samples every 100 ms)');
    printPostgres(runs);
    console.log(
      '  idle in txn: a transaction waits for the worker’s next statement; idle: in the pool, or a result the worker has not read yet.',
    );
    console.log(
      '\nThe run row every item updates (counters, updated_at): throughput over the run and table growth',
    );
    printRunsTable(runs);
    for (const run of runs) {
      printLimits(run, options.poolSize ?? 10);
    }
  }
  if (compare) {
    console.log(
      `\n4. ${options.platformItems} items, stub ${options.fastLatencyMs} ms, concurrency ${options.compareConcurrency}: full platform path vs the CLI engine`,
    );
    printCompare(compare, options);
  }
  for (const { label, items, summary } of profiles) {
    console.log(
      `\nWorker CPU profile, ${label}: ${fixed(summary.busyMs / 1000, 1)} s busy in ${summary.files} process(es) over ${items} items (whole process life, warm-up and start included)`,
    );
    const t = table([
      'charged to the nearest package on the stack',
      'share',
      'CPU ms/item',
      'own code of the sampled frame',
      'share',
      'CPU ms/item',
    ]);
    for (let i = 0; i < 16; i++) {
      const a = summary.owner[i];
      const b = summary.self[i];
      t.push([
        a?.name ?? '',
        a ? `${fixed(a.share * 100, 1)}%` : '',
        a ? fixed(a.ms / items, 3) : '',
        b?.name ?? '',
        b ? `${fixed(b.share * 100, 1)}%` : '',
        b ? fixed(b.ms / items, 3) : '',
      ]);
    }
    console.log(t.toString());
  }
  const all = [...runs, ...(compare ? [compare.cold, ...compare.warm] : [])];
  if (all.length > 0) {
    console.log('\n5. Provider latency vs queue wait (run_results of the runs above)');
    printPercentiles(all);
    console.log(
      '  queue wait = job start - job added: with every item enqueued at once it is mostly backlog (items ÷ throughput), not pick-up delay.',
    );
  }
}

main().then(
  () => {
    killAllChildren();
    killRegisteredPids();
  },
  (error: unknown) => {
    console.error(
      `bench:queue failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    killAllChildren();
    killRegisteredPids();
    process.exitCode = 1;
  },
);
