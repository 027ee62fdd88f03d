import { type MetricSummary } from './run-summary';

export type MetricStat =
  'value' | 'ci_lower' | 'ci_upper' | 'upper95' | 'max_group_gap' | 'max_group_gap_upper95';
export type ComparisonOp = '>=' | '>' | '<=' | '<';

/**
 * The number a threshold or gate rule tests: the point value, an interval bound, the exact upper bound
 * of a failure rate, or the largest gap between groups (over every group breakdown) and its upper bound.
 * Null when the metric cannot give it (no scored items, no groups large enough).
 */
export function readMetricStat(metric: MetricSummary, stat: MetricStat): number | null {
  switch (stat) {
    case 'value':
      return metric.value;
    case 'ci_lower':
      return metric.interval?.lower ?? null;
    case 'ci_upper':
      return metric.interval?.upper ?? null;
    case 'upper95':
      return metric.upper95 ?? metric.interval?.upper ?? null;
    case 'max_group_gap':
    case 'max_group_gap_upper95': {
      const gaps = metric.groups
        .map((g) => g.maxGap)
        .filter((gap): gap is NonNullable<typeof gap> => gap !== null)
        .map((gap) => (stat === 'max_group_gap' ? gap.value : gap.interval.upper));
      return gaps.length === 0 ? null : Math.max(...gaps);
    }
  }
}

export function compareStat(actual: number, op: ComparisonOp, threshold: number): boolean {
  switch (op) {
    case '>=':
      return actual >= threshold;
    case '>':
      return actual > threshold;
    case '<=':
      return actual <= threshold;
    case '<':
      return actual < threshold;
  }
}
