/**
 * `npm run bench:engine`: the evaluation engine against a local OpenAI-compatible stub.
 *   1. 1,000 items, three deterministic scorers, concurrency 50, 20 ms provider latency, through the
 *      `openai` target, next to bare loops making the same calls at the same concurrency: through the
 *      global `fetch` (the reference the target is set against) and through undici's `request` (the
 *      client under the target).
 *   2. Replay of 25,000 / 50,000 / 100,000 items (each in a fresh process, for a clean peak RSS).
 * The stub runs in a process of its own, as a provider would. Prints figures; it asserts nothing.
 */
import {
  cassetteKey,
  createScorers,
  createTarget,
  DEFAULT_RETRY_POLICY,
  freezeDataset,
  openFrozenDataset,
  parseSuite,
  runEvaluation,
} from '@gatehouse/evals';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startStubProcess } from './stub-process';

const LABELS = ['universal_credit', 'pip', 'carers_allowance', 'overpayments', 'general'];

async function writeDataset(dir: string, count: number): Promise<void> {
  const source = join(dir, 'source.jsonl');
  const out = createWriteStream(source);
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify({
      id: `item-${String(i).padStart(6, '0')}`,
      input: `Enquiry ${i}: I need help with my ${LABELS[i % 5].replace('_', ' ')} claim, my reference is ${100000 + i}.`,
      expected: LABELS[i % 5],
      metadata: {
        age_band: ['16-24', '25-44', '45-64', '65+'][i % 4],
        region: ['england', 'scotland', 'wales'][i % 3],
      },
    });
    if (!out.write(`${line}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve) => out.end(resolve));
  await freezeDataset(source, { name: 'bench', root: join(dir, 'datasets'), frozenWith: 'bench' });
}

function suiteYaml(target: string): string {
  return `name: bench
version: 1
dataset: bench@1
target: ${target}
prompt: { system: "Route the enquiry to one team.", template: "{{input}}" }
scorers:
  - { type: classification, name: routing, labels: [${LABELS.join(', ')}] }
  - { type: includes, name: mentions_claim, values: [claim] }
  - { type: pii_leakage }
groupBy: [age_band, region]
concurrency: 50
`;
}

function usage() {
  const resources = process.resourceUsage();
  return {
    cpuSeconds: (resources.userCPUTime + resources.systemCPUTime) / 1e6,
    peakRssMb: resources.maxRSS / 1024,
  };
}

async function engineRun(dir: string, stubUrl: string) {
  const suite = parseSuite(suiteYaml(`{ type: openai, model: bench-model, baseUrl: ${stubUrl} }`));
  const context = { env: { OPENAI_API_KEY: 'sk-bench' }, baseDir: dir, cassetteDir: dir };
  const target = await createTarget(suite.definition.target, context);
  const scorers = await createScorers(suite.definition.scorers, {
    targetContext: context,
    targetFingerprint: target.fingerprint,
    retryPolicy: DEFAULT_RETRY_POLICY,
  });
  const dataset = await openFrozenDataset(join(dir, 'datasets'), 'bench', 1);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await runEvaluation({
    suite,
    dataset,
    target,
    scorers,
    manifest: { runId: 'bench', packageVersion: 'bench', gitCommit: null, engine: 'cli' },
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (report.summary.items.scored !== dataset.manifest.count) {
    throw new Error(`only ${report.summary.items.scored} items scored`);
  }
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/**
 * The same calls with nothing around them: through the global `fetch` (the reference), or through
 * undici's `request`, the HTTP client under the engine's `openai` target (see light-fetch.ts).
 */
async function bareLoop(stubUrl: string, count: number, concurrency: number, client: 'fetch' | 'undici') {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };
  const body = (i: number) =>
    JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: `Enquiry ${i}` }] });
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (client === 'fetch') {
        const response = await fetch(`${stubUrl}/chat/completions`, {
          method: 'POST',
          headers,
          body: body(i),
        });
        await response.json();
      } else {
        const response = await request(`${stubUrl}/chat/completions`, {
          method: 'POST',
          headers,
          body: body(i),
        });
        await response.body.json();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A run in a fresh process: what `gatehouse eval run` experiences, JIT still cold. */
function coldRun(
  mode: 'cold-engine' | 'cold-bare' | 'cold-bare-undici',
  dir: string,
  url: string,
): { seconds: number; cpuSeconds: number } {
  const line =
    execFileSync(process.execPath, [__filename, mode, dir, url], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1) ?? '{}';
  return JSON.parse(line) as { seconds: number; cpuSeconds: number };
}

async function liveBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const stub = await startStubProcess(20);
  try {
    await writeDataset(dir, 1000);
    await bareLoop(stub.url, 2000, 50, 'fetch'); // warm the stub itself, so no cold run pays for it
    const coldEngine: { seconds: number; cpuSeconds: number }[] = [];
    const coldBare: { seconds: number; cpuSeconds: number }[] = [];
    const coldUndici: { seconds: number; cpuSeconds: number }[] = [];
    for (let round = 0; round < 3; round++) {
      coldEngine.push(coldRun('cold-engine', dir, stub.url));
      coldBare.push(coldRun('cold-bare', dir, stub.url));
      coldUndici.push(coldRun('cold-bare-undici', dir, stub.url));
    }
    for (let round = 0; round < 3; round++) {
      await engineRun(dir, stub.url); // warm-up: JIT, connections
      await bareLoop(stub.url, 1000, 50, 'fetch');
      await bareLoop(stub.url, 1000, 50, 'undici');
    }
    const engine: { seconds: number; cpuSeconds: number }[] = [];
    const bare: { seconds: number; cpuSeconds: number }[] = [];
    const undici: { seconds: number; cpuSeconds: number }[] = [];
    for (let round = 0; round < 5; round++) {
      engine.push(await engineRun(dir, stub.url));
      bare.push(await bareLoop(stub.url, 1000, 50, 'fetch'));
      undici.push(await bareLoop(stub.url, 1000, 50, 'undici'));
    }
    const line = (label: string, runs: { seconds: number; cpuSeconds: number }[], unit: string) => {
      const seconds = median(runs.map((r) => r.seconds));
      console.log(
        `  ${label.padEnd(34)} wall ${seconds.toFixed(2)} s, CPU ${median(runs.map((r) => r.cpuSeconds)).toFixed(2)} s, ${(1000 / seconds).toFixed(0)} ${unit}/s`,
      );
      return seconds;
    };
    console.log('\n1,000 items, 3 deterministic scorers, concurrency 50, stub latency 20 ms (ideal: 0.40 s)');
    console.log(' Warm (same process, after 3 warm-up rounds; median of 5 interleaved rounds):');
    const warmEngine = line('engine (openai target)', engine, 'items');
    const warmBare = line('bare fetch loop', bare, 'calls');
    const warmUndici = line('bare undici request loop', undici, 'calls');
    console.log(
      `  ratio engine / bare fetch:         ${(warmEngine / warmBare).toFixed(2)}x  (target <= 1.5x)`,
    );
    console.log(`  ratio engine / bare undici:        ${(warmEngine / warmUndici).toFixed(2)}x`);
    console.log(' Cold (a fresh process per run, as `gatehouse eval run`; median of 3 interleaved):');
    const coldEngineSeconds = line('engine (openai target)', coldEngine, 'items');
    const coldBareSeconds = line('bare fetch loop', coldBare, 'calls');
    const coldUndiciSeconds = line('bare undici request loop', coldUndici, 'calls');
    console.log(`  ratio engine / bare fetch:         ${(coldEngineSeconds / coldBareSeconds).toFixed(2)}x`);
    console.log(
      `  ratio engine / bare undici:        ${(coldEngineSeconds / coldUndiciSeconds).toFixed(2)}x`,
    );
    console.log(`  peak RSS of the warm process:      ${usage().peakRssMb.toFixed(0)} MB`);
  } finally {
    stub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a frozen dataset of `count` items and a cassette answering every one of them. */
async function prepareReplay(dir: string, count: number): Promise<void> {
  await writeDataset(dir, count);
  mkdirSync(join(dir, 'cassettes'));
  const dataset = await openFrozenDataset(join(dir, 'datasets'), 'bench', 1);
  const cassette = createWriteStream(join(dir, 'cassettes', 'bench.jsonl'));
  for await (const item of dataset.items()) {
    const messages = [
      { role: 'system' as const, content: 'Route the enquiry to one team.' },
      { role: 'user' as const, content: item.input as string },
    ];
    const key = cassetteKey({ messages, prompt: item.input as string, item, epoch: 1 });
    if (
      !cassette.write(
        `${JSON.stringify({ key, request: { messages, maxTokens: null, epoch: 1 }, response: { output: String(item.expected) } })}\n`,
      )
    ) {
      await new Promise<void>((resolve) => cassette.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve) => cassette.end(resolve));
}

/** Child mode: replay the prepared items and print one JSON line of figures (this process is only the run). */
async function replayChild(dir: string): Promise<void> {
  const suite = parseSuite(suiteYaml('{ type: replay, cassette: bench }'));
  const dataset = await openFrozenDataset(join(dir, 'datasets'), 'bench', 1);
  const context = { env: {}, baseDir: dir, cassetteDir: join(dir, 'cassettes') };
  const target = await createTarget(suite.definition.target, context);
  const scorers = await createScorers(suite.definition.scorers, {
    targetContext: context,
    targetFingerprint: target.fingerprint,
    retryPolicy: DEFAULT_RETRY_POLICY,
  });
  const started = performance.now();
  const report = await runEvaluation({
    suite,
    dataset,
    target,
    scorers,
    manifest: { runId: 'bench', packageVersion: 'bench', gitCommit: null, engine: 'cli' },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      count: dataset.manifest.count,
      seconds,
      scored: report.summary.items.scored,
      ...usage(),
    }),
  );
}

async function replayBenchmark(): Promise<void> {
  console.log('\nReplay (offline), 3 scorers, groups by age band and region; each size in a fresh process');
  for (const count of [25_000, 50_000, 100_000]) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-replay-'));
    let line = '{}';
    try {
      await prepareReplay(dir, count);
      line =
        execFileSync(process.execPath, [__filename, 'replay-child', dir], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .at(-1) ?? '{}';
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = JSON.parse(line) as { count: number; seconds: number; scored: number; peakRssMb: number };
    console.log(
      `  ${String(r.count).padStart(7)} items: ${r.seconds.toFixed(2)} s (${((r.seconds / r.count) * 1e6).toFixed(1)} µs/item), peak RSS ${r.peakRssMb.toFixed(0)} MB (target <= 300 MB), ${r.scored} scored`,
    );
  }
}

async function main(): Promise<void> {
  const [mode, dir, url] = process.argv.slice(2);
  if (mode === 'replay-child') {
    await replayChild(dir);
    return;
  }
  if (mode === 'cold-engine') {
    console.log(JSON.stringify(await engineRun(dir, url)));
    return;
  }
  if (mode === 'cold-bare' || mode === 'cold-bare-undici') {
    console.log(JSON.stringify(await bareLoop(url, 1000, 50, mode === 'cold-bare' ? 'fetch' : 'undici')));
    return;
  }
  console.log(`Gatehouse engine benchmark on Node ${process.version}, ${new Date().toISOString()}`);
  await liveBenchmark();
  await replayBenchmark();
}

void main();
