/**
 * `npm run bench:ingest`: live trace ingestion on the platform (issue 15): the API on PostgreSQL and Redis,
 * one worker scoring the sampled share, and an exporter's real OTLP/protobuf encoding (the OpenTelemetry
 * SDK's spans through its own serializer), sent over HTTP with an ingest token. Prints figures; it asserts
 * nothing but says where a target is missed.
 *   1. Paced: `--rate` spans/s for `--seconds` in requests of `--batch` spans (open loop: a request leaves
 *      on time whether or not the last one was answered), acknowledgement p50/p99. Halfway through, the
 *      worker is killed with SIGKILL and a new one started `--restart-after-s` later.
 *   2. Flat out: `--senders` concurrent exporters for `--burst-seconds`, as fast as the API acknowledges.
 *   3. Nothing lost: every acknowledged span is stored once, and every sampled span is scored, the killed
 *      worker's jobs included (BullMQ's stall detection gives them to the new worker).
 * The bench makes its use case reach the learn stage by writing the stage directly (the gates are not
 * what it measures), mints the ingest token through the API, and drops its database at the end.
 */
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { exampleLowRiskRecord } from '@gatehouse/domain';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  codeVersion,
  createUserToken,
  fixed,
  helpAsked,
  percentiles,
  readOptions,
  stopProcessesOnExit,
  table,
  usageText,
} from './bench-kit';
import { summariseProfiles } from './cpu-profile';
import { killAllChildren, killRegisteredPids, Platform, sleep } from './platform';
import { processCpuSeconds } from './proc-stats';

const SPEC = {
  rate: { env: 'BENCH_RATE', help: 'spans per second in the paced phase', fallback: '2000' },
  seconds: { env: 'BENCH_SECONDS', help: 'length of the paced phase', fallback: '30' },
  batch: { env: 'BENCH_BATCH', help: 'spans per request', fallback: '200' },
  senders: { env: 'BENCH_SENDERS', help: 'concurrent exporters in the flat-out phase', fallback: '4' },
  'burst-seconds': {
    env: 'BENCH_BURST_SECONDS',
    help: 'length of the flat-out phase (0: none)',
    fallback: '15',
  },
  'sample-rate': { env: 'BENCH_SAMPLE_RATE', help: 'share of traces scored online', fallback: '0.1' },
  'restart-after-s': {
    env: 'BENCH_RESTART_AFTER_S',
    help: 'seconds between killing the worker and starting a new one',
    fallback: '3',
  },
  'worker-nice': {
    env: 'BENCH_WORKER_NICE',
    help: 'nice value of the worker (0: as the API; 10: the API first when both want a core)',
    fallback: '0',
  },
  'lock-ms': { env: 'BENCH_LOCK_MS', help: 'GATEHOUSE_QUEUE_LOCK_MS (stall detection)', fallback: '5000' },
  'rate-limit': {
    env: 'BENCH_RATE_LIMIT',
    help: 'GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND (0: off; e.g. 1073741824 to measure the limiter, shared through Redis, without refusals)',
    fallback: '0',
  },
  'postgres-url': {
    env: 'BENCH_POSTGRES_URL',
    help: 'PostgreSQL server (a database is created and dropped)',
    fallback: 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  'redis-url': { env: 'BENCH_REDIS_URL', help: 'Redis', fallback: 'redis://127.0.0.1:6379' },
  'cpu-profile': {
    env: 'BENCH_CPU_PROFILE',
    help: "folder for the API's CPU profile (node --cpu-prof); its time by package is printed",
    fallback: '',
  },
  'drain-timeout-s': {
    env: 'BENCH_DRAIN_TIMEOUT_S',
    help: 'how long to wait for every sampled span to be scored',
    fallback: '240',
  },
};
const usage = () =>
  usageText(SPEC, 'bench:ingest', 'npm run bench:ingest -- --seconds 5 --burst-seconds 2 --rate 500');

const QUESTIONS = [
  'Can I get help with my council tax bill? My reference is on the letter.',
  'How do I report a change of address? I moved to SW1A 1AA last month.',
  'What documents do I need to apply for a blue badge for my father?',
  'Can you explain how the housing benefit is calculated for a single parent?',
];
const ANSWERS = [
  'You can ask for help through the council tax support scheme. Apply online or call the council.',
  'Report the change online; we will update your record. Contact us at help@example.gov.uk if stuck.',
  'You need proof of identity, proof of address and a recent photo. A decision takes about 12 weeks.',
  'Housing benefit depends on your income, savings, rent and household. Use the benefits calculator.',
];

/** Request bodies of `batch` GenAI spans each, encoded as an OTLP exporter encodes them. */
function requestBodies(count: number, batch: number): ArrayBuffer[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'benefits-assistant', 'service.version': '1.4.2' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench-ingest');
  const bodies: ArrayBuffer[] = [];
  for (let r = 0; r < count; r++) {
    const now = Date.now();
    for (let i = 0; i < batch; i++) {
      const k = (r * batch + i) % QUESTIONS.length;
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        startTime: now - 400,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.usage.input_tokens': 120 + i,
          'gen_ai.usage.output_tokens': 80 + (i % 40),
          'gen_ai.input.messages': JSON.stringify([
            {
              role: 'system',
              parts: [{ type: 'text', content: 'You answer questions about council services.' }],
            },
            { role: 'user', parts: [{ type: 'text', content: QUESTIONS[k] }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: ANSWERS[k] }], finish_reason: 'stop' },
          ]),
        },
      });
      span.end(now - 400 + 250 + (i % 200));
    }
    const encoded = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array;
    bodies.push(encoded.slice().buffer as ArrayBuffer);
    exporter.reset();
  }
  return bodies;
}

interface Sent {
  ms: number;
  status: number;
  spans: number;
  /** When it was sent (performance.now()). */
  at: number;
}

async function send(url: string, token: string, body: ArrayBuffer, spans: number): Promise<Sent> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf' },
      body,
    });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status, spans, at: started };
  } catch {
    return { ms: performance.now() - started, status: 0, spans, at: started };
  }
}

async function main(): Promise<void> {
  if (helpAsked(process.argv)) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const options = readOptions(process.argv.slice(2), SPEC, usage);
  const rate = options.int('rate', 1);
  const seconds = options.int('seconds', 1);
  const batch = options.int('batch', 1);
  const senders = options.int('senders', 1);
  const burstSeconds = options.int('burst-seconds', 0);
  const sampleRate = Number(options.raw('sample-rate'));
  const restartAfterMs = options.int('restart-after-s', 0) * 1000;
  const drainTimeoutMs = options.int('drain-timeout-s', 1) * 1000;
  const requestsPerSecond = rate / batch;
  const pacedRequests = Math.ceil(requestsPerSecond * seconds);
  const profileDir = options.raw('cpu-profile') ? resolve(options.raw('cpu-profile')) : '';
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
  }

  const platform = new Platform({
    postgresUrl: options.raw('postgres-url'),
    redisUrl: options.raw('redis-url'),
    workers: 1,
    workerNice: options.int('worker-nice', 0),
    itemConcurrency: 50,
    stubLatencyMs: 0,
    label: 'ingest',
    env: {
      GATEHOUSE_QUEUE_LOCK_MS: options.raw('lock-ms'),
      // The bench measures the platform, not the per-use-case ingest rate limit: flat out it sends ~11 MB/s
      // from one use case, past the default 4 MiB/s, so the limit is off (0) unless --rate-limit says
      // otherwise (a rate no run reaches measures what the limiter's round trip to Redis costs).
      GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: options.raw('rate-limit'),
    },
    apiNodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  stopProcessesOnExit(() => {
    killAllChildren();
    killRegisteredPids();
  });
  console.log(`bench:ingest on ${codeVersion()}: ${rate} spans/s for ${seconds} s in requests of ${batch}`);
  try {
    await platform.start();
    const teamId = (await platform.adminCall<{ id: string }>('POST', '/v1/teams', { name: 'Live team' })).id;
    const member = await createUserToken(
      (method, path, token, body) => platform.callAs(token, method, path, body),
      platform.adminToken,
      { name: 'Service owner', roles: ['service_team', 'engineer'], teamId },
    );
    const useCase = await platform.callAs<{ id: string }>(member, 'POST', '/v1/ai-use-cases', {
      record: exampleLowRiskRecord(),
    });
    // Not what is measured: the gates to test and learn are skipped by writing the stage.
    await platform.sql.query(`UPDATE ai_use_cases SET stage = 'learn' WHERE id = $1`, [useCase.id]);
    const settings = await platform.callAs<Record<string, unknown>>(
      member,
      'GET',
      `/v1/ai-use-cases/${useCase.id}/live-settings`,
    );
    const { captureText, redactPii, retentionDays, judgeCallsPerDay, reevaluateEveryDays, drift } = settings;
    await platform.callAs(member, 'PUT', `/v1/ai-use-cases/${useCase.id}/live-settings`, {
      ...{ captureText, redactPii, retentionDays, judgeCallsPerDay, reevaluateEveryDays, drift },
      sampleRate,
    });
    const minted = await platform.callAs<{ token: string }>(
      member,
      'POST',
      `/v1/ai-use-cases/${useCase.id}/ingest-tokens`,
      { name: 'bench exporter' },
    );
    const url = `${platform.apiUrl}/v1/otlp/v1/traces`;

    const burstRequests = burstSeconds > 0 ? Math.ceil((rate * burstSeconds * 3) / batch) : 0;
    const generated = performance.now();
    const bodies = requestBodies(pacedRequests + burstRequests + 20, batch);
    console.log(
      `encoded ${bodies.length} requests (${fixed(bodies[0].byteLength / 1024, 0)} KiB each) in ${fixed(performance.now() - generated)} ms`,
    );

    // Warm-up: connections, prepared plans, the token cache.
    for (let i = 0; i < 20; i++) {
      await send(url, minted.token, bodies[i], batch);
    }
    let next = 20;
    // The warm-up came faster than the paced rate: the paced phase starts once its scoring is done, so that
    // it measures the steady state, not a backlog left by requests it does not count.
    const settleStart = performance.now();
    while (
      (await liveCounts(platform, useCase.id)).unscored > 0 &&
      performance.now() - settleStart < 30_000
    ) {
      await sleep(200);
    }

    // 1. Paced, with the worker killed halfway.
    const paced: Promise<Sent>[] = [];
    // The API's CPU per request (user + system, from /proc): unlike latency, it hardly moves when the
    // machine is busy with other work, so it is the figure to compare between two runs.
    const apiCpuBefore = processCpuSeconds(platform.apiPid);
    const started = performance.now();
    let killedAt = 0;
    let restarted: Promise<void> | null = null;
    for (let r = 0; r < pacedRequests; r++) {
      const due = started + (r * 1000) / requestsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) {
        await sleep(wait);
      }
      paced.push(send(url, minted.token, bodies[next++], batch));
      if (!restarted && r >= pacedRequests / 2) {
        killedAt = (performance.now() - started) / 1000;
        await platform.killWorker(0);
        restarted = sleep(restartAfterMs).then(() => platform.replaceWorker(0));
      }
    }
    const pacedResults = await Promise.all(paced);
    const pacedSeconds = (performance.now() - started) / 1000;
    const apiCpuAfter = processCpuSeconds(platform.apiPid);
    const apiCpuMsPerRequest =
      apiCpuBefore !== null && apiCpuAfter !== null
        ? ((apiCpuAfter - apiCpuBefore) * 1000) / pacedResults.length
        : null;
    await restarted;

    // 2. Flat out.
    const burstResults: Sent[] = [];
    let burstSecondsTaken = 0;
    if (burstSeconds > 0) {
      const burstStart = performance.now();
      const deadline = burstStart + burstSeconds * 1000;
      await Promise.all(
        Array.from({ length: senders }, async () => {
          while (performance.now() < deadline && next < bodies.length) {
            burstResults.push(await send(url, minted.token, bodies[next++], batch));
          }
        }),
      );
      burstSecondsTaken = (performance.now() - burstStart) / 1000;
    }

    // 3. Nothing lost.
    const acknowledged = [...pacedResults, ...burstResults].filter((s) => s.status === 200);
    const ackedSpans = 20 * batch + acknowledged.reduce((sum, s) => sum + s.spans, 0);
    const drainStart = performance.now();
    let counts = await liveCounts(platform, useCase.id);
    while (counts.unscored > 0 && performance.now() - drainStart < drainTimeoutMs) {
      await sleep(500);
      counts = await liveCounts(platform, useCase.id);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const show = (label: string, results: Sent[], secondsTaken: number) => {
      const ok = results.filter((s) => s.status === 200);
      const p = percentiles(ok.map((s) => s.ms));
      return [
        label,
        String(results.length),
        String(results.length - ok.length),
        fixed(ok.reduce((sum, s) => sum + s.spans, 0) / secondsTaken),
        fixed(p.p50, 1),
        fixed(p.p99, 1),
        fixed(p.max, 1),
      ];
    };
    const figures = table(['phase', 'requests', 'refused', 'spans/s', 'ack p50 ms', 'ack p99 ms', 'max ms']);
    figures.push(
      show(`paced ${rate}/s (worker killed at ${fixed(killedAt, 1)} s)`, pacedResults, pacedSeconds),
    );
    if (burstResults.length > 0) {
      figures.push(show(`flat out, ${senders} senders`, burstResults, burstSecondsTaken));
    }
    console.log(figures.toString());
    if (apiCpuMsPerRequest !== null) {
      console.log(
        `API CPU in the paced phase: ${fixed(apiCpuMsPerRequest, 1)} ms per request of ${batch} spans`,
      );
    }
    // Where the tail lands: the slowest paced acknowledgements, by when they were sent (the worker was killed
    // at killedAt and its replacement started restartAfter later).
    const slowest = [...pacedResults].sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(
      `slowest paced acknowledgements: ${slowest.map((s) => `${fixed(s.ms, 1)} ms at ${fixed((s.at - started) / 1000, 1)} s`).join(', ')}`,
    );
    const lost = table(['spans acknowledged', 'stored', 'sampled', 'scored', 'unscored', 'drained in s']);
    lost.push([
      String(ackedSpans),
      String(counts.stored),
      String(counts.sampled),
      String(counts.sampled - counts.unscored),
      String(counts.unscored),
      fixed(drainSeconds, 1),
    ]);
    console.log(lost.toString());
    const pacedP99 = percentiles(pacedResults.filter((s) => s.status === 200).map((s) => s.ms)).p99;
    const verdicts = [
      [`sustained ${rate} spans/s`, pacedResults.every((s) => s.status === 200)],
      ['p99 acknowledgement under 50 ms', pacedP99 < 50],
      ['every acknowledged span stored once', counts.stored === ackedSpans],
      ['every sampled span scored after the worker was killed', counts.unscored === 0],
    ] as const;
    for (const [what, met] of verdicts) {
      console.log(`${met ? 'met    ' : 'MISSED '} ${what}`);
    }
  } finally {
    const problems = await platform.stop();
    problems.forEach((problem) => console.error(problem));
  }
  if (profileDir) {
    const summary = summariseProfiles(profileDir);
    const byOwner = table(['API CPU by package (whole run)', 'ms', 'share']);
    for (const bucket of summary.owner.slice(0, 12)) {
      byOwner.push([bucket.name, fixed(bucket.ms), `${fixed(bucket.share * 100, 1)}%`]);
    }
    console.log(byOwner.toString());
  }
}

async function liveCounts(
  platform: Platform,
  useCaseId: string,
): Promise<{ stored: number; sampled: number; unscored: number }> {
  const { rows } = await platform.sql.query<{ stored: string; sampled: string; unscored: string }>(
    `SELECT count(*) AS stored,
            count(*) FILTER (WHERE sampled) AS sampled,
            count(*) FILTER (WHERE sampled AND scored_at IS NULL) AS unscored
       FROM live_interactions WHERE ai_use_case_id = $1`,
    [useCaseId],
  );
  return {
    stored: Number(rows[0].stored),
    sampled: Number(rows[0].sampled),
    unscored: Number(rows[0].unscored),
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
