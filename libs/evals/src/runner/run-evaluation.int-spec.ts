import { type OpenAiStub, startOpenAiStub, type StubRequestBody } from '@gatehouse/testing';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freezeDataset, openFrozenDataset } from '../datasets/frozen-dataset';
import { createScorers } from '../scorers/create-scorers';
import { parseSuite } from '../suites/suite-loader';
import { createTarget } from '../targets/create-target';
import { DEFAULT_RETRY_POLICY } from '../targets/retry';
import { type ItemRecord } from './item-record';
import { runEvaluation } from './run-evaluation';

const LABELS = ['universal_credit', 'pip', 'general'];

/** 60 enquiries: items 0-39 for the two older age bands, every 5th one urgent. */
function items() {
  return Array.from({ length: 60 }, (_, i) => ({
    id: `enq-${String(i).padStart(3, '0')}`,
    input: `Enquiry ${i}: ${i % 3 === 0 ? 'my Universal Credit payment is late' : i % 3 === 1 ? 'my PIP assessment letter' : 'I moved house'}`,
    expected: LABELS[i % 3],
    metadata: { age_band: i < 30 ? '16-44' : '45+', region: i % 2 === 0 ? 'england' : 'wales' },
  }));
}

/** The model under test: right except for every 4th item of the 45+ band; a judge that gives 4 or 2. */
function respond(body: StubRequestBody): string {
  const last = body.messages.at(-1)?.content ?? '';
  if (last.includes('Rubric:')) {
    return JSON.stringify({ score: last.includes('PIP') ? 2 : 4, reasoning: 'Graded on routing clarity.' });
  }
  const i = Number(/Enquiry (\d+)/.exec(last)?.[1]);
  const label = i >= 30 && i % 4 === 0 ? LABELS[(i + 1) % 3] : LABELS[i % 3];
  return i === 7 ? `${label} — call me on 07700 900123` : label;
}

describe('runEvaluation against a local OpenAI-compatible server', () => {
  let stub: OpenAiStub;
  let dir: string;

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond });
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-run-'));
    mkdirSync(join(dir, 'datasets'));
    const source = join(dir, 'items.jsonl');
    writeFileSync(
      source,
      items()
        .map((i) => JSON.stringify(i))
        .join('\n'),
    );
    await freezeDataset(source, { name: 'enquiries', root: join(dir, 'datasets'), frozenWith: 'test' });
  });

  afterAll(async () => {
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const suiteText = (extra = '') => `
name: triage
version: 1
dataset: enquiries@1
target: { type: openai, model: triage-model, baseUrl: ${stub.url}, temperature: 0 }
prompt: { system: "Route the enquiry.", template: "{{input}}" }
scorers:
  - { type: classification, name: routing, labels: [${LABELS.join(', ')}] }
  - { type: pii_leakage }
  - type: rubric_judge
    name: clarity
    rubric: Is the routing decision clear?
    judge: { model: judge-model, baseUrl: ${stub.url} }
groupBy: [age_band, region]
minGroupSize: 10
concurrency: 8
limits: { timeoutMs: 2000 }
pricing: { triage-model: { inputPerMillion: 1, outputPerMillion: 2 } }
thresholds:
  - { metric: routing, stat: ci_lower, op: ">=", value: 0.8 }
  - { metric: pii_leakage, stat: upper95, op: "<=", value: 0.2 }
${extra}`;

  async function run(text: string, options: { records?: ItemRecord[] } = {}) {
    const suite = parseSuite(text, 'triage.yaml');
    const context = { env: { OPENAI_API_KEY: 'sk-test' }, baseDir: dir, cassetteDir: join(dir, 'cassettes') };
    const target = await createTarget(suite.definition.target, context);
    const retryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };
    return runEvaluation({
      suite,
      dataset: await openFrozenDataset(join(dir, 'datasets'), 'enquiries', 1),
      target,
      scorers: await createScorers(suite.definition.scorers, {
        targetContext: context,
        targetFingerprint: target.fingerprint,
        retryPolicy,
      }),
      retryPolicy,
      manifest: { runId: 'run-1', packageVersion: '0.0.0-test', gitCommit: null, engine: 'cli' },
      onRecord: (r) => options.records?.push(r),
    });
  }

  it('scores every item and derives metrics with intervals, groups, a guardrail bound and a judge', async () => {
    const report = await run(suiteText());
    const routing = report.summary.metrics.find((m) => m.name === 'routing');
    // 30 items at 45+: i = 32, 36, … 56 (7 of them) are misrouted.
    expect(routing).toMatchObject({
      kind: 'pass_rate',
      n: 60,
      passed: 53,
      failed: 7,
      unscored: 0,
      errored: 0,
      value: 53 / 60,
    });
    expect(routing?.interval?.method).toBe('wilson');
    expect(routing?.interval?.lower).toBeLessThan(53 / 60);
    const ageBands = routing?.groups.find((g) => g.key === 'age_band');
    expect(ageBands?.groups.map((g) => [g.group, g.n, g.value])).toEqual([
      ['16-44', 30, 1],
      ['45+', 30, 23 / 30],
    ]);
    expect(ageBands?.maxGap).toMatchObject({ between: ['16-44', '45+'], value: expect.closeTo(7 / 30, 6) });
    expect(routing?.classification?.labels).toEqual(expect.arrayContaining(LABELS));

    const pii = report.summary.metrics.find((m) => m.name === 'pii_leakage');
    expect(pii).toMatchObject({
      kind: 'failure_rate',
      guardrail: true,
      n: 60,
      failed: 1,
      value: expect.closeTo(1 / 60, 6),
    });
    expect(pii?.upper95).toBeGreaterThan(1 / 60);
    expect(report.failures.find((f) => f.metric === 'pii_leakage')).toMatchObject({
      itemId: 'enq-007',
      explanation: expect.stringContaining('uk_phone 077'),
    });

    const clarity = report.summary.metrics.find((m) => m.name === 'clarity');
    expect(clarity).toMatchObject({ kind: 'mean', n: 60, passed: 40, failed: 20 });
    expect(clarity?.value).toBeCloseTo((40 * 0.75 + 20 * 0.25) / 60, 6);

    expect(report.thresholds.map((t) => t.passed)).toEqual([false, true]);
    expect(report.thresholds[0].reason).toMatch(/^routing ci_lower is 0\.\d{3}, failing >= 0\.8$/);
    expect(report.outcome).toBe('failed');
    expect(report.summary.operational).toMatchObject({
      retries: 0,
      costUsd: expect.any(Number),
      inputTokens: expect.any(Number),
    });
    expect(report.manifest).toMatchObject({
      suite: { name: 'triage', version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      dataset: { name: 'enquiries', version: 1, count: 60 },
      target: { type: 'openai', configHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      scorers: [
        expect.objectContaining({ name: 'routing', version: '1' }),
        expect.anything(),
        expect.objectContaining({ name: 'clarity', configHash: expect.any(String) }),
      ],
    });
  });

  it('counts items whose calls keep failing as errored, never as failures, and survives 429s', async () => {
    stub.setOptions({ rateLimitRate: 0.2, retryAfterSeconds: 0, serverErrorRate: 0.1, seed: 3 });
    const records: ItemRecord[] = [];
    try {
      const report = await run(suiteText('maxErroredShare: 0.5'), { records });
      const routing = report.summary.metrics.find((m) => m.name === 'routing');
      const errored = records.filter((r) => r.status === 'errored').length;
      expect(report.summary.items).toMatchObject({ total: 60, errored });
      expect(routing?.errored).toBe(errored);
      expect((routing?.n ?? 0) + errored).toBe(60);
      expect(report.summary.operational.retries).toBeGreaterThan(0);
      expect(
        records
          .filter((r) => r.status === 'scored')
          .every((r) => r.latencyMs !== null && r.latencyMs <= r.durationMs),
      ).toBe(true);
    } finally {
      stub.setOptions({ rateLimitRate: 0, serverErrorRate: 0 });
    }
  });

  it('refuses a judge that is the model under test unless allowed', async () => {
    const selfJudging = suiteText().replace('judge: { model: judge-model', 'judge: { model: triage-model');
    await expect(run(selfJudging)).rejects.toThrow('is the model under test');
    const allowed = selfJudging.replace(
      'rubric: Is the routing decision clear?',
      'rubric: Is the routing decision clear?\n    allowTargetAsJudge: true',
    );
    await expect(run(allowed)).resolves.toMatchObject({ outcome: 'failed' });
  });

  it('reduces epochs per item (all three must pass)', async () => {
    const report = await run(suiteText('epochs: { count: 3, reducer: all }'));
    const routing = report.summary.metrics.find((m) => m.name === 'routing');
    expect(report.summary.items).toMatchObject({ total: 60, epochs: 3 });
    expect(routing).toMatchObject({ n: 60, passed: 53 });
  });
});
