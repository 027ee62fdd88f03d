/**
 * CPU accounting for the queue benchmark, read from Linux /proc: per process (utime + stime of
 * /proc/<pid>/stat), the whole machine (/proc/stat), Redis (INFO cpu) and the PostgreSQL backends of one
 * database (sampled, with what each backend is waiting on, because backends come and go with the pools).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { type Client } from 'pg';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) a live process has used so far, or null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count the fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine since boot (all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = values[3] + (values[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
}

export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (key: string) => Number(new RegExp(`${key}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return value('used_cpu_sys') + value('used_cpu_user');
}

/** What a PostgreSQL backend was doing at one sample, in the categories the report prints. */
export type BackendActivity =
  'cpu' | 'row lock' | 'WAL flush' | 'other wait' | 'idle in transaction' | 'idle';

export interface PostgresSample {
  /** CPU seconds used by the database's backends while the sampler ran. */
  cpuSeconds: number;
  /** Average number of backends in each activity over the samples. */
  activity: Record<BackendActivity, number>;
  /** The individual wait events seen, as average backends. */
  waits: Record<string, number>;
  samples: number;
  backends: number;
}

/**
 * Samples the backends connected to `database` every `everyMs`: their CPU (a backend's last reading is
 * kept after it exits, so at most one interval of an exiting backend's CPU is lost) and their state.
 */
export class PostgresSampler {
  private readonly baseline = new Map<number, number>();
  private readonly latest = new Map<number, number>();
  private readonly activity: Record<BackendActivity, number> = {
    cpu: 0,
    'row lock': 0,
    'WAL flush': 0,
    'other wait': 0,
    'idle in transaction': 0,
    idle: 0,
  };
  private readonly waits: Record<string, number> = {};
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly database: string,
    private readonly everyMs = 100,
  ) {}

  async start(): Promise<void> {
    for (const row of await this.backends()) {
      this.baseline.set(row.pid, processCpuSeconds(row.pid) ?? 0);
    }
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sample()).catch(() => undefined);
    }, this.everyMs);
  }

  async stop(): Promise<PostgresSample> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.running;
    await this.sample();
    let cpuSeconds = 0;
    for (const [pid, seconds] of this.latest) {
      cpuSeconds += seconds - (this.baseline.get(pid) ?? 0);
    }
    const n = Math.max(1, this.samples);
    const average = <K extends string>(record: Record<K, number>) =>
      Object.fromEntries(Object.entries<number>(record).map(([k, v]) => [k, v / n])) as Record<K, number>;
    return {
      cpuSeconds,
      activity: average(this.activity),
      waits: average(this.waits),
      samples: this.samples,
      backends: this.latest.size,
    };
  }

  private backends() {
    return this.client
      .query<{
        pid: number;
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
        query: string | null;
      }>(
        `SELECT pid, state, wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS query
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [this.database],
      )
      .then((result) => result.rows);
  }

  private async sample(): Promise<void> {
    const rows = await this.backends();
    this.samples += 1;
    for (const row of rows) {
      const cpu = processCpuSeconds(row.pid);
      if (cpu !== null) {
        this.latest.set(row.pid, cpu);
      }
      const category = classify(row.state, row.wait_event_type, row.wait_event);
      this.activity[category] += 1;
      if (row.state === 'active' && row.wait_event) {
        // For lock waits, which statement waits says which row is contended.
        const key = `${row.wait_event_type}:${row.wait_event}${row.wait_event_type === 'Lock' ? ` in ${row.query ?? '?'}…` : ''}`;
        this.waits[key] = (this.waits[key] ?? 0) + 1;
      }
    }
  }
}

function classify(state: string | null, type: string | null, event: string | null): BackendActivity {
  if (state === 'idle') {
    return 'idle';
  }
  if (state === 'idle in transaction') {
    return 'idle in transaction';
  }
  if (!event) {
    return 'cpu';
  }
  if (type === 'Lock') {
    return 'row lock';
  }
  if (event.startsWith('WAL') || event === 'WALWrite' || event === 'WALSync') {
    return 'WAL flush';
  }
  return 'other wait';
}
