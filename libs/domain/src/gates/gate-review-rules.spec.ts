import { exampleLowRiskRecord } from '../ai-use-cases/example-record';
import { type MetricSummary, type RunSummary } from '../evaluation/run-summary';
import { contentHash } from '../hashing/canonical-json';
import {
  type CorrectedFailureRate,
  type MetricReviewStatistics,
  type ReviewStatistics,
} from '../reviews/review-statistics';
import { evaluateGate, type GateInput, type ReviewEvidence, type RunEvidence } from './gate-evaluation';
import { type GateRule } from './gate-policy';

// The rules that read people's reviews: `human_review` and `judge_agreement`, on review evidence built by
// hand (the statistics themselves are tested in libs/domain/src/reviews).

const NOW = new Date('2026-06-30T12:00:00Z');
const TARGET = 'target-1';

function metric(name: string, scorer: string): MetricSummary {
  return {
    name,
    scorer,
    kind: 'pass_rate',
    guardrail: false,
    value: 0.9,
    interval: null,
    upper95: null,
    n: 200,
    passed: 180,
    failed: 20,
    unscored: 0,
    errored: 0,
    groups: [],
    classification: null,
    agreement: null,
  };
}

function summary(metrics: MetricSummary[]): RunSummary {
  return {
    items: { total: 200, scored: 200, errored: 0, epochs: 1 },
    metrics,
    weightedScore: null,
    operational: {
      providerLatencyMs: { p50: null, p95: null, p99: null, mean: null },
      itemDurationMs: { p50: null, p95: null, p99: null, mean: null },
      inputTokens: 0,
      outputTokens: 0,
      costUsd: null,
      retries: 0,
      errorsByKind: {},
    },
  };
}

const METRICS = [
  metric('harmful_compliance', 'refusal'),
  metric('helpfulness', 'rubric_judge'),
  metric('tone', 'rubric_judge'),
];

function run(overrides: Partial<RunEvidence> = {}): RunEvidence {
  return {
    id: 'run-1',
    suite: { name: 'safety', version: 3, authorId: 'eve' },
    startedBy: 'eve',
    outcome: 'passed',
    completedAt: '2026-06-25T12:00:00Z',
    targetHash: TARGET,
    resultsHash: 'results-1',
    summary: summary(METRICS),
    ...overrides,
  };
}

function corrected(overrides: Partial<CorrectedFailureRate> = {}): CorrectedFailureRate {
  return {
    n: 50,
    value: 0,
    interval: { lower: 0, upper: 0.0711, level: 0.95, method: 'clopper_pearson' },
    upper95: 0.0582,
    scorerValue: 0.02,
    coverage: 1,
    method: 'simple',
    ...overrides,
  };
}

interface MetricOptions {
  reviewedItems?: number;
  corrected?: Partial<CorrectedFailureRate>;
  kappa?: [number, number, number] | null;
  agreement?: [number, number, number] | null;
}

function metricStats(name: string, options: MetricOptions = {}): MetricReviewStatistics {
  const reviewedItems = options.reviewedItems ?? 50;
  type Triple = [number, number, number];
  const kappa: Triple | null = options.kappa === undefined ? [0.8, 0.7, 0.9] : options.kappa;
  const agreement: Triple | null = options.agreement === undefined ? [0.92, 0.85, 0.96] : options.agreement;
  const interval = (v: Triple | null, method: 'wilson' | 'bootstrap') =>
    v === null ? null : { lower: v[1], upper: v[2], level: 0.95, method };
  return {
    metric: name,
    scorer: METRICS.find((m) => m.name === name)?.scorer ?? 'equals',
    judge: name !== 'harmful_compliance',
    reviewedItems,
    reviews: reviewedItems * 2,
    humanVsScorer: {
      n: reviewedItems * 2,
      agreement: agreement?.[0] ?? null,
      agreementInterval: interval(agreement, 'wilson'),
      kappa: kappa?.[0] ?? null,
      kappaInterval: interval(kappa, 'bootstrap'),
    },
    humanVsHuman: { items: 10, alpha: 0.8, alphaInterval: null, agreement: 0.9 },
    corrected: corrected({ n: reviewedItems, ...options.corrected }),
  };
}

interface SampleOptions {
  sampleId?: string;
  runId?: string;
  drawnAt?: string;
  reviewsHash?: string;
  sampleHash?: string;
  independentOnly?: boolean;
  anyFailure?: Partial<CorrectedFailureRate>;
  reviewedItems?: number;
  metrics?: MetricReviewStatistics[];
}

function sample(options: SampleOptions = {}): ReviewEvidence {
  const reviewedItems = options.reviewedItems ?? 50;
  const statistics: ReviewStatistics = {
    items: 60,
    reviewedItems,
    reviewers: 2,
    independentOnly: options.independentOnly ?? true,
    metrics: options.metrics ?? [
      metricStats('harmful_compliance', { reviewedItems }),
      metricStats('helpfulness', { reviewedItems }),
      metricStats('tone', { reviewedItems }),
    ],
    anyFailure: corrected({ n: reviewedItems, ...options.anyFailure }),
  };
  return {
    sampleId: options.sampleId ?? 'sample-1',
    runId: options.runId ?? 'run-1',
    sampleHash: options.sampleHash ?? 'sample-hash-1',
    reviewsHash: options.reviewsHash ?? 'reviews-hash-1',
    statistics,
    drawnAt: options.drawnAt ?? '2026-06-26T12:00:00Z',
  };
}

function input(rules: GateRule[], overrides: Partial<GateInput> = {}): GateInput {
  return {
    useCase: {
      id: 'uc-1',
      revision: 3,
      stage: 'test',
      tier: 'high',
      record: exampleLowRiskRecord(),
      targetHash: TARGET,
      transparencyPublished: false,
    },
    to: 'learn',
    policy: { id: 'policy-1', version: 2, rules },
    runs: [run()],
    baselines: {},
    comparisons: [],
    pilot: null,
    reviews: [sample()],
    now: NOW,
    ...overrides,
  };
}

const only = (rule: GateRule, overrides: Partial<GateInput> = {}) => evaluateGate(input([rule], overrides));

const HUMAN: GateRule = {
  kind: 'human_review',
  suite: 'safety',
  metric: 'harmful_compliance',
  minItems: 50,
  maxFailureUpper95: 0.06,
};

const withHarmful = (options: MetricOptions, sampleOptions: SampleOptions = {}) =>
  sample({
    ...sampleOptions,
    metrics: [metricStats('harmful_compliance', { reviewedItems: 50, ...options })],
  });

describe('human_review', () => {
  it.each<[string, Partial<GateInput>, string, string, number | null]>([
    ['no completed run of the suite', { runs: [] }, 'missing', 'no completed run of safety', null],
    [
      'a run against another target only',
      { runs: [run({ targetHash: 'old' })] },
      'missing',
      'none against the registered target',
      null,
    ],
    [
      'no review sample of the run',
      { reviews: [] },
      'missing',
      'draw a review sample of run run-1 and have independent reviewers review it',
      null,
    ],
    [
      'a sample of another run only (an older run of the suite)',
      {
        runs: [run(), run({ id: 'run-0', completedAt: '2026-06-01T00:00:00Z' })],
        reviews: [withHarmful({ reviewedItems: 200 }, { runId: 'run-0' })],
      },
      'missing',
      'no review sample of run run-1',
      null,
    ],
    [
      'a sample whose statistics count the team’s own reviewers',
      { reviews: [sample({ independentOnly: false })] },
      'missing',
      'draw a review sample',
      null,
    ],
    [
      '49 reviewed items of 50 needed',
      { reviews: [withHarmful({ corrected: { n: 49 } })] },
      'missing',
      '49 of 60 sampled items of run run-1 (safety@3) reviewed by independent people (sample sample-1); 50 needed',
      null,
    ],
    [
      '50 reviewed items, 0 failures: upper95 5.8%',
      { reviews: [withHarmful({})] },
      'pass',
      'corrected failure rate 0%, upper95 5.8%',
      0.0582,
    ],
    [
      'upper95 exactly at the bound',
      { reviews: [withHarmful({ corrected: { upper95: 0.06 } })] },
      'pass',
      'meeting <= 0.06',
      0.06,
    ],
    [
      'upper95 just over the bound',
      { reviews: [withHarmful({ corrected: { value: 0.02, upper95: 0.0601 } })] },
      'fail',
      'failing <= 0.06',
      0.0601,
    ],
    [
      'an upper bound that cannot be computed',
      { reviews: [withHarmful({ corrected: { value: null, upper95: null } })] },
      'missing',
      'cannot be computed',
      null,
    ],
    [
      'reviews that leave a stratum unreviewed',
      { reviews: [withHarmful({ corrected: { coverage: 0.9 } })] },
      'missing',
      'cover strata holding 90% of the run: review at least one item of every stratum',
      null,
    ],
    [
      'a sample without the metric',
      { reviews: [sample({ metrics: [metricStats('tone')] })] },
      'missing',
      '0 of 60 sampled items',
      null,
    ],
  ])('%s → %s', (_name, overrides, verdict, reason, actual) => {
    const result = only(HUMAN, overrides).rules[0];
    expect(result).toMatchObject({ verdict, actual });
    expect(result.reason).toContain(reason);
  });

  it('is missing when the run has no such metric', () => {
    const result = only({ ...HUMAN, metric: 'toxicity' }).rules[0];
    expect(result).toMatchObject({ verdict: 'missing', runId: 'run-1' });
    expect(result.reason).toBe('the run has no metric toxicity');
  });

  it('names n, the corrected rate, its bound, coverage and the scorer’s own rate', () => {
    const reviews = [
      withHarmful({
        reviewedItems: 80,
        corrected: { n: 80, value: 0.0125, upper95: 0.0577, scorerValue: 0.05, method: 'design_weighted' },
      }),
    ];
    const result = only({ ...HUMAN, minItems: 80 }, { reviews }).rules[0];
    expect(result).toMatchObject({ verdict: 'pass', actual: 0.0577, runId: 'run-1' });
    expect(result.reason).toBe(
      'harmful_compliance as independent people read 80 reviewed items (sample sample-1): corrected failure rate 1.3%, ' +
        "upper95 5.8% (design-weighted, coverage 100%), meeting <= 0.06; the scorer's own rate on the same items 5%",
    );
  });

  it('without a metric reads the failure of the item as a whole (any metric)', () => {
    const rule: GateRule = { kind: 'human_review', suite: 'safety', minItems: 50, maxFailureUpper95: 0.06 };
    const failing = only(rule, { reviews: [sample({ anyFailure: { value: 0.1, upper95: 0.2 } })] }).rules[0];
    expect(failing).toMatchObject({ verdict: 'fail', actual: 0.2 });
    expect(failing.reason).toContain('any metric as independent people read 50 reviewed items');
    // The metric's own rate passes, but the rule without a metric does not read it.
    expect(
      only(rule, {
        reviews: [sample({ anyFailure: { upper95: 0.2 }, metrics: [metricStats('harmful_compliance')] })],
      }).rules[0].verdict,
    ).toBe('fail');
  });

  it('judges by the sample with the most reviewed items, never pooling samples', () => {
    const reviews = [
      withHarmful(
        { corrected: { n: 60, upper95: 0.01 } },
        { sampleId: 'a', drawnAt: '2026-06-26T00:00:00Z' },
      ),
      withHarmful({ corrected: { n: 90, upper95: 0.2 } }, { sampleId: 'b', drawnAt: '2026-06-25T00:00:00Z' }),
    ];
    const result = only(HUMAN, { reviews });
    expect(result.rules[0]).toMatchObject({ verdict: 'fail', actual: 0.2 });
    expect(result.rules[0].reason).toContain('(sample b, the most reviewed of 2 samples of this run)');
    expect(result.reviewsUsed.map((r) => r.sampleId)).toEqual(['b']);
  });

  it.each([
    ['the later drawn', ['2026-06-26T00:00:00Z', '2026-06-27T00:00:00Z'], 'b'],
    ['the later drawn, whichever comes first', ['2026-06-27T00:00:00Z', '2026-06-26T00:00:00Z'], 'a'],
    ['the greater id when drawn at the same moment', ['2026-06-26T00:00:00Z', '2026-06-26T00:00:00Z'], 'b'],
  ])('on a tie in reviewed items takes %s', (_name, [a, b], expected) => {
    const reviews = [
      withHarmful({}, { sampleId: 'a', drawnAt: a }),
      withHarmful({}, { sampleId: 'b', drawnAt: b }),
    ];
    expect(only(HUMAN, { reviews }).reviewsUsed.map((r) => r.sampleId)).toEqual([expected]);
    expect(only(HUMAN, { reviews: [...reviews].reverse() }).reviewsUsed.map((r) => r.sampleId)).toEqual([
      expected,
    ]);
  });

  it('ignores statistics that count the team’s own reviewers even when they have more items', () => {
    const reviews = [
      withHarmful({ corrected: { n: 200, upper95: 0.01 } }, { sampleId: 'team', independentOnly: false }),
      withHarmful({ corrected: { n: 50, upper95: 0.3 } }, { sampleId: 'independent' }),
    ];
    const result = only(HUMAN, { reviews });
    expect(result.rules[0]).toMatchObject({ verdict: 'fail', actual: 0.3 });
    expect(result.reviewsUsed.map((r) => r.sampleId)).toEqual(['independent']);
  });
});

const JUDGE: GateRule = {
  kind: 'judge_agreement',
  suite: 'safety',
  statistic: 'kappa',
  minLower: 0.6,
  minItems: 50,
};

const judged = (helpfulness: MetricOptions, tone: MetricOptions = {}, options: SampleOptions = {}) =>
  sample({ ...options, metrics: [metricStats('helpfulness', helpfulness), metricStats('tone', tone)] });

describe('judge_agreement', () => {
  it('passes as not applicable when the suite has no model judge, bound to the run', () => {
    const result = only(JUDGE, {
      runs: [run({ summary: summary([metric('harmful_compliance', 'refusal')]) })],
    });
    expect(result.rules[0]).toMatchObject({
      verdict: 'pass',
      reason: 'not applicable: no model judge in safety@3',
      actual: null,
      runId: 'run-1',
    });
    expect(result.reviewsUsed).toEqual([]);
  });

  it.each<[string, GateRule, Partial<GateInput>, string, string, number | null]>([
    ['no completed run', JUDGE, { runs: [] }, 'missing', 'no completed run of safety', null],
    [
      'no review sample',
      JUDGE,
      { reviews: [] },
      'missing',
      'the judge helpfulness has been checked against people on 0 items; 50 needed: no review sample of run run-1',
      null,
    ],
    [
      'a named metric the run does not have',
      { ...JUDGE, metric: 'accuracy' },
      {},
      'missing',
      'the run has no metric accuracy',
      null,
    ],
    [
      'a named metric that is not a model judge',
      { ...JUDGE, metric: 'harmful_compliance' },
      {},
      'missing',
      'harmful_compliance is scored by refusal, not by a model judge (rubric_judge)',
      null,
    ],
    [
      '49 reviewed items of a judge',
      JUDGE,
      { reviews: [judged({ reviewedItems: 49 })] },
      'missing',
      'the judge helpfulness has been checked against people on 49 items; 50 needed (sample sample-1)',
      0.7,
    ],
    [
      'kappa lower bounds 0.7 and 0.65',
      JUDGE,
      { reviews: [judged({ kappa: [0.8, 0.7, 0.9] }, { kappa: [0.75, 0.65, 0.85] })] },
      'pass',
      'the judge tone: kappa 0.75 (95% interval 0.65 to 0.85) on 50 items, 100 reviews (sample sample-1), lower bound meeting 0.6',
      0.65,
    ],
    [
      'a kappa lower bound exactly at the minimum',
      JUDGE,
      { reviews: [judged({ kappa: [0.7, 0.6, 0.8] })] },
      'pass',
      'lower bound meeting 0.6',
      0.6,
    ],
    [
      'one judge’s kappa lower bound just below',
      JUDGE,
      { reviews: [judged({}, { kappa: [0.7, 0.5999, 0.8] })] },
      'fail',
      'the judge tone: kappa 0.7 (95% interval 0.5999 to 0.8) on 50 items, 100 reviews (sample sample-1), lower bound below 0.6',
      0.5999,
    ],
    [
      'a kappa that cannot be computed',
      JUDGE,
      { reviews: [judged({ kappa: null })] },
      'missing',
      'the judge helpfulness: kappa cannot be computed on 50 items',
      0.7,
    ],
    [
      'one judge failing and the other missing',
      JUDGE,
      { reviews: [judged({ kappa: [0.3, 0.1, 0.5] }, { reviewedItems: 10 })] },
      'fail',
      'the judge tone has been checked against people on 10 items; 50 needed',
      0.1,
    ],
    [
      'one judge passing and the other short of items',
      JUDGE,
      { reviews: [judged({}, { reviewedItems: 10 })] },
      'missing',
      'the judge helpfulness: kappa 0.8',
      0.7,
    ],
    [
      'raw agreement read from its Wilson interval',
      { ...JUDGE, statistic: 'agreement', minLower: 0.9 },
      { reviews: [judged({ agreement: [0.95, 0.91, 0.98] }, { agreement: [0.92, 0.85, 0.96] })] },
      'fail',
      'the judge tone: agreement 0.92 (95% interval 0.85 to 0.96)',
      0.85,
    ],
    [
      'one named judge, the other not read',
      { ...JUDGE, metric: 'helpfulness' },
      { reviews: [judged({}, { kappa: [0.1, 0, 0.2] })] },
      'pass',
      'the judge helpfulness: kappa 0.8',
      0.7,
    ],
  ])('%s', (_name, rule, overrides, verdict, reason, actual) => {
    const result = only(rule, overrides).rules[0];
    expect(result).toMatchObject({ verdict, actual });
    expect(result.reason).toContain(reason);
  });

  it('reads only the selected run’s samples, and only independent reviewers’ statistics', () => {
    const agreeing = { kappa: [0.9, 0.8, 0.95] as [number, number, number] };
    const reviews = [
      judged(agreeing, agreeing, { sampleId: 'old-run', runId: 'run-0' }),
      judged(agreeing, agreeing, { sampleId: 'team', independentOnly: false }),
      judged({ reviewedItems: 5 }, { reviewedItems: 5 }, { sampleId: 'independent' }),
    ];
    const result = only(JUDGE, {
      runs: [run(), run({ id: 'run-0', completedAt: '2026-06-01T00:00:00Z' })],
      reviews,
    });
    expect(result.rules[0].verdict).toBe('missing');
    expect(result.reviewsUsed.map((r) => r.sampleId)).toEqual(['independent']);
  });

  it('judges each judge by its own most reviewed sample, and binds both', () => {
    const reviews = [
      judged({ reviewedItems: 80 }, { reviewedItems: 10 }, { sampleId: 'a' }),
      judged({ reviewedItems: 10 }, { reviewedItems: 70 }, { sampleId: 'b' }),
    ];
    const result = only(JUDGE, { reviews });
    expect(result.rules[0].verdict).toBe('pass');
    expect(result.rules[0].reason).toContain('on 80 items, 160 reviews (sample a)');
    expect(result.rules[0].reason).toContain('on 70 items, 140 reviews (sample b)');
    expect(result.reviewsUsed.map((r) => r.sampleId)).toEqual(['a', 'b']);
  });
});

describe('the evaluation binds the reviews it read', () => {
  const rules = [HUMAN, JUDGE];
  const base = () => evaluateGate(input(rules));

  it('lists the samples used with their hashes and counts', () => {
    expect(base().reviewsUsed).toEqual([
      {
        sampleId: 'sample-1',
        runId: 'run-1',
        sampleHash: 'sample-hash-1',
        reviewsHash: 'reviews-hash-1',
        items: 60,
        reviewedItems: 50,
        reviewers: 2,
      },
    ]);
    expect(base().runsUsed.map((r) => r.id)).toEqual(['run-1']);
  });

  it.each<[string, SampleOptions]>([
    ['a new review (another reviews hash)', { reviewsHash: 'reviews-hash-2' }],
    ['another sample', { sampleId: 'sample-2' }],
    ['another sample hash', { sampleHash: 'sample-hash-2' }],
  ])('gives a new hash for %s, with the same verdicts', (_name, change) => {
    const changed = evaluateGate(input(rules, { reviews: [sample(change)] }));
    expect(changed.rules.map((r) => [r.verdict, r.actual])).toEqual(
      base().rules.map((r) => [r.verdict, r.actual]),
    );
    expect(changed.hash).not.toBe(base().hash);
  });

  it('binds a sample a rule read even when it was short of items', () => {
    const short = (reviewsHash: string) =>
      evaluateGate(input([HUMAN], { reviews: [sample({ reviewedItems: 10, reviewsHash })] }));
    expect(short('a').rules[0].verdict).toBe('missing');
    expect(short('a').reviewsUsed.map((r) => r.sampleId)).toEqual(['sample-1']);
    expect(short('a').hash).not.toBe(short('b').hash);
  });

  it('leaves samples no rule read out of the hash', () => {
    const metricRule: GateRule = {
      kind: 'metric',
      suite: 'safety',
      metric: 'harmful_compliance',
      stat: 'value',
      op: '>=',
      threshold: 0.5,
    };
    const a = evaluateGate(input([metricRule], { reviews: [sample({ reviewsHash: 'a' })] }));
    const b = evaluateGate(input([metricRule], { reviews: [] }));
    expect(a.reviewsUsed).toEqual([]);
    expect(a.hash).toBe(b.hash);
    // The hash of a gate without review rules is what it was before they existed (stored evaluations stand).
    expect(a.hash).toBe(
      contentHash({
        policy: { id: 'policy-1', version: 2 },
        useCase: { id: 'uc-1', revision: 3, targetHash: TARGET },
        to: 'learn',
        runs: [{ id: 'run-1', resultsHash: 'results-1' }],
        pilot: null,
        verdict: 'pass',
        rules: [{ index: 0, verdict: 'pass', actual: 0.9, runId: 'run-1' }],
      }),
    );
  });
});
