import { type ComparisonOp, compareStat, type MetricStat, readMetricStat } from './metric-stat';
import { type GroupBreakdown, type Interval, type MetricSummary } from './run-summary';

const interval = (lower: number, upper: number): Interval => ({
  lower,
  upper,
  level: 0.95,
  method: 'wilson',
});

const breakdown = (key: string, gap: { value: number; upper: number } | null): GroupBreakdown => ({
  key,
  groups: [],
  smallGroups: [],
  maxGap:
    gap === null
      ? null
      : {
          value: gap.value,
          between: ['high', 'low'],
          interval: { lower: gap.value / 2, upper: gap.upper, level: 0.95, method: 'bootstrap' },
        },
});

function metric(overrides: Partial<MetricSummary> = {}): MetricSummary {
  return {
    name: 'routing',
    scorer: 'classification',
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

describe('readMetricStat', () => {
  const groups = [
    breakdown('region', { value: 0.3, upper: 0.35 }),
    breakdown('age_band', null),
    breakdown('sex', { value: 0.2, upper: 0.5 }),
  ];

  it.each<[string, MetricStat, Partial<MetricSummary>, number | null]>([
    ['the point value', 'value', {}, 0.8],
    ['a zero value', 'value', { value: 0 }, 0],
    ['no value', 'value', { value: null, interval: null, n: 0 }, null],
    ['the interval’s lower bound', 'ci_lower', {}, 0.7],
    ['the interval’s upper bound', 'ci_upper', {}, 0.9],
    ['no interval: no lower bound', 'ci_lower', { interval: null }, null],
    ['no interval: no upper bound', 'ci_upper', { interval: null }, null],
    [
      'a guardrail’s exact upper bound',
      'upper95',
      { guardrail: true, upper95: 0.25, interval: interval(0.01, 0.2) },
      0.25,
    ],
    ['an exact upper bound of zero (not replaced)', 'upper95', { upper95: 0 }, 0],
    ['the interval’s upper bound when there is no exact one', 'upper95', {}, 0.9],
    ['no upper bound at all', 'upper95', { interval: null }, null],
    // The largest gap over every breakdown; its upper bound is the largest upper bound (another breakdown's).
    ['the largest group gap', 'max_group_gap', { groups }, 0.3],
    ['the largest group gap’s upper bound', 'max_group_gap_upper95', { groups }, 0.5],
    ['a single gap', 'max_group_gap', { groups: [breakdown('region', { value: 0.1, upper: 0.2 })] }, 0.1],
    ['a zero gap', 'max_group_gap', { groups: [breakdown('region', { value: 0, upper: 0.05 })] }, 0],
    ['no groups', 'max_group_gap', {}, null],
    ['no groups: no upper bound', 'max_group_gap_upper95', {}, null],
    ['no breakdown with a gap', 'max_group_gap', { groups: [breakdown('region', null)] }, null],
    [
      'no breakdown with a gap: no upper bound',
      'max_group_gap_upper95',
      { groups: [breakdown('region', null)] },
      null,
    ],
  ])('%s', (_, stat, overrides, expected) => {
    expect(readMetricStat(metric(overrides), stat)).toBe(expected);
  });
});

describe('compareStat', () => {
  it.each<[ComparisonOp, number, number, boolean]>([
    ['>=', 0.79, 0.8, false],
    ['>=', 0.8, 0.8, true],
    ['>=', 0.81, 0.8, true],
    ['>', 0.79, 0.8, false],
    ['>', 0.8, 0.8, false],
    ['>', 0.81, 0.8, true],
    ['<=', 0.79, 0.8, true],
    ['<=', 0.8, 0.8, true],
    ['<=', 0.81, 0.8, false],
    ['<', 0.79, 0.8, true],
    ['<', 0.8, 0.8, false],
    ['<', 0.81, 0.8, false],
    ['>=', 0, 0, true],
    ['<', 0, 0, false],
    ['<=', -1, 0, true],
  ])('%s: %d against %d → %p', (op, actual, threshold, passed) => {
    expect(compareStat(actual, op, threshold)).toBe(passed);
  });
});
