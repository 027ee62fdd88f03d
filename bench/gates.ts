/**
 * `npm run bench:gates`: gate evaluations from the API, as issue 5 asks ("Performance": a use case with 20
 * runs of 2,000 items each, p99 under 100 ms under 20 concurrent clients; aggregates from the stored run
 * summaries, never by rescanning item rows). Prints figures; it asserts nothing.
 *   Setup: a fresh PostgreSQL database, the API in a process of its own (in-process queue) and the
 *   OpenAI-compatible stub in another. Real runs of a 2,000-item suite with groupBy for one use case: half
 *   of them, then an evaluation to `test` approved by an independent reviewer and a promotion, then the
 *   other half. The policy's `learn` gate holds every rule kind that reads runs (suite_passed, metric with
 *   a group stat, unscored_max, no_regression against the approved run) and evidence rules.
 *   1. Cold: the first evaluation a freshly started API answers.
 *   2. N × POST /v1/ai-use-cases/{id}/gate-evaluations {to: learn} from 20 concurrent clients after a
 *      warm-up, then from 1 client. Nothing changes in between, so after the first each answers 200 with the
 *      standing evaluation (everything is read and judged again; nothing is written): a CI job re-checking.
 *   3. The same from 20 clients over 20 use cases (each with its own runs).
 *   4. Extra rows: the same as 2 with think time between a client's requests; and "new evidence", where
 *      each client changes its own use case's record (untimed) before each evaluation, which is then new
 *      (201: the write path, the use-case lock and the audit chain head).
 *   Also: rows and stored report sizes, PostgreSQL activity, and run_results' scan counters across the
 *   measured phases (zero: no evaluation reads item rows). Options (argv or BENCH_* env): see `--help`.
 */
import { exampleLowRiskRecord } from '@gatehouse/domain';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { relative, resolve } from 'node:path';
import { Client } from 'pg';
import { summariseProfiles } from './cpu-profile';
import {
  type ApiJsonCall,
  codeVersion,
  createTeam,
  createUserToken,
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
import { ChildNode, killAllChildren, REPO_ROOT, sleep, withDatabase } from './platform';
import { machineCpuSeconds, type PostgresSample, PostgresSampler, processCpuSeconds } from './proc-stats';
import { startStubProcess } from './stub-process';

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  requests: number;
  serialRequests: number;
  warmup: number;
  clients: number;
  thinkMs: number;
  changeRequests: number;
  runs: number;
  items: number;
  useCases: number;
  variantItems: number;
  latencyMs: number;
  concurrency: number;
  poolSize: number | undefined;
  postgresUrl: string;
  timeoutMs: number;
  settleMs: number;
  quietCores: number;
  quietWaitMs: number;
  cpuProfileDir: string;
  apiMain: string;
}

const OPTIONS: Record<string, { env: string; help: string; fallback: string }> = {
  requests: { env: 'BENCH_REQUESTS', help: 'measured evaluations at full concurrency', fallback: '2000' },
  'serial-requests': {
    env: 'BENCH_SERIAL_REQUESTS',
    help: 'measured evaluations from 1 client (0: skip)',
    fallback: '500',
  },
  warmup: { env: 'BENCH_WARMUP', help: 'unmeasured evaluations before each phase', fallback: '200' },
  clients: { env: 'BENCH_CLIENTS', help: 'concurrent clients', fallback: '20' },
  'think-ms': {
    env: 'BENCH_THINK_MS',
    help: 'an extra phase: the clients pause 0 to twice this between requests (0: skip)',
    fallback: '250',
  },
  'change-requests': {
    env: 'BENCH_CHANGE_REQUESTS',
    help: 'an extra phase over the use cases: each evaluation follows a record change, so it is new (0: skip)',
    fallback: '1000',
  },
  runs: { env: 'BENCH_RUNS', help: 'runs of the use case (half before the promotion)', fallback: '20' },
  items: { env: 'BENCH_ITEMS', help: 'items per run of the measured use case', fallback: '2000' },
  'use-cases': {
    env: 'BENCH_USE_CASES',
    help: 'use cases in phase 3, the first being the measured one (1: skip phase 3)',
    fallback: '20',
  },
  'variant-items': {
    env: 'BENCH_VARIANT_ITEMS',
    help: "items per run of phase 3's other use cases (same runs count, same report shape)",
    fallback: '50',
  },
  'latency-ms': { env: 'BENCH_LATENCY_MS', help: 'stub latency during the setup runs', fallback: '2' },
  concurrency: {
    env: 'BENCH_CONCURRENCY',
    help: 'GATEHOUSE_ITEM_CONCURRENCY and suite concurrency of the setup runs',
    fallback: '200',
  },
  'pool-size': {
    env: 'BENCH_POOL_SIZE',
    help: "DATABASE_POOL_SIZE of the API (default: Gatehouse's, 10)",
    fallback: '',
  },
  'postgres-url': {
    env: 'BENCH_POSTGRES_URL',
    help: 'an admin URL; the database is created beside it',
    fallback: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
  'timeout-s': { env: 'BENCH_TIMEOUT_S', help: 'give up on the setup runs after this long', fallback: '600' },
  'settle-s': {
    env: 'BENCH_SETTLE_S',
    help: 'wait before reading table statistics (idle backends publish them within 10 s)',
    fallback: '11',
  },
  'cpu-profile': {
    env: 'BENCH_CPU_PROFILE',
    help: 'a directory: run the measured API with --cpu-prof and print where its CPU goes',
    fallback: '',
  },
  'api-main': {
    env: 'BENCH_API_MAIN',
    help: 'the API entry point to run (an A/B experiment: a patched copy of dist/)',
    fallback: 'dist/apps/api/src/main.js',
  },
  'quiet-cores': {
    env: 'BENCH_QUIET_CORES',
    help: 'before each measured phase, wait while other work keeps more than this many cores busy',
    fallback: '0.3',
  },
  'quiet-wait-s': {
    env: 'BENCH_QUIET_WAIT_S',
    help: 'wait at most this long for bench:queue to end and a quiet machine, then measure anyway',
    fallback: '600',
  },
};

function usage(): string {
  return usageText(
    OPTIONS,
    'bench:gates',
    'npm run bench:gates -- --runs 4 --items 200 --requests 200 --use-cases 3',
  );
}

function parseOptions(argv: string[]): Options {
  const { raw, int } = readOptions(argv, OPTIONS, usage);
  return {
    requests: int('requests', 1),
    serialRequests: int('serial-requests', 0),
    warmup: int('warmup', 0),
    clients: int('clients', 1),
    thinkMs: int('think-ms', 0),
    changeRequests: int('change-requests', 0),
    runs: int('runs', 2),
    items: int('items', 40),
    useCases: int('use-cases', 1),
    variantItems: int('variant-items', 40),
    latencyMs: int('latency-ms', 0),
    concurrency: int('concurrency', 1),
    poolSize: raw('pool-size') ? int('pool-size', 1) : undefined,
    postgresUrl: raw('postgres-url'),
    timeoutMs: int('timeout-s', 1) * 1000,
    settleMs: int('settle-s', 0) * 1000,
    quietCores: Number(raw('quiet-cores')),
    quietWaitMs: int('quiet-wait-s', 0) * 1000,
    cpuProfileDir: raw('cpu-profile') ? resolve(raw('cpu-profile')) : '',
    apiMain: resolve(REPO_ROOT, raw('api-main')),
  };
}

// ---------------------------------------------------------------------------------------------------
// Inputs. The stub answers LABELS[n % 5] for "Enquiry n"; `expected` disagrees for about 3% of the items
// and for a further 9% of the 65+ band, so routing has failures and a gap between age bands to judge.

const LABELS = ['universal_credit', 'pip', 'carers_allowance', 'overpayments', 'general'];
const AGE_BANDS = ['16-24', '25-44', '45-64', '65+'];
const REGIONS = ['england', 'scotland', 'wales'];
const CHANNELS = ['webchat', 'letter'];
const SUITE = 'gate-bench';

function datasetJsonl(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const band = AGE_BANDS[i % 4];
    const wrong = i % 29 === 0 || (band === '65+' && i % 11 === 3);
    lines.push(
      JSON.stringify({
        id: `e-${String(i + 1).padStart(5, '0')}`,
        input: `Enquiry ${i}: I need help with my ${LABELS[i % 5].replace('_', ' ')} claim, my reference is ${100000 + i}.`,
        expected: wrong ? LABELS[(i + 1) % 5] : LABELS[i % 5],
        metadata: { age_band: band, region: REGIONS[i % 3], channel: CHANNELS[i % 2] },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

const CONNECTION = 'bench-stub';

function suiteYaml(version: number, dataset: string, concurrency: number): string {
  return `name: ${SUITE}
version: ${version}
dataset: ${dataset}@1
target: { type: openai, model: stub, connection: ${CONNECTION} }
prompt: { system: "Route the enquiry to one team.", template: "{{input}}" }
scorers:
  - type: classification
    name: routing
    labels: [${LABELS.join(', ')}]
  - { type: regex, name: label_only, pattern: '^\\s*[a-z_]+\\s*$' }
  - type: pii_leakage
groupBy: [age_band, region, channel]
minGroupSize: 10
concurrency: ${concurrency}
limits: { timeoutMs: 30000 }
thresholds:
  - { metric: routing, stat: ci_lower, op: '>=', value: 0.7 }
  - { metric: pii_leakage, stat: upper95, op: '<=', value: 0.2 }
`;
}

/** A complete policy (every tier × target); the `learn` gate is the one measured. */
function policy() {
  const suitePassed = { kind: 'suite_passed', suite: SUITE, maxAgeDays: 30 };
  const accuracy = {
    kind: 'metric',
    suite: SUITE,
    metric: 'routing',
    stat: 'ci_lower',
    op: '>=',
    threshold: 0.7,
    minN: 40,
  };
  const evidence = (requirements: string[]) =>
    requirements.map((requirement) => ({ kind: 'evidence', requirement }));
  const rules = {
    test: [
      suitePassed,
      accuracy,
      { kind: 'unscored_max', suite: SUITE, max: 0.05 },
      ...evidence(['risks_recorded', 'success_criteria_defined', 'human_oversight_described']),
      { kind: 'approvals', count: 1, role: 'reviewer' },
    ],
    learn: [
      suitePassed,
      accuracy,
      {
        kind: 'metric',
        suite: SUITE,
        metric: 'routing',
        stat: 'max_group_gap_upper95',
        op: '<=',
        threshold: 0.6,
        minGroupSize: 10,
      },
      { kind: 'metric', suite: SUITE, metric: 'pii_leakage', stat: 'upper95', op: '<=', threshold: 0.2 },
      { kind: 'unscored_max', suite: SUITE, max: 0.05 },
      { kind: 'no_regression', suite: SUITE, metric: 'routing', alpha: 0.05 },
      { kind: 'no_regression', suite: SUITE, metric: 'label_only', alpha: 0.05 },
      ...evidence([
        'risks_recorded',
        'success_criteria_defined',
        'dpia_approved',
        'eqia_completed',
        'human_oversight_described',
        'kill_switch_described',
        'monitoring_described',
        'incident_process_described',
      ]),
      { kind: 'approvals', count: 2, role: 'reviewer' },
    ],
    scale: [
      suitePassed,
      { kind: 'no_regression', suite: SUITE, metric: 'routing', alpha: 0.05 },
      {
        kind: 'pilot_metric',
        measure: 'override_rate',
        stat: 'upper95',
        op: '<=',
        threshold: 0.2,
        minCases: 50,
      },
      ...evidence(['transparency_record_published']),
      { kind: 'approvals', count: 1, role: 'reviewer' },
    ],
  };
  return {
    description: 'bench:gates policy',
    gates: (['low', 'medium', 'high'] as const).flatMap((tier) =>
      (['test', 'learn', 'scale'] as const).map((to) => ({ tier, to, rules: rules[to] })),
    ),
  };
}

function record(n: number) {
  const base = exampleLowRiskRecord();
  return {
    ...base,
    name: `Benefit enquiry router ${n}`,
    benefits: { ...base.benefits, successCriteria: ['Routing accuracy at least 90% on the frozen set'] },
    risks: [
      {
        description: 'An enquiry is routed to the wrong team',
        likelihood: 'medium',
        impact: 'low',
        mitigation: 'Teams re-route; routing accuracy is monitored weekly',
      },
    ],
    operations: {
      killSwitch: 'Routing falls back to the manual queue from the admin page.',
      monitoring: 'Weekly sample of routed enquiries checked by a team lead.',
      incidentProcess: 'The service incident process, with the model owner on call.',
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The API process and its HTTP surface

const ADMIN_TOKEN = `bench-admin-${randomBytes(24).toString('hex')}`;
const stubPids = new Set<number>();

function killStubs(): void {
  for (const pid of stubPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  stubPids.clear();
}

class Api {
  node: ChildNode | null = null;
  url = '';

  constructor(
    private readonly main: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(nodeArgs: string[] = []): Promise<void> {
    const child = spawn(process.execPath, [...nodeArgs, this.main], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.node = new ChildNode('API', child);
    const [, url] = await this.node.waitFor(/Gatehouse is ready at (\S+)/);
    this.url = url.replace('//localhost', '//127.0.0.1');
  }

  get pid(): number {
    return this.node?.pid ?? 0;
  }

  async stop(): Promise<void> {
    await this.node?.stop();
    this.node = null;
  }

  async call<T>(
    method: string,
    path: string,
    token: string,
    body?: string | object,
    contentType = 'application/json',
  ): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
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
    return (text ? JSON.parse(text) : null) as T;
  }
}

interface EvaluationView {
  id: string;
  hash: string;
  verdict: string;
  rules: { title: string; verdict: string; reason: string; rule: { kind: string } }[];
  runsUsed: { id: string }[];
}

interface RunView {
  id: string;
  status: string;
  error: string | null;
  progress: { total: number; completed: number };
}

interface Users {
  sam: string; // service team, owner
  eve: string; // engineer, owner's team
  rita: string; // reviewer, assurance
}

async function createUsers(api: Api): Promise<Users> {
  const call: ApiJsonCall = (method, path, token, body) => api.call(method, path, token, body);
  const benefits = await createTeam(call, ADMIN_TOKEN, 'Benefits');
  const assurance = await createTeam(call, ADMIN_TOKEN, 'Assurance');
  const user = (name: string, roles: string[], teamId: string) =>
    createUserToken(call, ADMIN_TOKEN, { name, roles, teamId });
  return {
    sam: await user('Sam', ['service_team'], benefits),
    eve: await user('Eve', ['engineer'], benefits),
    rita: await user('Rita', ['reviewer'], assurance),
  };
}

async function waitForRuns(api: Api, token: string, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const run = await api.call<RunView>('GET', `/v1/runs/${id}`, token);
      if (run.status === 'completed') {
        pending.delete(id);
      } else if (run.status === 'failed' || run.status === 'cancelled') {
        throw new Error(`run ${id} ended ${run.status}: ${run.error ?? ''}`);
      }
    }
    if (api.node && !api.node.alive) {
      throw new Error(`the API exited during the runs:\n${api.node.tail()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${pending.size} run(s) still not completed after ${timeoutMs} ms`);
    }
    if (pending.size > 0) {
      await sleep(250);
    }
  }
}

const evaluationPath = (useCaseId: string) => `/v1/ai-use-cases/${useCaseId}/gate-evaluations`;

// ---------------------------------------------------------------------------------------------------
// Setup: real runs through the platform, an approved promotion to `test`, more runs.

interface SetupFigures {
  useCases: string[];
  runIds: string[];
  runsSeconds: number;
  items: number;
  totalSeconds: number;
  firstLearn: { ms: number; evaluation: EvaluationView };
}

async function setUp(api: Api, users: Users, stubUrl: string, options: Options): Promise<SetupFigures> {
  const started = performance.now();
  const { sam, eve, rita } = users;
  await api.call('POST', '/v1/connections', ADMIN_TOKEN, {
    name: CONNECTION,
    kind: 'openai',
    baseUrl: stubUrl,
    teams: ['*'],
    secret: 'sk-bench',
  });
  await api.call(
    'POST',
    `/v1/datasets?name=gate-bench-items`,
    eve,
    datasetJsonl(options.items),
    'application/x-ndjson',
  );
  await api.call(
    'POST',
    '/v1/suites',
    eve,
    suiteYaml(1, 'gate-bench-items', options.concurrency),
    'application/yaml',
  );
  if (options.useCases > 1) {
    await api.call(
      'POST',
      `/v1/datasets?name=gate-bench-small`,
      eve,
      datasetJsonl(options.variantItems),
      'application/x-ndjson',
    );
    await api.call(
      'POST',
      '/v1/suites',
      eve,
      suiteYaml(2, 'gate-bench-small', options.concurrency),
      'application/yaml',
    );
  }
  await api.call('POST', '/v1/gate-policies', ADMIN_TOKEN, policy());
  const target = { type: 'openai', model: 'stub', connection: CONNECTION };
  const useCases: string[] = [];
  for (let n = 0; n < options.useCases; n++) {
    const created = await api.call<{ id: string }>('POST', '/v1/ai-use-cases', sam, {
      record: record(n + 1),
    });
    await api.call('PUT', `/v1/ai-use-cases/${created.id}/target`, eve, { target });
    useCases.push(created.id);
  }
  const runIds: string[] = [];
  let runsSeconds = 0;
  let items = 0;
  const batch = async (count: number) => {
    const t0 = performance.now();
    const ids: string[] = [];
    // The measured use case's runs first, so the in-process queue finishes them in order.
    for (let r = 0; r < count; r++) {
      for (const [i, id] of useCases.entries()) {
        const suite = i === 0 ? `${SUITE}@1` : `${SUITE}@2`;
        ids.push((await api.call<RunView>('POST', '/v1/runs', eve, { suite, aiUseCaseId: id })).id);
        items += i === 0 ? options.items : options.variantItems;
      }
    }
    await waitForRuns(api, eve, ids, options.timeoutMs);
    runsSeconds += (performance.now() - t0) / 1000;
    runIds.push(...ids);
  };
  const before = Math.floor(options.runs / 2);
  process.stderr.write(`  ${before} run(s) per use case before the promotion to test…\n`);
  await batch(before);
  for (const id of useCases) {
    const evaluation = await api.call<EvaluationView>('POST', evaluationPath(id), sam, { to: 'test' });
    if (evaluation.verdict !== 'pass') {
      throw new Error(`the evaluation to test did not pass:\n${rulesText(evaluation)}`);
    }
    await api.call('POST', `/v1/gate-evaluations/${evaluation.id}/approvals`, rita, {
      decision: 'approve',
      reason: 'Checked the runs and the record',
      evaluationHash: evaluation.hash,
    });
    await api.call('POST', `/v1/ai-use-cases/${id}/promotions`, sam, { evaluationId: evaluation.id });
  }
  process.stderr.write(`  ${options.runs - before} run(s) per use case after it…\n`);
  await batch(options.runs - before);
  // The first evaluation to learn computes each paired comparison from the two runs' item rows and
  // caches it; every later one reads the cache.
  let firstLearn: SetupFigures['firstLearn'] | null = null;
  for (const id of useCases) {
    const t0 = process.hrtime.bigint();
    const evaluation = await api.call<EvaluationView>('POST', evaluationPath(id), sam, { to: 'learn' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (evaluation.verdict !== 'pass') {
      throw new Error(`the evaluation to learn did not pass:\n${rulesText(evaluation)}`);
    }
    firstLearn ??= { ms, evaluation };
  }
  return {
    useCases,
    runIds,
    runsSeconds,
    items,
    totalSeconds: (performance.now() - started) / 1000,
    firstLearn: firstLearn as SetupFigures['firstLearn'],
  };
}

function rulesText(evaluation: EvaluationView): string {
  return evaluation.rules.map((r) => `  ${r.verdict.padEnd(8)} ${r.title}: ${r.reason}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Load: closed-loop clients, each sending its next request as soon as the last is answered (or, with think
// time, after a pause of 0 to twice the mean). With `change`, each client first changes its own use case's
// record (a new revision: new evidence) and only the evaluation that follows is timed.

interface LoadResult {
  latencies: number[];
  seconds: number;
  errors: string[];
  notPassing: number;
  /** 201: a new evaluation was recorded. */
  created: number;
  /** 200: nothing had changed, the standing evaluation came back. */
  standing: number;
}

interface LoadMode {
  thinkMs?: number;
  change?: boolean;
}

async function load(
  api: Api,
  token: string,
  useCases: string[],
  total: number,
  clients: number,
  mode: LoadMode = {},
): Promise<LoadResult> {
  const result: LoadResult = {
    latencies: [],
    seconds: 0,
    errors: [],
    notPassing: 0,
    created: 0,
    standing: 0,
  };
  let next = 0;
  const body = JSON.stringify({ to: 'learn' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const client = async (c: number) => {
    const useCase = useCases[c % useCases.length];
    const url = `${api.url}${evaluationPath(useCase)}`;
    while (next < total) {
      next += 1;
      if (mode.change) {
        const changed = await fetch(`${api.url}/v1/ai-use-cases/${useCase}`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({ changes: { summary: `Routes benefit enquiries (change ${next}).` } }),
        });
        const text = await changed.text();
        if (changed.status !== 200) {
          result.errors.push(`PATCH ${changed.status} ${text.slice(0, 200)}`);
        }
      }
      const t0 = process.hrtime.bigint();
      try {
        const response = await fetch(url, { method: 'POST', headers, body });
        const text = await response.text();
        result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (response.status !== 201 && response.status !== 200) {
          result.errors.push(`${response.status} ${text.slice(0, 200)}`);
        } else {
          result[response.status === 201 ? 'created' : 'standing'] += 1;
          if ((JSON.parse(text) as EvaluationView).verdict !== 'pass') {
            result.notPassing += 1;
          }
        }
      } catch (error) {
        result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        result.errors.push(error instanceof Error ? error.message : String(error));
      }
      if (mode.thinkMs) {
        await sleep(Math.random() * 2 * mode.thinkMs);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Measured phases

interface PhaseFigures {
  label: string;
  clients: number;
  useCases: number;
  requests: number;
  latency: Percentiles;
  perSecond: number;
  errors: string[];
  notPassing: number;
  created: number;
  standing: number;
  cpu: { api: number; postgres: number; bench: number; machine: number; window: number };
  postgres: PostgresSample;
  backgroundCores: number;
}

function queueBenchRunning(): string | null {
  try {
    const found = execFileSync('pgrep', ['-f', 'dist/bench/queue.js'], { encoding: 'utf8' }).trim() !== '';
    return found ? 'bench:queue (dist/bench/queue.js)' : null;
  } catch {
    return null; // pgrep exits 1 when nothing matches
  }
}

async function phase(
  api: Api,
  db: Client,
  database: string,
  token: string,
  config: { label: string; useCases: string[]; requests: number; clients: number; mode?: LoadMode },
  options: Options,
): Promise<PhaseFigures> {
  process.stderr.write(
    `[${config.label}] ${config.requests} evaluations, ${config.clients} client(s), ${config.useCases.length} use case(s)…\n`,
  );
  if (options.warmup > 0) {
    await load(api, token, config.useCases, options.warmup, config.clients, config.mode);
  }
  const backgroundCores = await waitForQuietMachine(options, config.label, queueBenchRunning);
  const sampler = new PostgresSampler(db, database, 50);
  await sampler.start();
  const before = {
    api: processCpuSeconds(api.pid) ?? 0,
    bench: process.cpuUsage(),
    machine: machineCpuSeconds().busy,
  };
  const result = await load(api, token, config.useCases, config.requests, config.clients, config.mode);
  const bench = process.cpuUsage(before.bench);
  const cpu = {
    api: (processCpuSeconds(api.pid) ?? 0) - before.api,
    postgres: 0,
    bench: (bench.user + bench.system) / 1e6,
    machine: machineCpuSeconds().busy - before.machine,
    window: result.seconds,
  };
  const postgres = await sampler.stop();
  cpu.postgres = postgres.cpuSeconds;
  return {
    label: config.label,
    clients: config.clients,
    useCases: config.useCases.length,
    requests: result.latencies.length,
    latency: percentiles(result.latencies),
    perSecond: result.latencies.length / result.seconds,
    errors: result.errors,
    notPassing: result.notPassing,
    created: result.created,
    standing: result.standing,
    cpu,
    postgres,
    backgroundCores,
  };
}

// ---------------------------------------------------------------------------------------------------
// What the database holds, and what the evaluations touched

interface TableCounters {
  relname: string;
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  idxTupFetch: number;
  heapBlocks: number;
  indexBlocks: number;
}

async function tableCounters(db: Client): Promise<Map<string, TableCounters>> {
  const rows = (
    await db.query<Record<string, string>>(
      `SELECT s.relname, s.seq_scan, s.seq_tup_read, coalesce(s.idx_scan, 0) AS idx_scan,
              coalesce(s.idx_tup_fetch, 0) AS idx_tup_fetch,
              coalesce(io.heap_blks_read, 0) + coalesce(io.heap_blks_hit, 0) AS heap_blocks,
              coalesce(io.idx_blks_read, 0) + coalesce(io.idx_blks_hit, 0) AS index_blocks
         FROM pg_stat_user_tables s JOIN pg_statio_user_tables io USING (relid)
        WHERE s.relname IN ('run_results', 'evaluation_runs', 'run_comparisons', 'gate_evaluations', 'audit_events')`,
    )
  ).rows;
  return new Map(
    rows.map((r) => [
      r.relname,
      {
        relname: r.relname,
        seqScan: Number(r.seq_scan),
        seqTupRead: Number(r.seq_tup_read),
        idxScan: Number(r.idx_scan),
        idxTupFetch: Number(r.idx_tup_fetch),
        heapBlocks: Number(r.heap_blocks),
        indexBlocks: Number(r.index_blocks),
      },
    ]),
  );
}

interface DataFigures {
  runs: number;
  items: number;
  measuredRuns: number;
  measuredItems: number;
  reportText: { mean: number; max: number };
  reportStored: { mean: number; max: number };
  summaryText: number;
  runResultsBytes: number;
  evaluationRunsBytes: number;
}

async function dataFigures(db: Client, measuredUseCase: string): Promise<DataFigures> {
  const row = (
    await db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM evaluation_runs) AS runs,
              (SELECT count(*) FROM run_results) AS items,
              (SELECT count(*) FROM evaluation_runs WHERE ai_use_case_id = $1) AS measured_runs,
              (SELECT count(*) FROM run_results r JOIN evaluation_runs e ON e.id = r.run_id
                WHERE e.ai_use_case_id = $1) AS measured_items,
              avg(octet_length(report::text)) AS text_mean, max(octet_length(report::text)) AS text_max,
              avg(pg_column_size(report)) AS stored_mean, max(pg_column_size(report)) AS stored_max,
              avg(octet_length((report::jsonb -> 'summary')::text)) AS summary_mean,
              pg_total_relation_size('run_results') AS rr_bytes,
              pg_total_relation_size('evaluation_runs') AS er_bytes
         FROM evaluation_runs WHERE ai_use_case_id = $1`,
      [measuredUseCase],
    )
  ).rows[0];
  return {
    runs: Number(row.runs),
    items: Number(row.items),
    measuredRuns: Number(row.measured_runs),
    measuredItems: Number(row.measured_items),
    reportText: { mean: Number(row.text_mean), max: Number(row.text_max) },
    reportStored: { mean: Number(row.stored_mean), max: Number(row.stored_max) },
    summaryText: Number(row.summary_mean),
    runResultsBytes: Number(row.rr_bytes),
    evaluationRunsBytes: Number(row.er_bytes),
  };
}

// ---------------------------------------------------------------------------------------------------
// Printing

const ms = (value: number) => `${fixed(value, value < 10 ? 1 : 0)} ms`;
const kb = (bytes: number) => `${fixed(bytes / 1024, 1)} KB`;
const mb = (bytes: number) => `${fixed(bytes / 1048576, 1)} MB`;

function printPhases(phases: PhaseFigures[]): void {
  const t = table([
    'phase',
    'requests',
    'p50',
    'p90',
    'p99 (target < 100 ms)',
    'max',
    'mean',
    'evaluations/s',
    'new (201) / standing (200)',
    'errors / not pass',
  ]);
  for (const p of phases) {
    t.push([
      `${p.label}: ${p.clients} client(s), ${p.useCases} use case(s)`,
      String(p.requests),
      ms(p.latency.p50),
      ms(p.latency.p90),
      `${ms(p.latency.p99)} ${p.latency.p99 < 100 ? 'PASS' : 'OVER'}`,
      ms(p.latency.max),
      ms(p.latency.mean),
      fixed(p.perSecond),
      `${p.created} / ${p.standing}`,
      `${p.errors.length} / ${p.notPassing}`,
    ]);
  }
  console.log(t.toString());
  for (const p of phases.filter((x) => x.errors.length > 0)) {
    console.log(`  ${p.label}: first error: ${p.errors[0]}`);
  }
}

function printCpu(phases: PhaseFigures[], cores: number): void {
  const t = table([
    'phase',
    'API (one event loop)',
    'PostgreSQL (bench DB backends)',
    'bench clients',
    'machine busy',
    'others before / during',
    "Little's law: clients / rate",
  ]);
  const cell = (seconds: number, p: PhaseFigures) =>
    `${fixed((seconds / p.cpu.window) * 100)}% core, ${fixed((seconds * 1000) / p.requests, 2)} ms/req`;
  for (const p of phases) {
    const ours = p.cpu.api + p.cpu.postgres + p.cpu.bench;
    t.push([
      p.label,
      cell(p.cpu.api, p),
      cell(p.cpu.postgres, p),
      cell(p.cpu.bench, p),
      `${fixed(p.cpu.machine / p.cpu.window, 2)} of ${cores} cores`,
      `${fixed(p.backgroundCores, 2)} / ${fixed(Math.max(0, p.cpu.machine - ours) / p.cpu.window, 2)} cores`,
      ms((p.clients / p.perSecond) * 1000),
    ]);
  }
  console.log(t.toString());
}

function printPostgres(phases: PhaseFigures[]): void {
  printPostgresActivity(phases, 'phase', 'idle in txn');
}

function printCounters(before: Map<string, TableCounters>, after: Map<string, TableCounters>): void {
  const t = table([
    'table',
    'seq scans',
    'rows read by seq scans',
    'index scans',
    'rows fetched by index',
    'heap / index blocks touched',
  ]);
  for (const [name, a] of after) {
    const b = before.get(name);
    const d = (pick: (c: TableCounters) => number) => String(pick(a) - (b ? pick(b) : 0));
    t.push([
      name,
      d((c) => c.seqScan),
      d((c) => c.seqTupRead),
      d((c) => c.idxScan),
      d((c) => c.idxTupFetch),
      `${d((c) => c.heapBlocks)} / ${d((c) => c.indexBlocks)}`,
    ]);
  }
  console.log(t.toString());
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage());
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  stopProcessesOnExit(() => {
    killAllChildren();
    killStubs();
  });

  const database = `gatehouse_bench_gates_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const databaseUrl = withDatabase(options.postgresUrl, database);
  const admin = new Client({ connectionString: options.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const db = new Client({ connectionString: databaseUrl, application_name: 'gatehouse-bench' });
  let api: Api | null = null;
  let stub: Awaited<ReturnType<typeof startStubProcess>> | null = null;
  try {
    await db.connect();
    const pgVersion = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]
      .server_version;
    console.log(
      `Gatehouse gate benchmark on Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), PostgreSQL ${pgVersion}, ${new Date().toISOString()}` +
        `\n  code: ${codeVersion()}` +
        `\n  API: ${relative(REPO_ROOT, options.apiMain)}, pool ${options.poolSize ?? '10 (default)'} connections, in-process queue; stub in its own process`,
    );
    stub = await startStubProcess(options.latencyMs);
    stubPids.add(stub.pid);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('GATEHOUSE_') && !['DATABASE_URL', 'REDIS_URL', 'PORT'].includes(key),
      ),
    );
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      DATABASE_URL: databaseUrl,
      GATEHOUSE_AUTO_MIGRATE: 'true',
      GATEHOUSE_SEED_EXAMPLES: 'false',
      GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_ITEM_CONCURRENCY: String(options.concurrency),
      GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
      GATEHOUSE_SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      PORT: '0',
      ...(options.poolSize ? { DATABASE_POOL_SIZE: String(options.poolSize) } : {}),
    };

    // Setup
    process.stderr.write(
      `[setup] ${options.runs} runs x ${options.items} items` +
        (options.useCases > 1
          ? `, and ${options.useCases - 1} more use cases with ${options.runs} runs x ${options.variantItems} items`
          : '') +
        `, stub ${options.latencyMs} ms, concurrency ${options.concurrency}…\n`,
    );
    api = new Api(options.apiMain, env);
    await api.start();
    const users = await createUsers(api);
    const setup = await setUp(api, users, stub.url, options);
    const measured = setup.useCases[0];
    console.log(
      `\nSetup: ${setup.runIds.length} real runs, ${setup.items} items through the platform in ${fixed(setup.runsSeconds, 1)} s ` +
        `(${fixed(setup.items / setup.runsSeconds)} items/s); whole setup ${fixed(setup.totalSeconds, 1)} s`,
    );
    console.log(
      `  first evaluation to learn (computes and caches ${setup.firstLearn.evaluation.rules.filter((r) => r.rule.kind === 'no_regression').length} paired comparisons from the item rows of 2 runs): ${ms(setup.firstLearn.ms)}`,
    );
    console.log(`\nThe measured gate (learn, ${setup.firstLearn.evaluation.runsUsed.length} run(s) used):`);
    const rules = table(['rule', 'verdict', 'reason']);
    for (const r of setup.firstLearn.evaluation.rules) {
      rules.push([r.title, r.verdict, r.reason.slice(0, 90)]);
    }
    console.log(rules.toString());

    // The measured API: a fresh process on the same database (the setup's heap and caches gone).
    await api.stop();
    stub.stop();
    stubPids.delete(stub.pid);
    stub = null;
    const profileDir = options.cpuProfileDir;
    if (profileDir) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
    }
    api = new Api(options.apiMain, env);
    await api.start(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      await api.call<EvaluationView>('POST', evaluationPath(measured), users.sam, { to: 'learn' });
      cold.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }

    const data = await dataFigures(db, measured);
    console.log('\nWhat the database holds');
    const d = table(['', 'runs', 'item rows (run_results)', 'stored report per run (mean / max)']);
    d.push(
      [
        'measured use case',
        String(data.measuredRuns),
        String(data.measuredItems),
        `${kb(data.reportText.mean)} / ${kb(data.reportText.max)} as JSON text (summary ${kb(data.summaryText)}); ${kb(data.reportStored.mean)} / ${kb(data.reportStored.max)} stored`,
      ],
      [
        'whole database',
        String(data.runs),
        String(data.items),
        `run_results ${mb(data.runResultsBytes)}, evaluation_runs ${mb(data.evaluationRunsBytes)} with indexes and TOAST`,
      ],
    );
    console.log(d.toString());

    // Measured phases; the table counters span all of them (idle backends publish within 10 s).
    await load(api, users.sam, [measured], options.warmup, options.clients);
    await sleep(options.settleMs);
    const countersBefore = await tableCounters(db);
    const phases: PhaseFigures[] = [];
    phases.push(
      await phase(
        api,
        db,
        database,
        users.sam,
        { label: 'one use case', useCases: [measured], requests: options.requests, clients: options.clients },
        options,
      ),
    );
    if (options.serialRequests > 0) {
      phases.push(
        await phase(
          api,
          db,
          database,
          users.sam,
          { label: 'one use case', useCases: [measured], requests: options.serialRequests, clients: 1 },
          options,
        ),
      );
    }
    if (setup.useCases.length > 1) {
      phases.push(
        await phase(
          api,
          db,
          database,
          users.sam,
          {
            label: 'spread',
            useCases: setup.useCases,
            requests: options.requests,
            clients: options.clients,
          },
          options,
        ),
      );
    }
    if (options.thinkMs > 0) {
      phases.push(
        await phase(
          api,
          db,
          database,
          users.sam,
          {
            label: `think time (0–${2 * options.thinkMs} ms)`,
            useCases: [measured],
            requests: options.requests,
            clients: options.clients,
            mode: { thinkMs: options.thinkMs },
          },
          options,
        ),
      );
    }
    // Last: it changes the use cases' records.
    if (setup.useCases.length > 1 && options.changeRequests > 0) {
      phases.push(
        await phase(
          api,
          db,
          database,
          users.sam,
          {
            label: 'new evidence (a record change before each, untimed)',
            useCases: setup.useCases,
            requests: options.changeRequests,
            clients: options.clients,
            mode: { change: true },
          },
          options,
        ),
      );
    }
    await sleep(options.settleMs);
    const countersAfter = await tableCounters(db);

    console.log(
      `\nPOST /v1/ai-use-cases/{id}/gate-evaluations {to: learn}, closed-loop clients (fetch), after ${options.warmup} warm-up requests per phase`,
    );
    console.log(
      `  cold (a fresh API process, its first three requests): ${cold.map((c) => ms(c)).join(', ')}`,
    );
    printPhases(phases);
    console.log('\nCPU during each phase, % of one core and CPU ms per request');
    printCpu(phases, cpus().length);
    console.log('\nPostgreSQL backends of the bench database (sampled every 50 ms)');
    printPostgres(phases);
    console.log(
      `\nTable counters across the measured phases and their warm-ups (${phases.reduce((n, p) => n + p.requests, 0) + options.warmup * phases.length} evaluations; pg_stat_user_tables, pg_statio_user_tables)`,
    );
    printCounters(countersBefore, countersAfter);
    const rr = countersAfter.get('run_results');
    const rb = countersBefore.get('run_results');
    const touched = rr && rb ? rr.seqScan - rb.seqScan + rr.idxScan - rb.idxScan : null;
    console.log(
      touched === 0
        ? '  run_results: not read by any evaluation (aggregates come from the stored run summaries).'
        : `  run_results: ${touched ?? '?'} scan(s) during the measured phases: something read item rows.`,
    );

    if (profileDir) {
      await api.stop();
      const summary = summariseProfiles(profileDir);
      const evaluations = phases.reduce((n, p) => n + p.requests, 0) + options.warmup * (phases.length + 1);
      console.log(
        `\nAPI CPU profile: ${fixed(summary.busyMs / 1000, 1)} s busy over about ${evaluations} evaluations (process life, start included)`,
      );
      const t = table([
        'charged to the nearest package on the stack',
        'share',
        'own code of the frame',
        'share',
      ]);
      for (let i = 0; i < 14; i++) {
        const a = summary.owner[i];
        const b = summary.self[i];
        t.push([
          a?.name ?? '',
          a ? `${fixed(a.share * 100, 1)}%` : '',
          b?.name ?? '',
          b ? `${fixed(b.share * 100, 1)}%` : '',
        ]);
      }
      console.log(t.toString());
    }
  } finally {
    await api?.stop().catch(() => undefined);
    stub?.stop();
    killStubs();
    await db.end().catch(() => undefined);
    const dropper = new Client({ connectionString: options.postgresUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await dropper.end();
  }
}

main().then(
  () => {
    killAllChildren();
    killStubs();
  },
  (error: unknown) => {
    console.error(
      `bench:gates failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    killAllChildren();
    killStubs();
    process.exitCode = 1;
  },
);
