/**
 * What the platform benchmarks share: options from argv or BENCH_* variables, percentiles, number
 * formatting, tables, and the PostgreSQL activity table.
 */
import Table from 'cli-table3';
import { type PostgresSample } from './proc-stats';

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
