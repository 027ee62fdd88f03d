import { type Percentiles } from '@gatehouse/domain';
import { type Html, markup } from './html-markup';
import { hash, orNa, summaryRow, textBlock, timeElement } from './report-elements';
import { chartFigure, type FigureRow } from './report-figures';
import {
  formatCost,
  formatCount,
  formatDuration,
  formatMs,
  outcomeLabels,
  percentOf,
  plural,
  runSeconds,
} from './report-format';
import { type FailureExample, type RunReport } from './run-report';
import { formatPercent } from './svg-charts';

// The report's run-level sections: the outcome panel, the contents, the run manifest, the operational
// figures and the failure examples. The metric sections are in report-metric-sections.ts.

export function outcomePanel(report: RunReport): Html {
  const { outcome, thresholds, summary } = report;
  const failed = thresholds.filter((t) => !t.passed);
  const items = summary.items;
  let detail: string;
  switch (outcome) {
    case 'passed':
      detail =
        thresholds.length === 0
          ? 'No thresholds were set for this suite.'
          : `All ${plural(thresholds.length, 'threshold')} passed.`;
      break;
    case 'failed':
      detail = `${formatCount(failed.length)} of ${plural(thresholds.length, 'threshold')} failed.`;
      break;
    case 'errored':
      detail = report.stopped
        ? `The run stopped early: ${report.stopped.replace(/^stopped /, '').replace(/\.$/, '')}.`
        : `Too many items errored to judge the run: ${formatCount(items.errored)} of ${formatCount(items.total)} items (${percentOf(items.errored, items.total)}) errored.`;
      break;
  }
  // What errored most, and why: the first thing to fix.
  const topError = outcome === 'errored' && !report.stopped ? summary.operational.errors?.[0] : undefined;
  const seconds = runSeconds(report);
  return markup`<div class="outcome outcome--${outcome}">
      <p class="outcome__label">Outcome</p>
      <p class="outcome__value">${outcomeLabels[outcome]}</p>
      <p class="outcome__detail">${detail}</p>
      ${
        topError
          ? markup`<p>Most common: ${plural(topError.count, 'item')} <code>${topError.kind}</code>, ${topError.message}</p>`
          : ''
      }
      ${
        failed.length > 0
          ? markup`<ul class="outcome__list">
              ${failed.map((t) => markup`<li>${t.reason}</li>`)}
            </ul>`
          : ''
      }
    </div>
    <p class="lede">
      ${plural(items.total, 'item')} × ${plural(items.epochs, 'epoch')}: ${formatCount(items.scored)} scored,
      ${formatCount(items.errored)}
      errored${seconds === null ? '' : `; the run took ${formatDuration(seconds)}`}.
    </p>`;
}

export function contents(report: RunReport, metricIds: Map<string, string>): Html {
  return markup`<nav class="contents" aria-labelledby="contents-heading">
    <h2 id="contents-heading" class="contents__heading">Contents</h2>
    <ol class="contents__list">
      <li><a href="#manifest">Run manifest</a></li>
      <li><a href="#summary">Summary of metrics</a></li>
      <li><a href="#thresholds">Thresholds</a></li>
      <li>
        <a href="#metrics">Metrics in detail</a>
        <ol>
          ${report.summary.metrics.map(
            (m) => markup`<li><a href="#${metricIds.get(m.name) ?? ''}">${m.name}</a></li>`,
          )}
        </ol>
      </li>
      <li><a href="#operational">Operational figures</a></li>
      <li><a href="#failures">Failure examples</a></li>
    </ol>
  </nav>`;
}

export function manifestSection(report: RunReport): Html {
  const m = report.manifest;
  const seconds = runSeconds(report);
  return markup`<section aria-labelledby="manifest">
    <h2 id="manifest">Run manifest</h2>
    <p>What this run evaluated, pinned by content hashes so it can be reproduced and audited.</p>
    <dl class="summary-list">
      ${summaryRow('Run ID', markup`<code>${m.runId}</code>`)}
      ${summaryRow('Suite', markup`${m.suite.name}, version ${m.suite.version} ${hash(m.suite.hash)}${m.suite.file ? markup`<br /><span class="muted">from <code>${m.suite.file}</code></span>` : ''}`)}
      ${summaryRow('Dataset', markup`${m.dataset.name}, version ${m.dataset.version} (${plural(m.dataset.count, 'item')}) ${hash(m.dataset.hash)}`)}
      ${summaryRow('System under test', markup`${m.target.description} <span class="muted">(${m.target.type})</span> ${hash(m.target.configHash)}`)}
      ${summaryRow(
        'Scorers',
        m.scorers.length === 0
          ? markup`<span class="muted">none</span>`
          : markup`<ul class="plain-list">
              ${m.scorers.map((s) => markup`<li>${s.name}: <code>${s.type}</code> ${s.version}</li>`)}
            </ul>`,
      )}
      ${summaryRow('Epochs', `${formatCount(m.epochs)} (each item was run ${plural(m.epochs, 'time')}; results are reduced per item)`)}
      ${summaryRow('Git commit', m.gitCommit === null ? markup`<span class="muted">not recorded</span>` : hash(m.gitCommit))}
      ${summaryRow('Gatehouse version', markup`${m.packageVersion} <span class="muted">(${m.engine === 'cli' ? 'command line' : 'platform workers'})</span>`)}
      ${summaryRow('Started', timeElement(m.startedAt))}
      ${summaryRow('Completed', m.completedAt === null ? markup`<span class="muted">not completed</span>` : timeElement(m.completedAt))}
      ${summaryRow('Duration', seconds === null ? markup`<span class="muted">unknown</span>` : formatDuration(seconds))}
    </dl>
  </section>`;
}

export function operationalSection(report: RunReport): Html {
  const op = report.summary.operational;
  const latencyRows = (label: string, p: Percentiles): { label: string; value: number | null }[] => [
    { label: `${label} p50`, value: p.p50 },
    { label: `${label} p95`, value: p.p95 },
    { label: `${label} p99`, value: p.p99 },
  ];
  const chartRows: FigureRow[] = [
    ...latencyRows('Provider latency', op.providerLatencyMs),
    ...latencyRows('Item duration', op.itemDurationMs),
  ].map((r) => ({ ...r, lower: null, upper: null }));
  // Reports stored before errors carried their messages have counts only.
  const errors =
    op.errors ??
    Object.entries(op.errorsByKind)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([kind, count]) => ({ kind, count, share: null, message: null }));
  const errorTotal = errors.reduce((a, e) => a + e.count, 0);
  const retriesByKind = Object.entries(op.retriesByKind ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const retries =
    retriesByKind.length === 0
      ? formatCount(op.retries)
      : `${formatCount(op.retries)} (${retriesByKind.map(([kind, n]) => `${formatCount(n)} ${kind}`).join(', ')})`;
  const pauses = op.rateLimit?.pauses ?? 0;
  const percentileCells = (p: Percentiles): Html =>
    markup`${[p.p50, p.p95, p.p99, p.mean].map((v) => markup`<td class="num">${orNa(v, formatMs)}</td>`)}`;
  return markup`<section aria-labelledby="operational">
    <h2 id="operational">Operational figures</h2>
    <div class="table-wrap" role="region" aria-labelledby="latency-caption" tabindex="0">
      <table class="table">
        <caption id="latency-caption">
          Latency per item
        </caption>
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col" class="num">p50</th>
            <th scope="col" class="num">p95</th>
            <th scope="col" class="num">p99</th>
            <th scope="col" class="num">Mean</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">
              Provider latency<br /><span class="muted small">the successful call only</span>
            </th>
            ${percentileCells(op.providerLatencyMs)}
          </tr>
          <tr>
            <th scope="row">
              Item duration<br /><span class="muted small">wall time, with retries and waits</span>
            </th>
            ${percentileCells(op.itemDurationMs)}
          </tr>
        </tbody>
      </table>
    </div>
    ${chartFigure({
      id: 'latency-chart',
      caption: 'Latency percentiles',
      rows: chartRows,
      format: formatMs,
      firstColumn: 'Measure',
      valueHeading: 'Time',
    })}
    <dl class="summary-list">
      ${summaryRow('Input tokens', formatCount(op.inputTokens))}
      ${summaryRow('Output tokens', formatCount(op.outputTokens))}
      ${summaryRow('Cost', formatCost(op.costUsd))} ${summaryRow('Retries', retries)}
      ${summaryRow(
        'Rate limiting (429)',
        pauses === 0
          ? 'none'
          : `${plural(pauses, 'pause')}, ${(op.rateLimit?.pauseSeconds ?? 0).toFixed(1)} s waited`,
      )}
      ${summaryRow('Errors', errorTotal === 0 ? 'none' : plural(errorTotal, 'error'))}
    </dl>
    ${
      errors.length === 0
        ? ''
        : markup`<div class="table-wrap" role="region" aria-labelledby="errors-caption" tabindex="0">
            <table class="table">
              <caption id="errors-caption">
                Errors by kind
              </caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num">Count</th>
                  <th scope="col" class="num">Share</th>
                  <th scope="col">Most common message</th>
                </tr>
              </thead>
              <tbody>
                ${errors.map(
                  (e) =>
                    markup`<tr>
                      <th scope="row"><code>${e.kind}</code></th>
                      <td class="num">${formatCount(e.count)}</td>
                      <td class="num">${e.share === null ? '–' : formatPercent(e.share)}</td>
                      <td>${e.message ?? '–'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

export function failuresSection(report: RunReport, metricIds: Map<string, string>): Html {
  const order = [...metricIds.keys()];
  const byMetric = new Map<string, FailureExample[]>();
  for (const f of report.failures) {
    byMetric.set(f.metric, [...(byMetric.get(f.metric) ?? []), f]);
  }
  const names = [...byMetric.keys()].sort((a, b) => rank(order, a) - rank(order, b));
  let counter = 0;
  return markup`<section aria-labelledby="failures">
    <h2 id="failures">Failure examples</h2>
    ${
      report.failures.length === 0
        ? markup`<p>No failures were recorded.</p>`
        : markup`<p>
            Items a scorer failed or a guardrail caught, as the reviewer needs them. Long texts are cut; open
            them to read the rest.
          </p>`
    }
    ${names.map((name) => {
      const failures = byMetric.get(name) ?? [];
      return markup`<h3>${name} <span class="muted">(${plural(failures.length, 'example')})</span></h3>
        ${failures.map((f) => {
          counter += 1;
          const headingId = `failure-${counter}`;
          const groups = Object.entries(f.group);
          return markup`<article class="failure" aria-labelledby="${headingId}">
            <h4 id="${headingId}">Item <code>${f.itemId}</code>, epoch ${f.epoch}</h4>
            ${groups.length > 0 ? markup`<p class="failure__groups">${groups.map(([k, v]) => markup`<span class="group">${k}: ${v}</span> `)}</p>` : ''}
            <dl class="failure__fields">
              <div>
                <dt>Input</dt>
                <dd>${textBlock(f.input, 'No input.')}</dd>
              </div>
              <div>
                <dt>Output</dt>
                <dd>${textBlock(f.output, 'No output (the call returned nothing).')}</dd>
              </div>
              <div>
                <dt>Expected</dt>
                <dd>${textBlock(f.expected, 'Nothing expected.')}</dd>
              </div>
              <div>
                <dt>Explanation</dt>
                <dd>${textBlock(f.explanation, 'No explanation given.')}</dd>
              </div>
            </dl>
          </article>`;
        })}`;
    })}
  </section>`;
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}
