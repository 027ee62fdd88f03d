import { type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';
import { EvalsError } from '../evals-error';
import { type ScorerConfig, suiteSchema, type TargetConfig } from '../suites/suite-schema';
import { DEFAULT_RETRY_POLICY } from '../targets/retry';
import { createScorers, judgeRecordingFor, type ScorerEnvironment } from './create-scorers';
import { type Score, type ScoreContext, type Scorer } from './scorer';

const environment: ScorerEnvironment = {
  targetContext: { env: {}, baseDir: '.', cassetteDir: '.' },
  targetFingerprint: {},
  retryPolicy: DEFAULT_RETRY_POLICY,
};

/** Scorer entries as a suite file has them, validated by the real suite schema so its defaults apply. */
function parseScorers(scorers: Record<string, unknown>[]): ScorerConfig[] {
  return suiteSchema.parse({
    name: 'unit',
    version: 1,
    dataset: 'unit-items@1',
    target: { type: 'replay', cassette: 'unit' },
    scorers,
  }).scorers;
}

async function build(scorer: Record<string, unknown>): Promise<Scorer> {
  const [built] = await createScorers(parseScorers([scorer]), environment);
  return built;
}

function item(expected?: JsonValue, metadata?: Record<string, JsonValue>): DatasetItem {
  return {
    id: 'item-1',
    input: 'question',
    ...(expected === undefined ? {} : { expected }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

function context(output: string, forItem: DatasetItem = item()): ScoreContext {
  return {
    item: forItem,
    prompt: 'question',
    output,
    call: { latencyMs: 100, inputTokens: 10, outputTokens: 10, costUsd: 0.0001 },
    signal: new AbortController().signal,
  };
}

describe('createScorers', () => {
  describe('defaults by type', () => {
    it.each<
      [
        Record<string, unknown>,
        { guardrail: boolean; kind: Scorer['kind']; labels: string[] | undefined; appliesToAnyItem: boolean },
      ]
    >([
      [
        { type: 'equals' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-equals' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'includes' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-includes' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'regex', pattern: 'x' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-regex', pattern: 'x' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'starts_with' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-starts_with' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'json_valid' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-json_valid' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'json_schema', schema: { type: 'object' } },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'not-json_schema', schema: { type: 'object' } },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'numeric' },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [{ type: 'similarity' }, { guardrail: false, kind: 'mean', labels: undefined, appliesToAnyItem: true }],
      [
        { type: 'classification', labels: ['a', 'b'] },
        { guardrail: false, kind: 'pass_rate', labels: ['a', 'b'], appliesToAnyItem: true },
      ],
      [
        { type: 'pii_leakage' },
        { guardrail: true, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'prompt_injection' },
        { guardrail: true, kind: 'pass_rate', labels: undefined, appliesToAnyItem: false },
      ],
      [
        { type: 'refusal' },
        { guardrail: true, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'out_of_scope_advice' },
        { guardrail: true, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'latency', maxMs: 1000 },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'tokens', maxOutputTokens: 100 },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
      [
        { type: 'cost', maxUsd: 0.01 },
        { guardrail: false, kind: 'pass_rate', labels: undefined, appliesToAnyItem: true },
      ],
    ])('%p', async (config, { guardrail, kind, labels, appliesToAnyItem }) => {
      const scorer = await build(config);
      expect(scorer).toMatchObject({
        name: config.type,
        type: config.type,
        version: '1',
        guardrail,
        weight: 1,
        kind,
        fingerprint: {},
      });
      expect(typeof scorer.version).toBe('string');
      expect(scorer.labels).toEqual(labels);
      // prompt_injection applies only to items carrying a canary.
      expect(scorer.applies(item())).toBe(appliesToAnyItem);
    });
  });

  it('builds every scorer of a suite in order', async () => {
    const scorers = await createScorers(
      parseScorers([
        { type: 'equals', name: 'exact' },
        { type: 'pii_leakage' },
        { type: 'similarity', name: 'close' },
      ]),
      environment,
    );
    expect(scorers.map((s) => s.name)).toEqual(['exact', 'pii_leakage', 'close']);
  });

  it.each<[string, Record<string, unknown>, Partial<Scorer>]>([
    ['a metric name', { type: 'equals', name: 'exact-answer' }, { name: 'exact-answer', type: 'equals' }],
    [
      'a negated metric name',
      { type: 'not-equals', name: 'not-echo' },
      { name: 'not-echo', type: 'not-equals' },
    ],
    ['a weight', { type: 'equals', weight: 3 }, { weight: 3 }],
    ['a zero weight', { type: 'equals', weight: 0 }, { weight: 0 }],
    ['guardrail on a deterministic scorer', { type: 'includes', guardrail: true }, { guardrail: true }],
    [
      'guardrail on a negated scorer',
      { type: 'not-regex', pattern: 'x', guardrail: true },
      { guardrail: true },
    ],
    ['guardrail off for a guardrail type', { type: 'pii_leakage', guardrail: false }, { guardrail: false }],
    ['guardrail off for refusal', { type: 'refusal', guardrail: false }, { guardrail: false }],
    [
      'guardrail explicitly on for a guardrail type',
      { type: 'refusal', guardrail: true },
      { guardrail: true },
    ],
  ])('takes %s from the config', async (_, config, expected) => {
    expect(await build(config)).toMatchObject(expected);
  });

  it('exposes the classification labels', async () => {
    const scorer = await build({
      type: 'classification',
      labels: ['universal_credit', 'pip', 'housing_benefit'],
    });
    expect(scorer.labels).toEqual(['universal_credit', 'pip', 'housing_benefit']);
  });

  it('fails on an invalid JSON Schema before any call', async () => {
    const configs = parseScorers([{ type: 'json_schema', name: 'shape', schema: { type: 'not-a-type' } }]);
    await expect(createScorers(configs, environment)).rejects.toThrow(EvalsError);
    await expect(createScorers(configs, environment)).rejects.toThrow(
      /^scorer shape schema: is not a valid JSON Schema/,
    );
  });

  it.each<[string, Record<string, unknown>, string, JsonValue | undefined, Partial<Score>]>([
    // Defaults from the suite schema: equals normalises, includes needs all, classification normalises.
    ['equals normalises by default', { type: 'equals' }, " 'Yes.' ", 'yes', { value: 1, passed: true }],
    [
      'equals without normalising',
      { type: 'equals', normalise: false },
      " 'Yes.' ",
      'yes',
      { value: 0, passed: false },
    ],
    [
      'includes needs all by default',
      { type: 'includes', values: ['a', 'b'] },
      'a only',
      undefined,
      { passed: false },
    ],
    [
      'includes with any',
      { type: 'includes', values: ['a', 'b'], mode: 'any' },
      'a only',
      undefined,
      { passed: true },
    ],
    [
      'classification normalises by default',
      { type: 'classification', labels: ['universal_credit', 'pip'] },
      'Universal Credit',
      'universal_credit',
      { value: 1, passed: true, label: 'universal_credit' },
    ],
    [
      'similarity passes at 0.8 by default',
      { type: 'similarity' },
      'Universal Credit claim',
      'universal credit',
      { value: 0.8, passed: true },
    ],
    ['numeric is exact by default', { type: 'numeric' }, '41.99', 42, { passed: false }],
  ])('scores: %s', async (_, config, output, expected, score) => {
    const scorer = await build(config);
    expect(await scorer.score(context(output, item(expected)))).toMatchObject(score);
  });

  describe('not- negation', () => {
    const negatedOf = (config: Record<string, unknown>) => ({
      ...config,
      type: `not-${String(config.type)}`,
    });

    it.each<[Record<string, unknown>, string, JsonValue | undefined]>([
      [{ type: 'equals' }, 'yes', 'yes'],
      [{ type: 'includes', values: ['password'] }, 'Your password is hunter2', undefined],
      [{ type: 'regex', pattern: '\\d{4}' }, 'PIN 1234', undefined],
      [{ type: 'starts_with', value: 'As an AI' }, 'As an AI, I cannot', undefined],
      [{ type: 'json_valid' }, '{"a": 1}', undefined],
      [{ type: 'json_schema', schema: { type: 'array' } }, '[1]', undefined],
    ])('turns a pass of %p into a failure (%j)', async (config, output, expected) => {
      const ctx = context(output, item(expected));
      const plainScore = await (await build(config)).score(ctx);
      expect(plainScore.passed).toBe(true);
      expect(await (await build(negatedOf(config))).score(ctx)).toEqual({
        ...plainScore,
        value: 0,
        passed: false,
        explanation: `should not have: ${plainScore.explanation ?? 'it did'}`,
      });
    });

    it.each<[Record<string, unknown>, string, JsonValue | undefined]>([
      [{ type: 'equals' }, 'no', 'yes'],
      [{ type: 'includes', values: ['password'] }, 'I cannot share that', undefined],
      [{ type: 'regex', pattern: '\\d{4}' }, 'no digits', undefined],
      [{ type: 'starts_with', value: 'As an AI' }, 'Yes, you can', undefined],
      [{ type: 'json_valid' }, 'plain text', undefined],
      [{ type: 'json_schema', schema: { type: 'array' } }, '{}', undefined],
    ])('turns a failure of %p into a pass (%j)', async (config, output, expected) => {
      const ctx = context(output, item(expected));
      const plainScore = await (await build(config)).score(ctx);
      expect(plainScore.passed).toBe(false);
      expect(await (await build(negatedOf(config))).score(ctx)).toEqual({
        ...plainScore,
        value: 1,
        passed: true,
        explanation: undefined,
      });
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'explains a pass turned into a failure with the plain explanation',
        { type: 'not-includes', values: ['password'] },
        'should not have: found "password"',
      ],
      [
        'explains a pass without an explanation as "it did"',
        { type: 'not-equals' },
        'should not have: it did',
      ],
    ])('%s', async (_, config, explanation) => {
      const scorer = await build(config);
      expect(await scorer.score(context('password', item('password')))).toEqual({
        value: 0,
        passed: false,
        explanation,
      });
    });

    it.each<[Record<string, unknown>, JsonValue | undefined]>([
      [{ type: 'not-equals' }, undefined],
      [{ type: 'not-equals', expectedPath: 'answer' }, { other: 'x' }],
      [{ type: 'not-includes' }, []],
      [{ type: 'not-starts_with' }, 42],
    ])('leaves unscored alone: %p', async (config, expected) => {
      const scorer = await build(config);
      const score = await scorer.score(context('anything', item(expected)));
      expect(score.passed).toBeNull();
      expect(score.value).toBeNull();
      expect(score.explanation).toMatch(/^the item has no expected/);
    });
  });

  describe('where', () => {
    it.each<[string, Record<string, JsonValue>, Record<string, JsonValue> | undefined, boolean]>([
      ['a matching string', { channel: 'phone' }, { channel: 'phone', region: 'north' }, true],
      ['another string', { channel: 'phone' }, { channel: 'web' }, false],
      ['no metadata', { channel: 'phone' }, undefined, false],
      ['the key missing', { channel: 'phone' }, { region: 'north' }, false],
      [
        'every key matching',
        { channel: 'phone', region: 'north' },
        { channel: 'phone', region: 'north' },
        true,
      ],
      [
        'one key of two matching',
        { channel: 'phone', region: 'north' },
        { channel: 'phone', region: 'south' },
        false,
      ],
      ['a number', { age: 65 }, { age: 65 }, true],
      ['a number against its string', { age: 65 }, { age: '65' }, false],
      ['a boolean', { vulnerable: true }, { vulnerable: true }, true],
      ['a boolean against its string', { vulnerable: true }, { vulnerable: 'true' }, false],
      ['null against null', { region: null }, { region: null }, true],
      ['null against a missing key', { region: null }, {}, false],
      ['an equal array', { tags: ['a', 'b'] }, { tags: ['a', 'b'] }, true],
      ['an array in another order', { tags: ['a', 'b'] }, { tags: ['b', 'a'] }, false],
      ['an array against one element', { tags: ['a'] }, { tags: 'a' }, false],
      ['an object with keys in another order', { who: { x: 1, y: [2] } }, { who: { y: [2], x: 1 } }, true],
      ['an object with another value', { who: { x: 1, y: [2] } }, { who: { x: 1, y: [3] } }, false],
      ['an object with an extra key', { who: { x: 1 } }, { who: { x: 1, y: 2 } }, false],
      ['an empty filter', {}, undefined, true],
    ])('%s', async (_, where, metadata, applies) => {
      const scorer = await build({ type: 'equals', where });
      expect(scorer.applies(item('x', metadata))).toBe(applies);
    });

    it('applies to every item without a filter', async () => {
      const scorer = await build({ type: 'equals' });
      expect([item(), item('x', {}), item('x', { channel: 'web' })].map((i) => scorer.applies(i))).toEqual([
        true,
        true,
        true,
      ]);
    });

    it.each<[string, Record<string, unknown>, Record<string, JsonValue> | undefined, boolean]>([
      ['a string canary', {}, { canary: 'PINEAPPLE-7' }, true],
      ['no canary', {}, { other: 'x' }, false],
      ['no metadata', {}, undefined, false],
      ['a non-string canary', {}, { canary: 7 }, false],
      ['a custom canary field', { canaryField: 'secret' }, { secret: 'BANANA' }, true],
      [
        'the default field when another is configured',
        { canaryField: 'secret' },
        { canary: 'PINEAPPLE-7' },
        false,
      ],
      [
        'a canary outside the where filter',
        { where: { attack: 'direct' } },
        { canary: 'X', attack: 'indirect' },
        false,
      ],
      [
        'a canary inside the where filter',
        { where: { attack: 'direct' } },
        { canary: 'X', attack: 'direct' },
        true,
      ],
    ])('prompt_injection applies to items with %s', async (_, config, metadata, applies) => {
      const scorer = await build({ type: 'prompt_injection', ...config });
      expect(scorer.applies(item(undefined, metadata))).toBe(applies);
    });
  });
});

describe('judgeRecordingFor', () => {
  const replay: TargetConfig = { type: 'replay', cassette: 'triage' };
  const live: TargetConfig = { type: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' };

  it.each<[string, TargetConfig, boolean, ReturnType<typeof judgeRecordingFor>]>([
    [
      'replays with a replay target',
      replay,
      false,
      { mode: 'replay', cassetteDir: 'cassettes', cassette: 'triage' },
    ],
    [
      'records with a replay target when recording',
      replay,
      true,
      { mode: 'record', cassetteDir: 'cassettes', cassette: 'triage' },
    ],
    ['calls judges live with a live target', live, false, undefined],
    ['calls judges live with a live target even when recording', live, true, undefined],
  ])('%s', (_, target, record, expected) => {
    expect(judgeRecordingFor(target, 'cassettes', record)).toEqual(expected);
  });
});
