import { DEFAULT_GATE_POLICY, type GatePolicyDocument } from '@gatehouse/domain';
import { type ScorerConfig, scorerSchema, type SuiteDefinition } from '@gatehouse/evals';
import {
  buildOnlineScorers,
  type LiveInteractionFacts,
  offlineReason,
  piiFromCounts,
  scoringGates,
  scoringSuites,
} from './online-scorers';

const config = (raw: object): ScorerConfig => scorerSchema.parse(raw);
const definition = (...scorers: object[]) => ({ scorers: scorers.map(config) }) as unknown as SuiteDefinition;

const interaction = (overrides: Partial<LiveInteractionFacts> = {}): LiveInteractionFacts => ({
  id: 'i-1',
  inputText: 'How do I renew my blue badge?',
  outputText: 'You can renew it online at least 12 weeks before it expires.',
  outputChars: 61,
  durationMs: 800,
  inputTokens: 20,
  outputTokens: 40,
  costUsd: 0.0001,
  piiFound: { input: {}, output: {} },
  ...overrides,
});

describe('which scorers run on live traffic', () => {
  it.each([
    [{ type: 'pii_leakage' }, null],
    [{ type: 'out_of_scope_advice' }, null],
    [{ type: 'regex', pattern: '^You' }, null],
    [{ type: 'not-regex', pattern: 'guarantee' }, null],
    [{ type: 'json_valid' }, null],
    [{ type: 'json_schema', schema: { type: 'object' } }, null],
    [{ type: 'latency', maxMs: 2000 }, null],
    [{ type: 'tokens', maxOutputTokens: 300 }, null],
    [{ type: 'cost', maxUsd: 0.01 }, null],
    [{ type: 'refusal', expect: 'comply' }, null],
    [{ type: 'refusal' }, 'expected value'],
    [{ type: 'refusal', name: 'harmful_compliance', where: { harmful: true } }, 'metadata'],
    [{ type: 'pii_leakage', where: { topic: 'x' } }, 'metadata'],
    [{ type: 'equals' }, 'expected answer'],
    [{ type: 'includes', values: ['x'] }, 'expected answer'],
    [{ type: 'similarity' }, 'expected answer'],
    [{ type: 'classification', labels: ['a', 'b'] }, 'expected answer'],
    [{ type: 'numeric' }, 'expected answer'],
    [{ type: 'prompt_injection' }, 'expected answer or item metadata'],
    [{ type: 'rubric_judge', rubric: 'Is it kind?', judge: { model: 'm' } }, 'model judges'],
  ])('%j → %s', (raw, reason) => {
    const why = offlineReason(config(raw));
    expect(why === null ? null : why.includes(reason ?? '\u0000') && reason).toBe(reason);
  });

  it('builds only those, with the evaluation engine’s scorers, once per metric name', async () => {
    const scorers = await buildOnlineScorers([
      definition(
        { type: 'regex', name: 'polite', pattern: '^You' },
        { type: 'equals' },
        { type: 'refusal', name: 'harmful', where: { harmful: true } },
        { type: 'latency', maxMs: 500 },
      ),
      definition({ type: 'regex', name: 'polite', pattern: 'never matches this' }, { type: 'json_valid' }),
    ]);
    expect(scorers.map((s) => [s.name, s.type])).toEqual([
      ['polite', 'regex'],
      ['latency', 'latency'],
      ['json_valid', 'json_valid'],
    ]);
    const [polite, latency, json] = scorers;
    expect(await polite.judge(interaction(), true)).toMatchObject({ passed: true });
    expect(await latency.judge(interaction(), true)).toMatchObject({
      passed: false,
      explanation: '800 ms > 500 ms',
    });
    expect(await latency.judge(interaction({ durationMs: null }), true)).toMatchObject({ passed: null });
    expect(await json.judge(interaction(), true)).toMatchObject({ passed: false });
    expect(await json.judge(interaction({ outputText: null }), true)).toMatchObject({
      passed: null,
      explanation: 'the service sent no completion text for this call',
    });
  });

  it('runs a hostile pattern on RE2: a catastrophic backtracking case stays linear', async () => {
    const [scorer] = await buildOnlineScorers([
      definition({ type: 'regex', name: 'shape', pattern: '^(a+)+$' }),
    ]);
    const started = Date.now();
    const score = await scorer.judge(interaction({ outputText: `${'a'.repeat(30_000)}!` }), true);
    expect(score.passed).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('judges PII from the counts found before redaction when the text is redacted, and from the text when not', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage', allow: ['0800 123 4567'] })]);
    // Redacted text hides the e-mail address; the counts still say one was there.
    const redacted = interaction({
      outputText: 'Write to [EMAIL].',
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(redacted, true)).toMatchObject({ passed: false });
    // Unredacted text goes to the scorer itself, allow list and all.
    const helpline = interaction({
      outputText: 'Call 0800 123 4567.',
      piiFound: { input: {}, output: { uk_phone: 1 } },
    });
    expect(await pii.judge(helpline, false)).toMatchObject({ passed: true });
    expect(await pii.judge({ ...helpline, outputText: 'Call 0800 999 8888.' }, false)).toMatchObject({
      passed: false,
    });
  });

  it('never passes an answer it did not read: no completion sent is unscored, whatever the empty counts say', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage' })]);
    const promptOnly = interaction({
      outputText: null,
      outputChars: 0,
      piiFound: { input: { email: 1 }, output: {} },
    });
    expect(await pii.judge(promptOnly, true)).toMatchObject({ passed: null });
    expect(await pii.judge(promptOnly, false)).toMatchObject({ passed: null });
  });

  it('fails on what the counts found before redaction and the cut, whatever the stored text still shows', async () => {
    const [pii] = await buildOnlineScorers([definition({ type: 'pii_leakage' })]);
    // Kept unredacted but cut at the storage limit, before the e-mail address the counts saw.
    const cut = interaction({
      outputText: 'a'.repeat(32_000),
      outputChars: 32_050,
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(cut, false)).toMatchObject({ passed: false });
    // Redacted when stored; redaction turned off before the batch was scored.
    const flipped = interaction({
      outputText: 'Write to [email].',
      piiFound: { input: {}, output: { email: 1 } },
    });
    expect(await pii.judge(flipped, false)).toMatchObject({ passed: false });
  });
});

describe('piiFromCounts', () => {
  it.each([
    ['nothing found', {}, [], undefined, true],
    ['an e-mail address', { email: 2 }, [], undefined, false],
    ['a kind the scorer does not check', { email: 2 }, [], ['nhs_number'], true],
    ['a checked kind among others', { email: 2, nhs_number: 1 }, [], ['nhs_number'], false],
    [
      'a phone number, with a phone number allowed: cannot tell which',
      { uk_phone: 1 },
      ['0800 123 4567'],
      undefined,
      null,
    ],
    [
      'an e-mail, with only a phone number allowed',
      { email: 1, uk_phone: 1 },
      ['0800 123 4567'],
      undefined,
      false,
    ],
    ['an allow entry that is no personal data allows nothing', { email: 1 }, ['helpdesk'], undefined, false],
    ['zero counts', { email: 0 }, [], undefined, true],
  ] as const)('%s', (_name, output, allow, kinds, passed) => {
    const score = piiFromCounts({ allow: [...allow], ...(kinds ? { kinds: [...kinds] } : {}) }, output);
    expect(score.passed).toBe(passed);
  });

  it('no counts recorded: unscored, never a pass', () => {
    expect(piiFromCounts({ allow: [] }, null)).toMatchObject({ passed: null, value: null });
  });
});

describe('the suites online scoring reads', () => {
  it('the next gate and the current one', () => {
    expect(scoringGates('proposed')).toEqual(['test']);
    expect(scoringGates('learn')).toEqual(['scale', 'learn']);
    expect(scoringGates('scale')).toEqual(['scale']);
    expect(scoringGates('retired')).toEqual([]);
  });

  it('the suite_passed rules of those gates, each suite once with its version constraint', () => {
    const policy: GatePolicyDocument = {
      gates: [
        {
          tier: 'low',
          to: 'scale',
          rules: [
            { kind: 'suite_passed', suite: 'safety', maxAgeDays: 30 },
            { kind: 'suite_passed', suite: 'quality', minVersion: 2, maxAgeDays: 30 },
            { kind: 'metric', suite: 'other', metric: 'm', stat: 'value', op: '>=', threshold: 0 },
          ],
        },
        {
          tier: 'low',
          to: 'learn',
          rules: [{ kind: 'suite_passed', suite: 'safety', version: 1, maxAgeDays: 9 }],
        },
        { tier: 'high', to: 'scale', rules: [{ kind: 'suite_passed', suite: 'high-only', maxAgeDays: 9 }] },
      ],
    };
    expect(scoringSuites(policy, 'low', 'learn')).toEqual([
      { suite: 'safety', version: undefined, minVersion: undefined },
      { suite: 'quality', version: undefined, minVersion: 2 },
    ]);
    expect(scoringSuites(DEFAULT_GATE_POLICY, 'medium', 'learn').map((s) => s.suite)).toEqual([
      'safety-refusals',
    ]);
  });
});
