import { type ClassificationReport, type MetricSummary } from '@gatehouse/domain';
import { type Html, type HtmlValue, markup } from './html-markup';
import { describeTest, orNa, tag } from './report-elements';
import { chartFigure, type FigureRow, groupFigure } from './report-figures';
import {
  formatCount,
  intervalSuffix,
  kindNames,
  opSymbols,
  percentOf,
  plural,
  statFormat,
  valueFormat,
} from './report-format';
import { type RunReport, type ThresholdResult } from './run-report';
import { formatPercent, formatRange, type ReferenceLine } from './svg-charts';

// The report's metric sections: the summary table, the thresholds, and each metric in detail with its
// chart, its group breakdowns and its confusion matrix.

export function summarySection(report: RunReport, metricIds: Map<string, string>): Html {
  const metrics = report.summary.metrics;
  return markup`<section aria-labelledby="summary">
    <h2 id="summary">Summary of metrics</h2>
    ${
      metrics.length === 0
        ? markup`<p>This run has no metrics.</p>`
        : markup`<div class="table-wrap" role="region" aria-labelledby="summary-caption" tabindex="0">
              <table class="table">
                <caption id="summary-caption" class="visually-hidden">
                  Every metric with its value, interval and counts
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col" class="num">Value</th>
                    <th scope="col" class="num">95% interval</th>
                    <th scope="col" class="num">n</th>
                    <th scope="col" class="num">Passed</th>
                    <th scope="col" class="num">Failed</th>
                    <th scope="col" class="num">Unscored</th>
                    <th scope="col" class="num">Errored</th>
                    <th scope="col" class="num">Upper 95% bound</th>
                  </tr>
                </thead>
                <tbody>
                  ${metrics.map((m) => {
                    const format = valueFormat(m);
                    return markup`<tr>
                      <th scope="row">
                        <a href="#${metricIds.get(m.name) ?? ''}">${m.name}</a><br /><span class="muted small"
                          >${kindNames[m.kind]}</span
                        >${m.guardrail ? markup` ${tag('guardrail', 'blue')}` : ''}
                      </th>
                      <td class="num">${orNa(m.value, format)}</td>
                      <td class="num">
                        ${orNa(m.interval, (i) => markup`${formatRange(i.lower, i.upper, format)}${i.level === 0.95 ? '' : ` (${intervalSuffix(i)})`}`)}
                      </td>
                      <td class="num">${formatCount(m.n)}</td>
                      <td class="num">${orNa(m.passed, formatCount)}</td>
                      <td class="num">${orNa(m.failed, formatCount)}</td>
                      <td class="num">${formatCount(m.unscored)}</td>
                      <td class="num">${formatCount(m.errored)}</td>
                      <td class="num">${orNa(m.upper95, format)}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>
            <p class="hint">
              n is the number of items scored after epochs were reduced. The upper 95% bound is the one-sided
              Clopper–Pearson bound of a guardrail's failure rate: the rate could plausibly be as high as
              this.
            </p>`
    }
  </section>`;
}

export function thresholdsSection(report: RunReport, metricIds: Map<string, string>): Html {
  const byName = new Map(report.summary.metrics.map((m) => [m.name, m]));
  const thresholds = report.thresholds;
  return markup`<section aria-labelledby="thresholds">
    <h2 id="thresholds">Thresholds</h2>
    ${
      thresholds.length === 0
        ? markup`<p>No thresholds were set for this suite.</p>`
        : markup`<div class="table-wrap" role="region" aria-labelledby="thresholds-caption" tabindex="0">
            <table class="table">
              <caption id="thresholds-caption" class="visually-hidden">
                Each threshold with its result and reason
              </caption>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Test</th>
                  <th scope="col" class="num">Actual</th>
                  <th scope="col">Result</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                ${thresholds.map((t) => {
                  const metric = byName.get(t.metric);
                  const id = metricIds.get(t.metric);
                  return markup`<tr>
                    <th scope="row">
                      ${id === undefined ? t.metric : markup`<a href="#${id}">${t.metric}</a>`}
                    </th>
                    <td>${describeTest(t, metric)}</td>
                    <td class="num">
                      ${t.actual === null ? markup`<span class="muted">unknown</span>` : statFormat(metric, t.stat)(t.actual)}
                    </td>
                    <td>${t.passed ? tag('Passed', 'pass') : tag('Failed', 'fail')}</td>
                    <td>${t.reason}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

export function metricsSection(report: RunReport, metricIds: Map<string, string>): Html {
  return markup`<section aria-labelledby="metrics">
    <h2 id="metrics">Metrics in detail</h2>
    ${report.summary.metrics.length === 0 ? markup`<p>This run has no metrics.</p>` : ''}
    ${report.summary.metrics.map((m) =>
      metricDetail(
        m,
        metricIds.get(m.name) ?? 'metric',
        report.thresholds.filter((t) => t.metric === m.name),
      ),
    )}
  </section>`;
}

function metricLede(m: MetricSummary): string {
  const format = valueFormat(m);
  const kind = kindNames[m.kind];
  const scorer = `scored by ${m.scorer}`;
  if (m.value === null) {
    return `No ${kind} (${scorer}): none of the ${plural(m.n, 'item')} could be scored.`;
  }
  const interval =
    m.interval === null
      ? ''
      : ` (${intervalSuffix(m.interval)} ${formatRange(m.interval.lower, m.interval.upper, format)})`;
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)} ${format(m.value)} over ${plural(m.n, 'scored item')}${interval}, ${scorer}.`;
}

function agreementText(agreement: NonNullable<MetricSummary['agreement']>): string {
  const judges = plural(agreement.judges, 'judge');
  if (agreement.alpha === null) {
    return `Agreement between the ${judges} could not be computed.`;
  }
  const alpha = agreement.alpha.toFixed(2);
  const reading =
    agreement.alpha >= 0.8
      ? 'reliable (at least 0.80)'
      : agreement.alpha >= 0.667
        ? 'enough for tentative conclusions only (0.667 to 0.80)'
        : 'low (below 0.667): treat the scores with caution';
  return `Agreement between the ${judges}: Krippendorff's alpha ${alpha}, ${reading}.`;
}

function metricDetail(m: MetricSummary, id: string, thresholds: ThresholdResult[]): Html {
  const format = valueFormat(m);
  const references: ReferenceLine[] = thresholds
    .filter(
      (t) => t.stat === 'value' || t.stat === 'ci_lower' || t.stat === 'ci_upper' || t.stat === 'upper95',
    )
    .map((t) => ({
      value: t.threshold,
      label: `threshold (${t.stat} ${opSymbols[t.op]}), ${t.passed ? 'passed' : 'failed'}`,
    }));
  if (m.guardrail && m.upper95 !== null) {
    references.unshift({ value: m.upper95, label: 'upper 95% bound' });
  }
  const rows: FigureRow[] = [
    {
      label: m.name,
      value: m.value,
      lower: m.interval?.lower ?? null,
      upper: m.interval?.upper ?? null,
      n: m.n,
    },
  ];
  const notes: HtmlValue[] = [];
  if (m.unscored > 0) {
    notes.push(
      `${plural(m.unscored, 'item')} could not be graded by the scorer (unscored, not counted as failures).`,
    );
  }
  if (m.errored > 0) {
    notes.push(
      `${plural(m.errored, 'item')} errored when calling the system under test or its judge (counted apart).`,
    );
  }
  return markup`<section class="metric" aria-labelledby="${id}">
    <h3 id="${id}">${m.name}${m.guardrail ? markup` ${tag('guardrail', 'blue')}` : ''}</h3>
    <p>${metricLede(m)}</p>
    ${m.agreement === null ? '' : markup`<p>${agreementText(m.agreement)}</p>`}
    ${
      notes.length > 0
        ? markup`<ul class="notes">
            ${notes.map((n) => markup`<li>${n}</li>`)}
          </ul>`
        : ''
    }
    ${chartFigure({
      id: `${id}-chart`,
      caption: `${m.name}: ${kindNames[m.kind]} with its 95% interval`,
      rows,
      format,
      domain: m.kind === 'mean' ? undefined : { min: 0, max: 1 },
      references,
      firstColumn: 'Metric',
    })}
    ${m.groups.map((g, j) => groupFigure(m, g, `${id}-groups-${j + 1}`, thresholds))}
    ${m.classification === null ? '' : classificationTables(m, m.classification, `${id}-classification`)}
  </section>`;
}

function classificationTables(m: MetricSummary, c: ClassificationReport, id: string): Html {
  const rowTotals = c.confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const pct = (v: number | null): HtmlValue => orNa(v, formatPercent);
  return markup`<h4>${m.name}: confusion matrix</h4>
    <div class="table-wrap" role="region" aria-labelledby="${id}-caption" tabindex="0">
      <table class="table confusion">
        <caption id="${id}-caption">
          Rows are the expected label, columns the predicted label; the diagonal counts correct items. Each
          cell shows the count and its share of the row.
        </caption>
        <thead>
          <tr>
            <th scope="col">Expected ↓ predicted →</th>
            ${c.labels.map((l) => markup`<th scope="col" class="num">${l}</th>`)}
            <th scope="col" class="num">Total</th>
          </tr>
        </thead>
        <tbody>
          ${c.labels.map((label, i) => {
            const row = c.confusion[i] ?? [];
            const total = rowTotals[i] ?? 0;
            return markup`<tr>
              <th scope="row">${label}</th>
              ${c.labels.map((_, j) => {
                const count = row[j] ?? 0;
                const share = total > 0 ? count / total : 0;
                return markup`<td class="num ${confusionClass(i === j, share)}">
                  ${formatCount(count)}<span class="share">${percentOf(count, total)}</span>
                </td>`;
              })}
              <td class="num">${formatCount(total)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    <div class="table-wrap" role="region" aria-labelledby="${id}-per-class" tabindex="0">
      <table class="table">
        <caption id="${id}-per-class">
          ${m.name}: precision, recall and F1 for each label
        </caption>
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col" class="num">Precision</th>
            <th scope="col" class="num">Recall</th>
            <th scope="col" class="num">F1</th>
            <th scope="col" class="num">Support</th>
          </tr>
        </thead>
        <tbody>
          ${c.perClass.map(
            (p) =>
              markup`<tr>
                <th scope="row">${p.label}</th>
                <td class="num">${pct(p.precision)}</td>
                <td class="num">${pct(p.recall)}</td>
                <td class="num">${pct(p.f1)}</td>
                <td class="num">${formatCount(p.support)}</td>
              </tr>`,
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Macro F1</th>
            <td></td>
            <td></td>
            <td class="num">${pct(c.macroF1)}</td>
            <td></td>
          </tr>
        </tfoot>
      </table>
    </div>`;
}

function confusionClass(diagonal: boolean, share: number): string {
  if (share <= 0) {
    return 'cm-0';
  }
  if (diagonal) {
    return share >= 0.9 ? 'cm-d4' : share >= 0.75 ? 'cm-d3' : share >= 0.5 ? 'cm-d2' : 'cm-d1';
  }
  return share >= 0.2 ? 'cm-o4' : share >= 0.1 ? 'cm-o3' : share >= 0.05 ? 'cm-o2' : 'cm-o1';
}
