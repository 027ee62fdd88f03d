import {
  canReviewRun,
  type ReviewSampleView,
  type RunResultView,
  type RunView,
  type StoredRunReport,
} from '@gatehouse/application';
import {
  type Actor,
  allowedRunActions,
  hasRole,
  isLiveRunStatus,
  type MetricComparison,
  type MetricSummary,
} from '@gatehouse/domain';
import {
  escapeMarkup,
  type FailureExample,
  formatDecimal,
  formatPercent,
  formatPercentagePoints,
  formatRange,
  type ThresholdResult,
} from '@gatehouse/evals';
import { type ChartThreshold, intervalChart } from './charts';
import { reportGroupKeys, runReviewSection } from './review-pages';

/**
 * What the run report page shows, worked out from the application's views and the run's stored report (no
 * HTML but fixed tags and the metrics' links).
 */

export const FAILED_PAGE_SIZE = 10;
/** Thresholds on these statistics are drawn on the metric's chart (the gap ones belong to the groups). */
const CHARTED_STATS = new Set(['value', 'ci_lower', 'ci_upper', 'upper95']);

export type Cell = { text?: string; html?: string; format?: 'numeric'; classes?: string };
type Tag = { text: string; classes: string };

const STATUS_TAGS: Record<string, Tag> = {
  queued: { text: 'Queued', classes: 'govuk-tag--grey' },
  running: { text: 'Running', classes: 'govuk-tag--light-blue' },
  aggregating: { text: 'Aggregating', classes: 'govuk-tag--light-blue' },
  completed: { text: 'Completed', classes: 'govuk-tag--green' },
  cancelled: { text: 'Cancelled', classes: 'govuk-tag--grey' },
  failed: { text: 'Failed', classes: 'govuk-tag--red' },
};
const OUTCOME_TAGS: Record<string, Tag> = {
  passed: { text: 'Passed', classes: 'govuk-tag--green' },
  failed: { text: 'Failed', classes: 'govuk-tag--red' },
  errored: { text: 'Errored', classes: 'govuk-tag--orange' },
  cancelled: { text: 'Cancelled', classes: 'govuk-tag--grey' },
};
const VERDICT_TAGS: Record<MetricComparison['verdict'], Tag> = {
  worse: { text: 'Worse', classes: 'govuk-tag--red' },
  better: { text: 'Better', classes: 'govuk-tag--green' },
  no_difference: { text: 'No clear difference', classes: 'govuk-tag--grey' },
};
const INTERVAL_METHODS: Record<string, string> = {
  wilson: 'Wilson',
  bootstrap: 'bootstrap',
  clopper_pearson: 'Clopper-Pearson',
  newcombe: 'Newcombe',
  normal: 'normal approximation',
};
const KIND_WORDS: Record<MetricSummary['kind'], string> = {
  pass_rate: 'Pass rate',
  mean: 'Mean score',
  failure_rate: 'Failure rate',
};

/** The AI use case a run was started for, as the run page links it. */
export interface RunUseCase {
  id: string | null;
  name: string;
  ownerTeamId: string | null;
}

/** The paired comparison with the baseline run, or why there is none. */
export interface RunComparisonView {
  baselineId: string;
  error: string | null;
  rows: Cell[][];
}

/** Everything runs/show.njk shows, from the run and what the controller read beside it. */
export function runPageView(args: {
  actor: Actor;
  run: RunView;
  starter: string;
  useCase: RunUseCase | null;
  failed: { items: RunResultView[]; total: number; page: number } | null;
  comparison: RunComparisonView | null;
  /** The run's review samples (none until the run has a report). */
  reviewSamples?: ReviewSampleView[];
}) {
  const { actor, run, starter, useCase, failed, comparison } = args;
  const metrics = run.report?.summary.metrics ?? [];
  const guardrails = new Set(metrics.filter((m) => m.guardrail).map((m) => m.name));
  return {
    title: `Run of ${run.suite.name}@${run.suite.version}`,
    run,
    statusTag: STATUS_TAGS[run.status] ?? { text: run.status, classes: 'govuk-tag--grey' },
    outcomeTag: run.outcome ? (OUTCOME_TAGS[run.outcome] ?? null) : null,
    starter: run.createdBy === actor.id ? `${starter} (you)` : starter,
    useCase,
    live: isLiveRunStatus(run.status),
    progressText: progressText(run.progress),
    mayCancel: allowedRunActions(
      actor,
      run,
      useCase?.ownerTeamId ? { ownerTeamId: useCase.ownerTeamId } : null,
    ).cancel,
    report: run.report ? reportView(run.report) : null,
    guardrailFailures: run.report ? guardrailFailures(run.report.failures, guardrails, metrics) : null,
    hasGuardrails: guardrails.size > 0,
    failedItems: failed ? failedItemsView(run, failed, failed.page, run.report?.failures ?? []) : null,
    comparison,
    humanReview: run.report ? humanReviewView(actor, run, useCase, args.reviewSamples ?? []) : null,
  };
}

/**
 * The "Human review" section: the samples with progress and statistics, and the draw form for those who
 * may draw (a reviewer, or the owning team's engineers and service team; with no use case, the suite's
 * team, which the service checks).
 */
function humanReviewView(
  actor: Actor,
  run: RunView,
  useCase: RunUseCase | null,
  samples: ReviewSampleView[],
) {
  const mayDraw =
    run.status === 'completed' &&
    (useCase?.ownerTeamId
      ? canReviewRun(actor, useCase.ownerTeamId)
      : hasRole(actor, 'reviewer', 'engineer', 'service_team'));
  return {
    ...runReviewSection(samples, reportGroupKeys(run.report)),
    mayDraw,
    draw: { size: '', seed: '', groupKey: '', failureWeight: '3', judgedWeight: '2' },
  };
}

/** The comparison table's rows: each metric in the baseline run and this one, the difference, the verdict. */
export function comparisonRows(metrics: MetricComparison[], run: RunView): Cell[][] {
  const byName = new Map((run.report?.summary.metrics ?? []).map((m) => [m.name, m]));
  return metrics.map((c): Cell[] => {
    const metric = byName.get(c.metric);
    const format = formatOf(metric);
    const diff = isRate(metric) ? formatPercentagePoints : formatDecimal;
    return [
      { text: metric?.guardrail ? `${c.metric} (items passing the guardrail)` : c.metric },
      { text: c.baseline === null ? '–' : format(c.baseline), format: 'numeric' },
      { text: c.candidate === null ? '–' : format(c.candidate), format: 'numeric' },
      { text: c.difference === null ? '–' : signed(c.difference, diff), format: 'numeric' },
      { text: c.interval ? formatRange(c.interval.lower, c.interval.upper, diff) : '–' },
      { text: String(c.n), format: 'numeric' },
      { text: c.pValue < 0.001 ? '< 0.001' : c.pValue.toFixed(3), format: 'numeric' },
      { html: tagHtml(VERDICT_TAGS[c.verdict]) },
    ];
  });
}

function progressText(p: RunView['progress']): string {
  return `${p.completed} of ${p.total} items done (${p.failed} failed, ${p.errored} errored)`;
}

const isRate = (metric: MetricSummary | undefined) => metric?.kind !== 'mean';
const formatOf = (metric: MetricSummary | undefined) => (isRate(metric) ? formatPercent : formatDecimal);
const signed = (v: number, format: (v: number) => string) => (v > 0 ? `+${format(v)}` : format(v));

/** GOV.UK tag markup for a table cell; text is fixed, never user input. */
const tagHtml = (tag: Tag) => `<strong class="govuk-tag ${tag.classes}">${tag.text}</strong>`;

function intervalText(
  interval: { lower: number; upper: number; method?: string } | null,
  format: (v: number) => string,
): string {
  return interval ? formatRange(interval.lower, interval.upper, format) : '–';
}

function slug(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'metric'
  );
}

/** A threshold the metric's chart can draw (on its value or an interval bound). */
function chartThreshold(metric: MetricSummary, thresholds: ThresholdResult[]): ChartThreshold | null {
  const t = thresholds.find((x) => x.metric === metric.name && CHARTED_STATS.has(x.stat));
  if (!t) {
    return null;
  }
  const stat = {
    value: 'value',
    ci_lower: 'lower bound',
    ci_upper: 'upper bound',
    upper95: 'upper 95% bound',
  }[t.stat as 'value'];
  return { value: t.threshold, label: `Threshold (${stat} ${t.op})` };
}

function reportView(report: StoredRunReport) {
  const used = new Set<string>();
  const metrics = report.summary.metrics.map((metric) => {
    let id = `metric-${slug(metric.name)}`;
    while (used.has(id)) {
      id = `${id}-x`;
    }
    used.add(id);
    const format = formatOf(metric);
    const allInUnit = [metric.value, metric.interval?.lower, metric.interval?.upper].every(
      (v) => v === null || v === undefined || (v >= 0 && v <= 1),
    );
    const scale: 'rate' | 'auto' = isRate(metric) || allInUnit ? 'rate' : 'auto';
    const threshold = chartThreshold(metric, report.thresholds);
    const kind = KIND_WORDS[metric.kind];
    const method = metric.interval
      ? (INTERVAL_METHODS[metric.interval.method] ?? metric.interval.method)
      : null;
    const summaryHead = [
      { text: 'Measure' },
      { text: 'Value', format: 'numeric' },
      { text: '95% interval' },
      { text: 'Items (n)', format: 'numeric' },
    ];
    const groups = metric.groups.map((breakdown) => {
      const small = new Set(breakdown.smallGroups);
      const groupId = `${id}-by-${slug(breakdown.key)}`;
      return {
        id: groupId,
        key: breakdown.key,
        chart: intervalChart(
          breakdown.groups.map((g) => ({
            label: `${g.group} (n = ${g.n}${small.has(g.group) ? ', small group' : ''})`,
            value: g.value,
            lower: g.interval.lower,
            upper: g.interval.upper,
            muted: small.has(g.group),
          })),
          {
            id: `${groupId}-chart`,
            title: `${metric.name}: ${kind.toLowerCase()} by ${breakdown.key}`,
            description: `${kind} of ${metric.name} in each ${breakdown.key} group, with 95% intervals`,
            scale,
            format,
          },
        ),
        head: [{ text: breakdown.key }, ...summaryHead.slice(1)],
        rows: breakdown.groups.map((g): Cell[] => [
          { text: small.has(g.group) ? `${g.group} (small group)` : g.group },
          { text: format(g.value), format: 'numeric' },
          { text: intervalText(g.interval, format) },
          { text: String(g.n), format: 'numeric' },
        ]),
        maxGap: breakdown.maxGap
          ? `The largest gap is ${(isRate(metric) ? formatPercentagePoints : formatDecimal)(breakdown.maxGap.value)}, between ${breakdown.maxGap.between[0]} and ${breakdown.maxGap.between[1]} (95% interval ${formatRange(breakdown.maxGap.interval.lower, breakdown.maxGap.interval.upper, isRate(metric) ? formatPercentagePoints : formatDecimal)}).`
          : 'There are fewer than two groups large enough to compare, so there is no gap to report.',
        smallGroups: breakdown.smallGroups,
      };
    });
    return {
      id,
      name: metric.name,
      scorer: metric.scorer,
      guardrail: metric.guardrail,
      kind,
      valueText: metric.value === null ? '–' : format(metric.value),
      intervalText: intervalText(metric.interval, format),
      method,
      upper95Text: metric.upper95 === null ? null : format(metric.upper95),
      n: metric.n,
      unscored: metric.unscored,
      errored: metric.errored,
      chart: intervalChart(
        [
          {
            label: `${metric.name} (n = ${metric.n})`,
            value: metric.value,
            lower: metric.interval?.lower ?? null,
            upper: metric.interval?.upper ?? null,
          },
        ],
        {
          id: `${id}-chart`,
          title: `${metric.name}: ${kind.toLowerCase()}`,
          description: `${kind} of ${metric.name} over ${metric.n} items, with its 95% interval${method ? ` (${method})` : ''}`,
          threshold,
          scale,
          format,
        },
      ),
      tableHead: summaryHead,
      tableRows: [
        [
          { text: kind },
          { text: metric.value === null ? '–' : format(metric.value), format: 'numeric' },
          { text: intervalText(metric.interval, format) },
          { text: String(metric.n), format: 'numeric' },
        ],
        ...(metric.upper95 !== null
          ? [
              [
                { text: 'Upper 95% bound of the failure rate' },
                { text: format(metric.upper95), format: 'numeric' },
                { text: '–' },
                { text: String(metric.n), format: 'numeric' },
              ],
            ]
          : []),
        ...(threshold
          ? [
              [
                { text: 'Threshold' },
                { text: format(threshold.value), format: 'numeric' },
                { text: '–' },
                { text: '–' },
              ],
            ]
          : []),
      ] as Cell[][],
      groups,
    };
  });
  return {
    partial: report.partial,
    items: report.summary.items,
    weightedScore: report.summary.weightedScore,
    thresholds: report.thresholds.map((t) => ({
      metric: t.metric,
      reason: t.reason,
      passed: t.passed,
    })),
    // Why items errored: per kind, how many and the most common message (already free of secrets).
    errorRows: (report.summary.operational.errors ?? []).map((e): Cell[] => [
      { text: e.kind },
      { text: String(e.count), format: 'numeric' },
      { text: `${(e.share * 100).toFixed(1)}%`, format: 'numeric' },
      { text: e.message },
    ]),
    rateLimit: report.summary.operational.rateLimit ?? null,
    metricRows: metrics.map((m): Cell[] => [
      { html: `<a class="govuk-link" href="#${m.id}">${escapeMarkup(m.name)}</a>` },
      { text: m.guardrail ? `${m.kind} (guardrail)` : m.kind },
      { text: m.valueText, format: 'numeric' },
      { text: m.intervalText },
      { text: String(m.n), format: 'numeric' },
      { text: String(m.unscored), format: 'numeric' },
      { text: String(m.errored), format: 'numeric' },
    ]),
    metrics,
  };
}

function guardrailFailures(failures: FailureExample[], guardrails: Set<string>, metrics: MetricSummary[]) {
  const order = new Map(metrics.map((m, i) => [m.name, i]));
  return failures
    .filter((f) => guardrails.has(f.metric))
    .sort((a, b) => (order.get(a.metric) ?? 0) - (order.get(b.metric) ?? 0))
    .map((f) => ({
      title: `${f.itemId}${f.epoch > 1 ? ` (epoch ${f.epoch})` : ''}: ${f.metric}`,
      ...f,
      groupText: Object.entries(f.group)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    }));
}

function failedItemsView(
  run: RunView,
  failed: { items: RunResultView[]; total: number },
  page: number,
  examples: FailureExample[],
) {
  const pages = Math.max(1, Math.ceil(failed.total / FAILED_PAGE_SIZE));
  const href = (n: number) => `/runs/${run.id}?page=${n}#failed-items`;
  const inputs = new Map(examples.map((f) => [`${f.itemId}#${f.epoch}`, f]));
  return {
    total: failed.total,
    from: failed.total === 0 ? 0 : (page - 1) * FAILED_PAGE_SIZE + 1,
    to: (page - 1) * FAILED_PAGE_SIZE + failed.items.length,
    items: failed.items.map((r) => {
      const example = inputs.get(`${r.itemId}#${r.epoch}`);
      return {
        itemId: r.itemId,
        epoch: run.manifest.epochs > 1 ? r.epoch : null,
        input: example?.input ?? null,
        expected: example?.expected ?? null,
        output: r.output,
        reasons: Object.entries(r.scores)
          .filter(([, s]) => s.passed === false)
          .map(([metric, s]) => ({ metric, explanation: s.explanation ?? 'failed (no explanation given)' })),
      };
    }),
    pagination:
      pages > 1
        ? {
            previous: page > 1 ? { href: href(page - 1) } : undefined,
            next: page < pages ? { href: href(page + 1) } : undefined,
            items: Array.from({ length: pages }, (_, i) => i + 1)
              .filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 2)
              .flatMap((n, i, list) => [
                ...(i > 0 && n - list[i - 1] > 1 ? [{ ellipsis: true }] : []),
                { number: n, href: href(n), current: n === page },
              ]),
          }
        : null,
  };
}
