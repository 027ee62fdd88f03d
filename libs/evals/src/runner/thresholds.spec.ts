import { type GroupBreakdown, type Interval, type MetricSummary, type RunSummary } from '@gatehouse/domain';
import { type ThresholdResult } from '../reports/run-report';
import { type SuiteDefinition, thresholdSchema } from '../suites/suite-schema';
import { evaluateThresholds } from './thresholds';

type Threshold = SuiteDefinition['thresholds'][number];

const interval = (lower: number, upper: number): Interval => ({
  lower,
  upper,
  level: 0.95,
  method: 'wilson',
});

const breakdown = (key: string, value: number, upper: number): GroupBreakdown => ({
  key,
  groups: [],
  smallGroups: [],
  maxGap: {
    value,
    between: ['high', 'low'],
    interval: { lower: value / 2, upper, level: 0.95, method: 'bootstrap' },
  },
});

function metric(name: string, overrides: Partial<MetricSummary> = {}): MetricSummary {
  return {
    name,
    scorer: 'equals',
    kind: 'pass_rate',
    guardrail: false,
    value: 0.8,
    interval: interval(0.7, 0.9),
    upper95: null,
    n: 10,
    passed: 8,
    failed: 2,
    unscored: 0,
    errored: 0,
    groups: [],
    classification: null,
    agreement: null,
    ...overrides,
  };
}

const summary: RunSummary = {
  items: { total: 10, scored: 10, errored: 0, epochs: 1 },
  metrics: [
    metric('routing', {
      scorer: 'classification',
      // Gaps 0.3 (upper 0.35) and 0.2 (upper 0.5): the largest gap and the largest upper bound differ.
      groups: [breakdown('region', 0.3, 0.35), breakdown('sex', 0.2, 0.5)],
    }),
    metric('pii', {
      scorer: 'pii_leakage',
      kind: 'failure_rate',
      guardrail: true,
      value: 0.02,
      interval: interval(0.005, 0.1),
      upper95: 0.05,
    }),
    metric('tokens', { kind: 'mean', value: 12.345, interval: interval(11.2, 13.4) }),
    metric('empty', { value: null, interval: null, n: 0, passed: 0, failed: 0, errored: 3 }),
    metric('no-interval', { interval: null }),
  ],
  weightedScore: 0.8,
  operational: {
    providerLatencyMs: { p50: 100, p95: 200, p99: 300, mean: 120 },
    itemDurationMs: { p50: 110, p95: 210, p99: 310, mean: 130 },
    inputTokens: 1000,
    outputTokens: 500,
    costUsd: null,
    retries: 0,
    errorsByKind: {},
  },
};

const threshold = (
  metricName: string,
  stat: Threshold['stat'],
  op: Threshold['op'],
  value: number,
): Threshold => ({
  metric: metricName,
  stat,
  op,
  value,
});

describe('evaluateThresholds', () => {
  it.each<[Threshold, number, boolean, string]>([
    // Every op at its boundary: equal passes >= and <=, fails > and <.
    [threshold('routing', 'value', '>=', 0.8), 0.8, true, 'routing value is 0.800, meeting >= 0.8'],
    [threshold('routing', 'value', '>', 0.8), 0.8, false, 'routing value is 0.800, failing > 0.8'],
    [threshold('routing', 'value', '<=', 0.8), 0.8, true, 'routing value is 0.800, meeting <= 0.8'],
    [threshold('routing', 'value', '<', 0.8), 0.8, false, 'routing value is 0.800, failing < 0.8'],
    [threshold('routing', 'value', '>', 0.79), 0.8, true, 'routing value is 0.800, meeting > 0.79'],
    [threshold('routing', 'value', '<', 0.81), 0.8, true, 'routing value is 0.800, meeting < 0.81'],
    [threshold('routing', 'value', '>=', 0.81), 0.8, false, 'routing value is 0.800, failing >= 0.81'],
    [threshold('routing', 'value', '<=', 0.79), 0.8, false, 'routing value is 0.800, failing <= 0.79'],
    // Interval bounds.
    [threshold('routing', 'ci_lower', '>=', 0.7), 0.7, true, 'routing ci_lower is 0.700, meeting >= 0.7'],
    [threshold('routing', 'ci_lower', '>', 0.7), 0.7, false, 'routing ci_lower is 0.700, failing > 0.7'],
    [threshold('routing', 'ci_upper', '<=', 0.9), 0.9, true, 'routing ci_upper is 0.900, meeting <= 0.9'],
    [threshold('routing', 'ci_upper', '<', 0.9), 0.9, false, 'routing ci_upper is 0.900, failing < 0.9'],
    // A guardrail's exact upper bound; for another metric, the interval's upper bound.
    [threshold('pii', 'upper95', '<=', 0.05), 0.05, true, 'pii upper95 is 0.050, meeting <= 0.05'],
    [threshold('pii', 'upper95', '<', 0.05), 0.05, false, 'pii upper95 is 0.050, failing < 0.05'],
    [threshold('pii', 'value', '<=', 0.02), 0.02, true, 'pii value is 0.020, meeting <= 0.02'],
    [threshold('routing', 'upper95', '<=', 0.9), 0.9, true, 'routing upper95 is 0.900, meeting <= 0.9'],
    // The largest group gap and the largest upper bound of a gap.
    [
      threshold('routing', 'max_group_gap', '<=', 0.3),
      0.3,
      true,
      'routing max_group_gap is 0.300, meeting <= 0.3',
    ],
    [
      threshold('routing', 'max_group_gap', '<', 0.3),
      0.3,
      false,
      'routing max_group_gap is 0.300, failing < 0.3',
    ],
    [
      threshold('routing', 'max_group_gap', '>=', 0.3),
      0.3,
      true,
      'routing max_group_gap is 0.300, meeting >= 0.3',
    ],
    [
      threshold('routing', 'max_group_gap', '>', 0.3),
      0.3,
      false,
      'routing max_group_gap is 0.300, failing > 0.3',
    ],
    [
      threshold('routing', 'max_group_gap_upper95', '<=', 0.5),
      0.5,
      true,
      'routing max_group_gap_upper95 is 0.500, meeting <= 0.5',
    ],
    [
      threshold('routing', 'max_group_gap_upper95', '<', 0.5),
      0.5,
      false,
      'routing max_group_gap_upper95 is 0.500, failing < 0.5',
    ],
    // Figures of 10 or more are shown to one place.
    [threshold('tokens', 'value', '>=', 10), 12.345, true, 'tokens value is 12.3, meeting >= 10'],
    [threshold('tokens', 'ci_upper', '<', 13), 13.4, false, 'tokens ci_upper is 13.4, failing < 13'],
  ])('%p', (t, actual, passed, reason) => {
    expect(evaluateThresholds(summary, [t])).toEqual([
      { metric: t.metric, stat: t.stat, op: t.op, threshold: t.value, actual, passed, reason },
    ]);
  });

  it.each<[Threshold, string]>([
    [
      threshold('missing', 'value', '>=', 0.8),
      'missing value >= 0.8: cannot be judged (the metric is missing)',
    ],
    [threshold('empty', 'value', '>=', 0.8), 'empty value >= 0.8: cannot be judged (no item was scored)'],
    [
      threshold('empty', 'ci_lower', '>=', 0.5),
      'empty ci_lower >= 0.5: cannot be judged (no item was scored)',
    ],
    [threshold('empty', 'upper95', '<=', 0.1), 'empty upper95 <= 0.1: cannot be judged (no item was scored)'],
    [
      threshold('empty', 'max_group_gap', '<=', 0.1),
      'empty max_group_gap <= 0.1: cannot be judged (no item was scored)',
    ],
    [
      threshold('pii', 'max_group_gap', '<=', 0.1),
      'pii max_group_gap <= 0.1: cannot be judged (fewer than two groups are large enough to compare)',
    ],
    [
      threshold('pii', 'max_group_gap_upper95', '<=', 0.1),
      'pii max_group_gap_upper95 <= 0.1: cannot be judged (fewer than two groups are large enough to compare)',
    ],
    [
      threshold('no-interval', 'ci_lower', '>=', 0.5),
      'no-interval ci_lower >= 0.5: cannot be judged (the statistic is not available for this metric)',
    ],
    [
      threshold('no-interval', 'upper95', '<=', 0.5),
      'no-interval upper95 <= 0.5: cannot be judged (the statistic is not available for this metric)',
    ],
  ])('does not pass what cannot be judged: %p', (t, reason) => {
    expect(evaluateThresholds(summary, [t])).toEqual([
      { metric: t.metric, stat: t.stat, op: t.op, threshold: t.value, actual: null, passed: false, reason },
    ]);
  });

  it('judges every threshold, in order, with exactly the result fields', () => {
    const results = evaluateThresholds(summary, [
      threshold('pii', 'upper95', '<=', 0.01),
      threshold('routing', 'ci_lower', '>=', 0.6),
      threshold('missing', 'value', '>=', 0),
    ]);
    expect(results.map((r) => [r.metric, r.passed])).toEqual([
      ['pii', false],
      ['routing', true],
      ['missing', false],
    ]);
    const keys: (keyof ThresholdResult)[] = [
      'metric',
      'stat',
      'op',
      'threshold',
      'actual',
      'passed',
      'reason',
    ];
    for (const result of results) {
      expect(Object.keys(result)).toEqual(keys);
    }
  });

  it('judges nothing without thresholds', () => {
    expect(evaluateThresholds(summary, [])).toEqual([]);
  });

  it('takes thresholds as the suite schema gives them (stat defaults to value)', () => {
    const parsed = thresholdSchema.parse({ metric: 'routing', op: '>=', value: 0.8 });
    expect(evaluateThresholds(summary, [parsed])).toEqual([
      {
        metric: 'routing',
        stat: 'value',
        op: '>=',
        threshold: 0.8,
        actual: 0.8,
        passed: true,
        reason: 'routing value is 0.800, meeting >= 0.8',
      },
    ]);
  });
});
