import { type MetricSummary } from '@gatehouse/domain';
import { type Html, type HtmlValue, markup } from './html-markup';
import { formatCount, opSymbols, parseTime, statFormat } from './report-format';
import { type ThresholdResult } from './run-report';

// The small pieces of markup the report's sections share: times, hashes, tags, "not applicable", long
// texts, summary-list rows and a threshold's test.

const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function timeElement(iso: string | null): Html {
  const t = parseTime(iso);
  if (iso === null) {
    return markup`<span class="muted">not recorded</span>`;
  }
  if (t === null) {
    return markup`${iso}`;
  }
  const d = new Date(t);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const text = `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} at ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  return markup`<time datetime="${d.toISOString()}">${text}</time>`;
}

/** `sha256:5d41402abc4b…` with the whole value in the title. */
export function hash(value: string): Html {
  const match = /^([a-z0-9-]+:)?(.*)$/i.exec(value);
  const prefix = match?.[1] ?? '';
  const digest = match?.[2] ?? value;
  const short = digest.length > 12 ? `${prefix}${digest.slice(0, 12)}…` : value;
  return markup`<code class="hash" title="${value}">${short}</code>`;
}

export const notApplicable = markup`<span aria-hidden="true">–</span
  ><span class="visually-hidden">not applicable</span>`;

export function orNa<T>(value: T | null, render: (v: T) => HtmlValue): HtmlValue {
  return value === null ? notApplicable : render(value);
}

export function tag(text: string, variant: 'pass' | 'fail' | 'grey' | 'blue'): Html {
  return markup`<strong class="tag tag--${variant}">${text}</strong>`;
}

/** Shows long text cut at a word boundary, with the whole text (up to a limit) one click away. */
export function textBlock(text: string | null, emptyText: string): Html {
  if (text === null || text === '') {
    return markup`<p class="muted">${emptyText}</p>`;
  }
  const chars = Array.from(text);
  const preview = 500;
  const fullLimit = 10_000;
  if (chars.length <= preview + 100) {
    return markup`<div class="text">${text}</div>`;
  }
  let cut = preview;
  const lastSpace = chars
    .slice(preview - 80, preview)
    .reverse()
    .findIndex((c) => /\s/.test(c));
  if (lastSpace >= 0) {
    cut = preview - lastSpace - 1;
  }
  const head = chars.slice(0, cut).join('').trimEnd();
  const full = chars.slice(0, fullLimit).join('');
  const leftOut = chars.length - fullLimit;
  return markup`<div class="text">${head}<span aria-hidden="true"> …</span></div>
    <details class="details">
      <summary>Show all ${formatCount(chars.length)} characters</summary>
      <div class="text">${full}</div>
      ${leftOut > 0 ? markup`<p class="muted">The last ${formatCount(leftOut)} characters are left out of this report.</p>` : ''}
    </details>`;
}

export function summaryRow(key: string, value: HtmlValue): Html {
  return markup`<div class="summary-list__row">
    <dt>${key}</dt>
    <dd>${value}</dd>
  </div>`;
}

export function describeTest(t: ThresholdResult, metric: MetricSummary | undefined): Html {
  return markup`<code>${t.stat}</code> ${opSymbols[t.op]} ${statFormat(metric, t.stat)(t.threshold)}`;
}
