/**
 * What the platform benchmarks share: options from argv or BENCH_* variables (`--help` included),
 * percentiles, number formatting, tables, the PostgreSQL activity table, which code was measured,
 * waiting for a quiet machine, users with their own API tokens, and stopping every process a benchmark
 * started when it is interrupted.
 */
import Table from 'cli-table3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sleep } from './platform';
import { machineCpuSeconds, type PostgresSample } from './proc-stats';

export type OptionSpec = Record<string, { env: string; help: string; fallback: string }>;

export function usageText(spec: OptionSpec, command: string, smoke: string): string {
  const width = Math.max(...Object.keys(spec).map((name) => name.length)) + 2;
  const lines = Object.entries(spec).map(
    ([name, o]) => `  --${name.padEnd(width)} ${o.help} (env ${o.env}, default ${o.fallback || 'unset'})`,
  );
  return `Usage: npm run ${command} -- [options]\n${lines.join('\n')}\nQuick smoke: ${smoke}`;
}

/** Reads `--name value` / `--name=value` from argv, then BENCH_* from the environment, then the default. */
export function readOptions(argv: string[], spec: OptionSpec, usage: () => string) {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!match || !(match[1] in spec)) {
      throw new Error(`unknown argument ${argv[i]}\n${usage()}`);
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) {
      throw new Error(`--${match[1]} needs a value`);
    }
    given.set(match[1], value);
  }
  const raw = (name: string) => given.get(name) ?? process.env[spec[name].env] ?? spec[name].fallback;
  const int = (name: string, min: number) => {
    const value = Number(raw(name));
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`--${name} must be a whole number >= ${min}`);
    }
    return value;
  };
  return { raw, int };
}

/** `--help` or `-h` among the arguments: print the usage and measure nothing. */
export const helpAsked = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');

/** The options of a benchmark that waits for a quiet machine before it measures (`waitForQuietMachine`). */
export function quietMachineOptions(defaults: { cores: string; waitSeconds: string }): OptionSpec {
  return {
    'quiet-cores': {
      env: 'BENCH_QUIET_CORES',
      help: 'before measuring, wait while other work keeps more than this many cores busy',
      fallback: defaults.cores,
    },
    'quiet-wait-s': {
      env: 'BENCH_QUIET_WAIT_S',
      help: 'wait at most this long for a quiet machine, then measure anyway (the load is printed)',
      fallback: defaults.waitSeconds,
    },
  };
}

/** The `quietMachineOptions` as `waitForQuietMachine` takes them. */
export function readQuietMachine(options: ReturnType<typeof readOptions>): {
  quietCores: number;
  quietWaitMs: number;
} {
  const quietCores = Number(options.raw('quiet-cores'));
  if (!Number.isFinite(quietCores) || quietCores < 0) {
    throw new Error('--quiet-cores must be a number >= 0');
  }
  return { quietCores, quietWaitMs: options.int('quiet-wait-s', 0) * 1000 };
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (0 for no values). */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export const fixed = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);

export function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** PostgreSQL backends of the bench database, averaged over the samples of each labelled window. */
export function printPostgresActivity(
  rows: { label: string; postgres: PostgresSample }[],
  firstColumn: string,
  idleInTransaction = 'idle in txn',
): void {
  const t = table([
    firstColumn,
    'backends',
    'on CPU',
    'row lock wait',
    'WAL flush',
    'other waits',
    idleInTransaction,
    'idle',
    'top waits (average backends)',
  ]);
  for (const row of rows) {
    const a = row.postgres.activity;
    const top = Object.entries(row.postgres.waits)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([name, n]) => `${name} ${fixed(n, 1)}`)
      .join('\n');
    t.push([
      row.label,
      String(row.postgres.backends),
      fixed(a.cpu, 1),
      fixed(a['row lock'], 1),
      fixed(a['WAL flush'], 1),
      fixed(a['other wait'], 1),
      fixed(a['idle in transaction'], 1),
      fixed(a.idle, 1),
      top || '-',
    ]);
  }
  console.log(t.toString());
}

/**
 * Which code was measured (other engineers change the tree while benchmarks run): the commit, how many
 * files under apps/ and libs/ differ from it, and the sha256 of the named compiled files under dist/.
 */
export function codeVersion(distFiles: string[] = []): string {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return '';
    }
  };
  const changed = git('status', '--porcelain', '--', 'apps', 'libs').split('\n').filter(Boolean).length;
  const digest = (file: string) => {
    try {
      return createHash('sha256')
        .update(readFileSync(join(REPO_ROOT, 'dist', file)))
        .digest('hex')
        .slice(0, 10);
    } catch {
      return 'missing';
    }
  };
  const digests = distFiles.map((file) => `${file.split('/').at(-1)} ${digest(file)}`).join(', ');
  return (
    `commit ${git('rev-parse', '--short', 'HEAD') || 'unknown'}, ${changed} uncommitted change(s) under apps/ and libs/` +
    (digests ? `; dist sha256: ${digests}` : '')
  );
}

/** Cores the whole machine kept busy over the next `periodMs`. */
export async function machineBusyOver(periodMs: number): Promise<number> {
  const before = machineCpuSeconds();
  await sleep(periodMs);
  return (machineCpuSeconds().busy - before.busy) / (periodMs / 1000);
}

/**
 * Other engineers' tests and benchmarks share the machine: wait (at most `quietWaitMs`) while `busyElse`
 * names something that must finish first, then until at most `quietCores` cores are busy. Returns how
 * busy the machine was when the wait ended.
 */
export async function waitForQuietMachine(
  options: { quietWaitMs: number; quietCores: number },
  label: string,
  busyElse: () => string | null = () => null,
): Promise<number> {
  const deadline = Date.now() + options.quietWaitMs;
  let told = false;
  for (let other = busyElse(); other !== null && Date.now() < deadline; other = busyElse()) {
    if (!told) {
      process.stderr.write(`  [${label}] waiting for ${other} to finish…\n`);
      told = true;
    }
    await sleep(2000);
  }
  let busy = await machineBusyOver(2000);
  told = false;
  while (busy > options.quietCores && Date.now() < deadline) {
    if (!told) {
      process.stderr.write(`  [${label}] waiting for a quiet machine (${busy.toFixed(2)} cores busy)…\n`);
      told = true;
    }
    busy = await machineBusyOver(2000);
  }
  return busy;
}

/** One JSON request to the API as `token` ('' for none), answering the parsed body; throws on a status >= 300. */
export type ApiJsonCall = <T>(method: string, path: string, token: string, body?: object) => Promise<T>;

/** A team made by the admin; returns its id. */
export async function createTeam(call: ApiJsonCall, adminToken: string, name: string): Promise<string> {
  return (await call<{ id: string }>('POST', '/v1/teams', adminToken, { name })).id;
}

/**
 * A user made by the admin, and their own API token from their one-time enrolment (exchanged on the
 * public route, with no bearer token), as a new user gets theirs.
 */
export async function createUserToken(
  call: ApiJsonCall,
  adminToken: string,
  user: { name: string; roles: string[]; teamId: string | null },
): Promise<string> {
  const created = await call<{ enrolment: { token: string } }>('POST', '/v1/users', adminToken, user);
  const enrolled = await call<{ token: { token: string } }>('POST', '/v1/enrolments', '', {
    token: created.enrolment.token,
  });
  return enrolled.token.token;
}

/** On SIGINT/SIGTERM and at exit, `stopAll` kills every process the benchmark started. */
export function stopProcessesOnExit(stopAll: () => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping every process the benchmark started`);
    stopAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  process.once('exit', stopAll);
}
