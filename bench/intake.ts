/**
 * `npm run bench:intake`: bounded work at the API's HTTP intake (issue 10, "bounded work").
 *   1. Memory: the API's RSS before, at its peak during, and after N concurrent unauthenticated requests
 *      each sending a large body (48 × 63 MB by default) to an upload route. They are refused before
 *      their bodies are read, so the bodies are discarded as they arrive instead of buffered.
 *   2. Event loop: a 1,000,000-line JSONL dataset upload by an engineer while `/health/live` is polled;
 *      prints the API's event-loop delay (perf_hooks.monitorEventLoopDelay, inside the API process) and
 *      the health check's latency as a client sees it.
 * The API runs in a process of its own (bench/intake-server.ts) on an embedded SQLite database in a
 * temporary directory, or on --database-url (an empty PostgreSQL database). Prints figures; asserts
 * nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiJsonCall,
  codeVersion,
  createTeam,
  createUserToken,
  fixed,
  helpAsked,
  type OptionSpec,
  percentiles,
  quietMachineOptions,
  readOptions,
  readQuietMachine,
  stopProcessesOnExit,
  table,
  usageText,
  waitForQuietMachine,
} from './bench-kit';
import { type IntakeServerReport, type IntakeServerRequest } from './intake-server';
import { sleep } from './platform';

const SPEC: OptionSpec = {
  lines: { env: 'BENCH_LINES', help: 'lines in the dataset upload', fallback: '1000000' },
  bodies: { env: 'BENCH_BODIES', help: 'concurrent unauthenticated bodies', fallback: '48' },
  'body-mb': { env: 'BENCH_BODY_MB', help: 'size of each unauthenticated body, MB', fallback: '63' },
  'probe-ms': { env: 'BENCH_PROBE_MS', help: 'pause between /health/live probes, ms', fallback: '20' },
  'database-url': {
    env: 'BENCH_DATABASE_URL',
    help: 'an empty PostgreSQL database (SQLite in a temporary directory when unset)',
    fallback: '',
  },
  ...quietMachineOptions({ cores: '0.5', waitSeconds: '60' }),
};
const usage = () => usageText(SPEC, 'bench:intake', 'npm run bench:intake -- --lines 100000 --bodies 8');

const ADMIN_TOKEN = `bench-admin-${'x'.repeat(40)}`;
const MB = 1024 * 1024;

/** The API process, with an IPC channel for its event-loop and memory figures. */
class IntakeServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(env: Record<string, string>): Promise<IntakeServer> {
    const child = fork(join(__dirname, 'intake-server.js'), [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { port: number }) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`the API exited (${code}) before listening`)));
    });
    return new IntakeServer(child, port);
  }

  private ask<T>(message: IntakeServerRequest): Promise<T> {
    return new Promise((resolve) => {
      this.child.once('message', (answer: T) => resolve(answer));
      this.child.send(message);
    });
  }

  reset = () => this.ask<unknown>({ cmd: 'reset' });
  report = () => this.ask<IntakeServerReport>({ cmd: 'report' });

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }
}

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP request; `body` may be a Buffer written as is. Resolves when the answer is read. */
function call(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; agent?: Agent | false } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: options.agent,
        headers: {
          ...(options.body !== undefined
            ? { 'Content-Length': String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Sends an unauthenticated upload of `body` and waits until the answer has come and the whole body has
 * been written (the server may answer early and drop the rest; a reset connection counts as done, with
 * status 0 when no answer came first).
 */
function flood(port: number, body: Buffer, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    let status = 0;
    let sent = false;
    let answered = false;
    const done = () => sent && answered && resolve(status);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/datasets?name=flood',
        agent,
        headers: { 'Content-Type': 'application/x-ndjson', 'Content-Length': String(body.length) },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        res.on('end', () => {
          answered = true;
          done();
        });
      },
    );
    req.on('error', () => {
      sent = true;
      answered = true;
      done();
    });
    req.end(body, () => {
      sent = true;
      done();
    });
  });
}

/** `call` with JSON in and out, for the set-up (users) through the kit. */
function jsonCall(port: number): ApiJsonCall {
  return async <T>(method: string, path: string, token: string, body?: object): Promise<T> => {
    const answer = await call(port, method, path, {
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        'Content-Type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status >= 300) {
      throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 2000)}`);
    }
    return JSON.parse(answer.body) as T;
  };
}

function datasetText(lines: number): string {
  const rows: string[] = [];
  for (let i = 0; i < lines; i++) {
    rows.push(`{"id":"q${String(i).padStart(7, '0')}","input":"Question ${i}?","expected":"${i % 7}"}`);
  }
  return `${rows.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (helpAsked(process.argv)) {
    console.log(usage());
    return;
  }
  const options = readOptions(process.argv.slice(2), SPEC, usage);
  const lines = options.int('lines', 1);
  const bodies = options.int('bodies', 0);
  const bodyMb = options.int('body-mb', 1);
  const probeMs = options.int('probe-ms', 1);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-intake-'));
  const databaseUrl = options.raw('database-url') || `sqlite://${join(dir, 'gatehouse.sqlite')}`;
  let server: IntakeServer | null = null;
  stopProcessesOnExit(() => server?.stop());

  console.log(`bench:intake — ${codeVersion(['apps/api/src/http/request-body.interceptor.js'])}`);
  server = await IntakeServer.start({
    DATABASE_URL: databaseUrl,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEHOUSE_SEED_EXAMPLES: 'false',
    GATEHOUSE_AUTO_MIGRATE: 'true',
    LOG_LEVEL: 'warn',
    TZ: 'UTC',
  });
  const { port } = server;
  const api = jsonCall(port);
  const engineerToken = await createUserToken(api, ADMIN_TOKEN, {
    name: 'Bench engineer',
    roles: ['engineer'],
    teamId: await createTeam(api, ADMIN_TOKEN, 'Bench'),
  });

  const busy = await waitForQuietMachine(readQuietMachine(options), 'bench:intake');
  console.log(
    `machine: ${busy.toFixed(2)} of 2 cores busy before measuring; database ${databaseUrl.split(':')[0]}`,
  );

  // 1. Unauthenticated large bodies.
  if (bodies > 0) {
    const body = Buffer.alloc(bodyMb * MB, 0x61);
    await sleep(500);
    await server.reset();
    const before = await server.report();
    const started = performance.now();
    // Keep-alive connections: the server keeps them open and reads (and discards) the refused bodies.
    const floodAgent = new Agent({ keepAlive: true, maxSockets: bodies });
    const statuses = await Promise.all(Array.from({ length: bodies }, () => flood(port, body, floodAgent)));
    floodAgent.destroy();
    const seconds = (performance.now() - started) / 1000;
    await sleep(1000);
    const after = await server.report();
    const counts = Object.entries(
      statuses.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}),
    )
      .map(([s, n]) => `${n}×${s}`)
      .join(', ');
    const t = table([
      'unauthenticated bodies',
      'answers',
      'seconds',
      'RSS before MB',
      'RSS peak MB',
      'RSS after MB',
    ]);
    t.push([
      `${bodies} × ${bodyMb} MB`,
      counts,
      fixed(seconds, 1),
      fixed(before.rssMb),
      fixed(after.peakRssMb),
      fixed(after.rssMb),
    ]);
    console.log(t.toString());
  }

  // 2. A large dataset upload while /health/live is polled.
  // Encoded up front: writing a 57 MB string would stop this process's own loop (and its probes).
  const text = Buffer.from(datasetText(lines));
  await server.reset();
  const probes: number[] = [];
  let probeErrors = 0;
  let uploading = true;
  const probing = (async () => {
    while (uploading) {
      // A new connection each time (as a load balancer's health check makes), so none goes stale.
      await call(port, 'GET', '/health/live', { agent: false }).then(
        (answer) => probes.push(answer.ms),
        () => (probeErrors += 1),
      );
      await sleep(probeMs);
    }
  })();
  const upload = await call(port, 'POST', `/v1/datasets?name=bench-${lines}`, {
    headers: { Authorization: `Bearer ${engineerToken}`, 'Content-Type': 'application/x-ndjson' },
    body: text,
  });
  uploading = false;
  await probing;
  const loop = await server.report();
  const health = percentiles(probes);
  const stored =
    upload.status < 300
      ? (JSON.parse(upload.body) as { itemCount: number }).itemCount
      : upload.body.slice(0, 200);
  const t = table([
    'upload',
    'answer',
    'seconds',
    'event-loop delay p50 / p99 / max ms',
    '/health/live p50 / p99 / max ms (probes)',
    'RSS peak MB',
  ]);
  t.push([
    `${lines.toLocaleString('en-GB')} lines, ${fixed(text.length / MB, 1)} MB`,
    `${upload.status} (${stored} items)`,
    fixed(upload.ms / 1000, 1),
    `${fixed(loop.loopP50Ms, 1)} / ${fixed(loop.loopP99Ms, 1)} / ${fixed(loop.loopMaxMs, 1)}`,
    `${fixed(health.p50, 1)} / ${fixed(health.p99, 1)} / ${fixed(health.max, 1)} (${probes.length}${probeErrors ? `, ${probeErrors} failed` : ''})`,
    fixed(loop.peakRssMb),
  ]);
  console.log(t.toString());
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
