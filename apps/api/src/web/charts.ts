import { escapeMarkup, formatDecimal, formatPercent, formatWithInterval, niceTicks } from '@gatehouse/evals';

/**
 * Server-rendered SVG charts for the web pages: pure functions from numbers to an SVG string. No scripts,
 * no inline styles (colours come from the `.gh-chart` classes in gatehouse.css, so the page's strict CSP
 * holds), every piece of text escaped, and the same input always gives the same bytes. Each chart is
 * `role="img"` labelled by its `<title>` and a `<desc>` that states every number; pages put a data table
 * with the same numbers beside it.
 */

export interface ChartPoint {
  label: string;
  value: number | null;
  lower?: number | null;
  upper?: number | null;
  /** Drawn lighter, e.g. a group too small to be compared. */
  muted?: boolean;
}

export interface ChartThreshold {
  value: number;
  /** What the line marks, e.g. `Threshold: value >= 80%`; "Threshold" when absent. */
  label?: string;
}

export interface ChartOptions {
  /** Prefix of the title and description ids; unique within the page. */
  id: string;
  title: string;
  /** A sentence before the generated description of the numbers. */
  description?: string;
  threshold?: ChartThreshold | null;
  /** `rate`: the axis runs 0 to 1 (shown as percentages). `auto`: from 0 (or below) to a round number. */
  scale?: 'rate' | 'auto';
  /** How values are written; percentages for rates, two decimals otherwise. */
  format?: (value: number) => string;
  /** How the axis ticks are written; whole percentages for rates shown as percentages, else `format`. */
  tickFormat?: (value: number) => string;
  /** Width of the view box (the chart scales down to its container). */
  width?: number;
}

const LAYOUT = {
  padX: 24,
  thresholdTop: 22,
  plainTop: 6,
  rowHeight: 46,
  labelBaseline: 16,
  barTop: 24,
  barHeight: 14,
  capHalf: 7,
  axisHeight: 26,
  charWidth: 7.4,
};

/** Horizontal bars, one row per point, with the interval as a whisker and an optional threshold line. */
export function intervalChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 460;
  const scale = options.scale ?? 'rate';
  const format = options.format ?? (scale === 'rate' ? formatPercent : formatDecimal);
  const threshold = options.threshold && Number.isFinite(options.threshold.value) ? options.threshold : null;
  const drawn = points.filter((p) => isNumber(p.value));
  const domain = chartDomain(points, threshold, scale);
  const x0 = LAYOUT.padX;
  const x1 = width - LAYOUT.padX;
  const span = domain.max - domain.min || 1;
  const x = (v: number) => x0 + ((clamp(v, domain.min, domain.max) - domain.min) / span) * (x1 - x0);
  const zero = x(clamp(0, domain.min, domain.max));

  const top = threshold ? LAYOUT.thresholdTop : LAYOUT.plainTop;
  const plotBottom = top + Math.max(points.length, 1) * LAYOUT.rowHeight;
  const height = plotBottom + LAYOUT.axisHeight;
  const parts: string[] = [];

  const tickFormat =
    options.tickFormat ?? (scale === 'rate' && format === formatPercent ? wholePercent : format);
  for (const tick of niceTicks(domain, 4)) {
    parts.push(line(x(tick), top, x(tick), plotBottom, 'gh-chart__grid'));
    parts.push(text(x(tick), plotBottom + 18, tickFormat(tick), 'gh-chart__tick', 'middle'));
  }
  parts.push(line(x0, plotBottom, x1, plotBottom, 'gh-chart__axis'));
  if (drawn.length === 0) {
    parts.push(text(x0, top + LAYOUT.labelBaseline, 'No data to show', 'gh-chart__label'));
  }

  points.forEach((point, i) => {
    const y = top + i * LAYOUT.rowHeight;
    const valueText = describeValue(point, format);
    const room = Math.floor((x1 - x0 - valueText.length * LAYOUT.charWidth - 12) / LAYOUT.charWidth);
    parts.push(
      text(x0, y + LAYOUT.labelBaseline, shorten(point.label, Math.max(room, 6)), 'gh-chart__label'),
    );
    parts.push(text(x1, y + LAYOUT.labelBaseline, valueText, 'gh-chart__value', 'end'));
    const barY = y + LAYOUT.barTop;
    parts.push(rect(x0, barY, x1 - x0, LAYOUT.barHeight, 'gh-chart__track'));
    if (!isNumber(point.value)) {
      return;
    }
    const end = x(point.value);
    parts.push(
      rect(
        Math.min(zero, end),
        barY,
        Math.abs(end - zero),
        LAYOUT.barHeight,
        point.muted ? 'gh-chart__bar gh-chart__bar--muted' : 'gh-chart__bar',
      ),
    );
    if (isNumber(point.lower) && isNumber(point.upper)) {
      const mid = barY + LAYOUT.barHeight / 2;
      const lo = x(point.lower);
      const hi = x(point.upper);
      parts.push(line(lo, mid, hi, mid, 'gh-chart__interval'));
      parts.push(line(lo, mid - LAYOUT.capHalf, lo, mid + LAYOUT.capHalf, 'gh-chart__interval'));
      parts.push(line(hi, mid - LAYOUT.capHalf, hi, mid + LAYOUT.capHalf, 'gh-chart__interval'));
    }
  });

  if (threshold) {
    const tx = x(threshold.value);
    const label = `${threshold.label ?? 'Threshold'}: ${format(threshold.value)}`;
    const anchor = tx < width / 3 ? 'start' : tx > (2 * width) / 3 ? 'end' : 'middle';
    parts.push(line(tx, top - 4, tx, plotBottom, 'gh-chart__threshold'));
    parts.push(text(tx, top - 8, label, 'gh-chart__threshold-label', anchor));
  }

  const id = safeId(options.id);
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const description = describeChart(points, { ...options, format, threshold, domain });
  return [
    `<svg class="gh-chart" role="img" aria-labelledby="${titleId} ${descId}" focusable="false"`,
    ` viewBox="0 0 ${width} ${num(height)}" width="${width}" height="${num(height)}">`,
    `<title id="${titleId}">${escapeMarkup(options.title)}</title>`,
    `<desc id="${descId}">${escapeMarkup(description)}</desc>`,
    ...parts,
    '</svg>',
  ].join('');
}

/** Every number the chart draws, in words: its `<desc>`. */
export function describeChart(
  points: readonly ChartPoint[],
  options: {
    description?: string;
    format: (value: number) => string;
    threshold: ChartThreshold | null;
    domain: { min: number; max: number };
  },
): string {
  const sentences: string[] = [];
  if (options.description) {
    sentences.push(options.description.replace(/\.?\s*$/, '.'));
  }
  if (!points.some((p) => isNumber(p.value))) {
    sentences.push('There is no data to show.');
  }
  for (const point of points) {
    if (!isNumber(point.value)) {
      sentences.push(`${point.label}: no value.`);
    } else if (isNumber(point.lower) && isNumber(point.upper)) {
      sentences.push(
        `${point.label}: ${options.format(point.value)}, 95% interval ${options.format(point.lower)} to ${options.format(point.upper)}.`,
      );
    } else {
      sentences.push(`${point.label}: ${options.format(point.value)}.`);
    }
  }
  if (options.threshold) {
    sentences.push(
      `Dashed line: ${options.threshold.label ?? 'threshold'} at ${options.format(options.threshold.value)}.`,
    );
  }
  sentences.push(
    `The axis runs from ${options.format(options.domain.min)} to ${options.format(options.domain.max)}.`,
  );
  return sentences.join(' ');
}

/** Rates always on 0..1; other values from 0 (or a round negative) to a round number above them all. */
export function chartDomain(
  points: readonly ChartPoint[],
  threshold: ChartThreshold | null | undefined,
  scale: 'rate' | 'auto',
): { min: number; max: number } {
  if (scale === 'rate') {
    return { min: 0, max: 1 };
  }
  const values = [
    ...points.flatMap((p) => [p.value, p.lower, p.upper]),
    threshold ? threshold.value : null,
  ].filter(isNumber);
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  if (low === 0 && high === 0) {
    return { min: 0, max: 1 };
  }
  return { min: low < 0 ? -niceCeiling(-low) : 0, max: high > 0 ? niceCeiling(high) : 0 };
}

function describeValue(point: ChartPoint, format: (value: number) => string): string {
  if (!isNumber(point.value)) {
    return 'no value';
  }
  return formatWithInterval(
    point.value,
    isNumber(point.lower) ? point.lower : null,
    isNumber(point.upper) ? point.upper : null,
    format,
  );
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value - 1e-12) ?? 10;
  return step * magnitude;
}

const wholePercent = (value: number) => `${Math.round(value * 100)}%`;

const isNumber = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

/** One decimal at most, and never `-0`: the same numbers always print the same way. */
const num = (v: number) => String(Math.round(v * 10) / 10 + 0);

/** Ids are used unquoted in aria-labelledby: letters, digits, `-` and `_` only. */
function safeId(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9_-]/g, '-');
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `chart-${cleaned}`;
}

function shorten(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, Math.max(max - 1, 1)).join('')}…`;
}

function line(xa: number, ya: number, xb: number, yb: number, className: string): string {
  return `<line class="${className}" x1="${num(xa)}" y1="${num(ya)}" x2="${num(xb)}" y2="${num(yb)}"/>`;
}

function rect(rx: number, ry: number, w: number, h: number, className: string): string {
  return `<rect class="${className}" x="${num(rx)}" y="${num(ry)}" width="${num(w)}" height="${num(h)}"/>`;
}

function text(
  tx: number,
  ty: number,
  content: string,
  className: string,
  anchor: 'start' | 'middle' | 'end' = 'start',
): string {
  const anchorAttr = anchor === 'start' ? '' : ` text-anchor="${anchor}"`;
  return `<text class="${className}" x="${num(tx)}" y="${num(ty)}"${anchorAttr}>${escapeMarkup(content)}</text>`;
}
