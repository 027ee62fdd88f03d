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

/** Why items errored, one line per kind: "  20 client_error (100.0%): refused (401): Incorrect API key…". */
export function errorLines(report: RunReport): string[] {
  return (report.summary.operational.errors ?? []).map(
    (e) => `  ${e.count} ${e.kind} (${percent(e.share)}): ${e.message}`,
  );
}

/** "12 retries (8 rate_limited, 4 server_error); 8 rate-limit pauses, 9.2 s paused". */
export function retryLine(report: RunReport): string {
  const op = report.summary.operational;
  const byKind = Object.entries(op.retriesByKind ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, n]) => `${n} ${kind}`);
  const pauses = op.rateLimit?.pauses ?? 0;
  return (
    `${op.retries} retries${byKind.length > 0 ? ` (${byKind.join(', ')})` : ''}` +
    (pauses > 0
      ? `; ${pauses} rate-limit pause${pauses === 1 ? '' : 's'}, ${(op.rateLimit?.pauseSeconds ?? 0).toFixed(1)} s paused`
      : '')
  );
}
