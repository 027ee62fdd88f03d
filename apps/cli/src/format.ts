import { type MetricSummary } from '@gatehouse/domain';
import { type RunReport } from '@gatehouse/evals';
import Table from 'cli-table3';

export const percent = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? '–' : `${(value * 100).toFixed(digits)}%`;

function metricValue(metric: MetricSummary): string {
  if (metric.value === null) {
    return '–';
  }
  return metric.kind === 'mean' && metric.scorer !== 'rubric_judge' && metric.scorer !== 'similarity'
    ? metric.value.toFixed(3)
    : percent(metric.value);
}

function interval(metric: MetricSummary): string {
  if (!metric.interval) {
    return '–';
  }
  return `${percent(metric.interval.lower)} – ${percent(metric.interval.upper)}`;
}

/** The summary table: metric, value, 95% interval, n, unscored and errored beside every metric. */
export function summaryTable(report: RunReport, color: boolean): string {
  const table = new Table({
    head: ['metric', 'value', '95% interval', 'n', 'unscored', 'errored', 'worst group gap'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const metric of report.summary.metrics) {
    const gap = metric.groups
      .filter((g) => g.maxGap)
      .sort((a, b) => (b.maxGap?.value ?? 0) - (a.maxGap?.value ?? 0))[0];
    table.push([
      metric.guardrail ? `${metric.name} (failure rate)` : metric.name,
      metricValue(metric),
      metric.guardrail && metric.upper95 !== null
        ? `≤ ${percent(metric.upper95)} (upper 95%)`
        : interval(metric),
      String(metric.n),
      String(metric.unscored),
      String(metric.errored),
      gap?.maxGap
        ? `${gap.key}: ${percent(gap.maxGap.value)} (≤ ${percent(gap.maxGap.interval.upper)})`
        : '–',
    ]);
  }
  return table.toString();
}

export function thresholdLines(report: RunReport): string[] {
  return report.thresholds.map((t) => `${t.passed ? 'PASS' : 'FAIL'}  ${t.reason}`);
}
