import { compareStat, readMetricStat, type RunSummary } from '@gatehouse/domain';
import { type ThresholdResult } from '../reports/run-report';
import { type SuiteDefinition } from '../suites/suite-schema';

const format = (n: number) => (Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));

/** Judges each threshold of the suite against the summary, with a plain-English reason. */
export function evaluateThresholds(
  summary: RunSummary,
  thresholds: SuiteDefinition['thresholds'],
): ThresholdResult[] {
  return thresholds
    .map((threshold) => {
      const metric = summary.metrics.find((m) => m.name === threshold.metric);
      const actual = metric ? readMetricStat(metric, threshold.stat) : null;
      const label = `${threshold.metric} ${threshold.stat} ${threshold.op} ${threshold.value}`;
      if (actual === null) {
        const why = !metric
          ? 'the metric is missing'
          : metric.n === 0
            ? 'no item was scored'
            : threshold.stat.startsWith('max_group_gap')
              ? 'fewer than two groups are large enough to compare'
              : 'the statistic is not available for this metric';
        return {
          ...threshold,
          threshold: threshold.value,
          actual: null,
          passed: false,
          reason: `${label}: cannot be judged (${why})`,
        };
      }
      const passed = compareStat(actual, threshold.op, threshold.value);
      return {
        ...threshold,
        threshold: threshold.value,
        actual,
        passed,
        reason: `${threshold.metric} ${threshold.stat} is ${format(actual)}, ${passed ? 'meeting' : 'failing'} ${threshold.op} ${threshold.value}`,
      };
    })
    .map(({ metric, stat, op, threshold, actual, passed, reason }) => ({
      metric,
      stat,
      op,
      threshold,
      actual,
      passed,
      reason,
    }));
}
