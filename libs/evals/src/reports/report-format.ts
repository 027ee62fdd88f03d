import { type Interval, type IntervalMethod, type MetricSummary } from '@gatehouse/domain';
import { type RunOutcome, type RunReport, type ThresholdOp, type ThresholdStat } from './run-report';
import { formatDecimal, formatPercent, formatPercentagePoints } from './svg-charts';

// Formatting for the HTML report: labels, numbers, counts, times and costs as plain text (the markup
// helpers escape it where it is used).

export const outcomeLabels: Record<RunOutcome, string> = {
  passed: 'Passed',
  failed: 'Failed',
  errored: 'Errored',
};

export const opSymbols: Record<ThresholdOp, string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };

export const methodNames: Record<IntervalMethod, string> = {
  wilson: 'Wilson score',
  bootstrap: 'bootstrap',
  clopper_pearson: 'Clopper–Pearson',
  newcombe: 'Newcombe',
  normal: 'normal approximation',
};

export const kindNames: Record<MetricSummary['kind'], string> = {
  pass_rate: 'pass rate',
  failure_rate: 'failure rate',
  mean: 'mean score',
};

export function valueFormat(metric: MetricSummary | undefined): (v: number) => string {
  if (metric === undefined) {
    return formatPlain;
  }
  return metric.kind === 'mean' ? formatDecimal : formatPercent;
}

export function gapFormat(metric: MetricSummary | undefined): (v: number) => string {
  if (metric === undefined) {
    return formatPlain;
  }
  return metric.kind === 'mean' ? formatDecimal : formatPercentagePoints;
}

export function statFormat(metric: MetricSummary | undefined, stat: ThresholdStat): (v: number) => string {
  return stat === 'max_group_gap' || stat === 'max_group_gap_upper95'
    ? gapFormat(metric)
    : valueFormat(metric);
}

function formatPlain(v: number): string {
  return String(Number(v.toFixed(4)));
}

export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const h = Math.floor(seconds / 3600);
  const min = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${h} h` : '', `${min} min`, `${s.toFixed(1)} s`].filter(Boolean).join(' ');
}

export function formatCost(usd: number | null): string {
  if (usd === null) {
    return 'not recorded';
  }
  if (usd > 0 && usd < 0.01) {
    return 'less than US$0.01';
  }
  return `US$${usd.toFixed(2)}`;
}

export function parseTime(iso: string | null): number | null {
  if (iso === null) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function runSeconds(report: RunReport): number | null {
  const start = parseTime(report.manifest.startedAt);
  const end = parseTime(report.manifest.completedAt);
  return start === null || end === null || end < start ? null : (end - start) / 1000;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function percentOf(part: number, whole: number): string {
  return whole > 0 ? formatPercent(part / whole) : formatPercent(0);
}

export function intervalSuffix(interval: Interval): string {
  const level = Math.round(interval.level * 1000) / 10;
  return `${level}% ${methodNames[interval.method]} interval`;
}
