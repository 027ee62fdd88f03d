/**
 * Small, pure chart functions that return accessible inline SVG as strings: no DOM, no scripts, no
 * external fonts or images, and no styles beyond presentation attributes, so a chart works inside any
 * page (or on its own) under a strict Content Security Policy. Every chart has `role="img"`, a `<title>`
 * and a `<desc>` that states the numbers; the page that shows it should put a data table beside it too.
 */

/** Colours from the GOV.UK palette, with text contrast of at least 4.5:1 on white. */
export const chartColours = {
  text: '#0b0c0c',
  secondaryText: '#505a5f',
  bar: '#1d70b8',
  mutedBar: '#8eb8dc',
  track: '#f3f2f1',
  grid: '#b1b4b6',
  reference: '#0b0c0c',
} as const;

export const chartFontStack =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

/**
 * Characters XML 1.0 does not allow (C0 controls other than tab, line feed and carriage return, lone
 * surrogates, U+FFFE and U+FFFF). HTML does not want them either.
 */
// Written as "anything but the allowed ranges"; with the `u` flag a lone surrogate is one code point.
const illegalXmlChars = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Replaces characters XML 1.0 forbids with U+FFFD, so a reader sees that something was there. */
export function replaceIllegalXmlChars(text: string): string {
  return text.replace(illegalXmlChars, '\uFFFD');
}

const markupEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for element content and quoted attribute values in both HTML and XML, and replaces the
 * characters XML 1.0 forbids.
 */
export function escapeMarkup(text: string): string {
  return replaceIllegalXmlChars(text).replace(/[&<>"']/g, (char) => markupEscapes[char] ?? char);
}

/** `0.8737` → `87.4%`: rates are always shown as percentages with one decimal. */
export function formatPercent(value: number): string {
  return `${fixed(value * 100, 1)}%`;
}

/** `0.0911` → `9.1 pp`: a difference between two rates, in percentage points. */
export function formatPercentagePoints(value: number): string {
  return `${fixed(value * 100, 1)} pp`;
}

/** A plain number with two decimals, e.g. a mean rubric score. */
export function formatDecimal(value: number): string {
  return fixed(value, 2);
}

/** `87.4% (83.7–90.3%)`: a value with its interval, the unit written once at the end of the range. */
export function formatWithInterval(
  value: number,
  lower: number | null,
  upper: number | null,
  format: (v: number) => string = formatPercent,
): string {
  if (lower === null || upper === null) {
    return format(value);
  }
  return `${format(value)} (${formatRange(lower, upper, format)})`;
}

/** `83.7–90.3%`, `3.98–4.26`, `-0.9–21.6 pp`: the shared unit suffix is written once. */
export function formatRange(
  lower: number,
  upper: number,
  format: (v: number) => string = formatPercent,
): string {
  const low = format(lower);
  const high = format(upper);
  const unit = /(\s?(?:%|pp))$/.exec(high)?.[1] ?? '';
  const lowWithoutUnit = unit !== '' && low.endsWith(unit) ? low.slice(0, -unit.length) : low;
  // A negative upper bound reads badly after an en dash ("–-1.0"), so spell the range out.
  return upper < 0 || lower < 0 ? `${low} to ${high}` : `${lowWithoutUnit}–${high}`;
}

function fixed(value: number, decimals: number): string {
  // toPrecision(12) drops binary noise first, so 0.0195 shows as 2.0% rather than 1.9%.
  const scale = 10 ** decimals;
  const text = (Math.round(Number(value.toPrecision(12)) * scale) / scale).toFixed(decimals);
  // Avoid "-0.0" for tiny negative values.
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

export interface ChartDomain {
  min: number;
  max: number;
}

/**
 * A domain that starts at zero (or below, for negative values) and ends at a round number: `[0, 1]` when
 * every value is a proportion, so rates are never zoomed in on.
 */
export function niceDomain(values: readonly number[]): ChartDomain {
  const finite = values.filter((v) => Number.isFinite(v));
  const low = Math.min(0, ...finite);
  const high = Math.max(0, ...finite);
  if (low >= 0 && high <= 1) {
    return { min: 0, max: 1 };
  }
  return { min: low < 0 ? -niceCeiling(-low) : 0, max: high > 0 ? niceCeiling(high) : 0 };
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value - 1e-12) ?? 10;
  return step * magnitude;
}

/**
 * Round tick values across the domain, about `count` intervals apart: a step that divides the domain
 * evenly (so both ends get a tick) is preferred.
 */
export function niceTicks(domain: ChartDomain, count = 4): number[] {
  const span = domain.max - domain.min;
  if (!(span > 0)) {
    return [domain.min];
  }
  const magnitude = 10 ** Math.floor(Math.log10(span / count));
  const candidates = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50].map((s) => s * magnitude);
  const even = candidates
    .map((step) => ({ step, intervals: span / step }))
    .filter(
      ({ intervals }) =>
        intervals >= 2 && intervals <= 8 && Math.abs(intervals - Math.round(intervals)) < 1e-9,
    )
    .sort((a, b) => Math.abs(a.intervals - count) - Math.abs(b.intervals - count) || b.step - a.step)[0];
  const step = even?.step ?? candidates.find((s) => s >= span / count - 1e-12) ?? span;
  const ticks: number[] = [];
  for (let i = Math.ceil(domain.min / step - 1e-9); i * step <= domain.max + step * 1e-9; i += 1) {
    // `+ 0` turns -0 into 0; toPrecision drops binary noise such as 0.30000000000000004.
    ticks.push(Number((i * step).toPrecision(12)) + 0);
  }
  return ticks;
}

export interface IntervalRow {
  label: string;
  value: number | null;
  lower: number | null;
  upper: number | null;
  /** Shown after the label and in the description, e.g. `n = 16, small group`. */
  note?: string;
  /** Drawn in a lighter colour with a dashed outline, e.g. a group too small to be compared. */
  muted?: boolean;
}

export interface ReferenceLine {
  value: number;
  /** What the line marks, without its value (the chart adds it): e.g. `all items`, `threshold (passed)`. */
  label: string;
}

export interface IntervalChartOptions {
  /** Prefix for the ids of the title and description; must be unique within the page. */
  id: string;
  title: string;
  /** A sentence put before the generated description of the numbers. */
  description?: string;
  /** The value axis; `niceDomain` of every number drawn when absent. */
  domain?: ChartDomain;
  /** Formats values in labels, the legend and the description; percentages by default. */
  format?: (value: number) => string;
  /** Formats the axis ticks; `format` by default (e.g. pass `50%` style labels for a tidier axis). */
  tickFormat?: (value: number) => string;
  /** Vertical dashed lines, e.g. a threshold or the overall value; numbered and listed under the axis. */
  references?: ReferenceLine[];
  /** How the interval is named in the description, e.g. `95% interval` (the default). */
  intervalName?: string;
  /** Width of the view box; the chart scales to its container. 480 by default. */
  width?: number;
  /** Adds the SVG namespace, for a chart saved as its own `.svg` file rather than put inside HTML. */
  standalone?: boolean;
}

const layout = {
  padX: 22,
  refMarkerHeight: 18,
  rowHeight: 50,
  labelBaseline: 16,
  barTop: 23,
  barHeight: 16,
  axisHeight: 26,
  legendLine: 20,
  labelFont: 14,
  smallFont: 12,
  /** Average advance of a character at 14px in a sans-serif font, to keep labels from overlapping. */
  charWidth: 7.4,
};

/**
 * A horizontal chart, one row per item: the label and formatted value on a line, then a bar to the value
 * with the interval as an error bar across it. Rows without a value say so instead of drawing a bar.
 */
export function intervalChart(rows: readonly IntervalRow[], options: IntervalChartOptions): string {
  const format = options.format ?? formatPercent;
  const references = options.references ?? [];
  const width = options.width ?? 480;
  const drawn = rows.flatMap((r) => [r.value, r.lower, r.upper]).filter((v): v is number => v !== null);
  const domain = options.domain ?? niceDomain([...drawn, ...references.map((r) => r.value)]);
  const x0 = layout.padX;
  const x1 = width - layout.padX;
  const span = domain.max - domain.min || 1;
  const x = (v: number): number => x0 + ((clamp(v, domain.min, domain.max) - domain.min) / span) * (x1 - x0);
  const baseline = x(clamp(0, domain.min, domain.max));

  const top = references.length > 0 ? layout.refMarkerHeight : 4;
  const plotBottom = top + Math.max(rows.length, 1) * layout.rowHeight;
  const height = plotBottom + layout.axisHeight + references.length * layout.legendLine + 6;
  const parts: string[] = [];

  // Grid and axis underneath everything else.
  const ticks = niceTicks(domain);
  for (const t of ticks) {
    parts.push(line(x(t), top, x(t), plotBottom, chartColours.grid, 1));
    parts.push(
      text(x(t), plotBottom + 18, (options.tickFormat ?? format)(t), {
        anchor: 'middle',
        size: layout.smallFont,
        fill: chartColours.secondaryText,
      }),
    );
  }
  parts.push(line(x0, plotBottom, x1, plotBottom, chartColours.secondaryText, 1));

  if (rows.length === 0) {
    parts.push(text(x0, top + layout.labelBaseline, 'No data', { size: layout.labelFont }));
  }
  rows.forEach((row, i) => {
    const y = top + i * layout.rowHeight;
    const valueText =
      row.value === null ? 'no value' : formatWithInterval(row.value, row.lower, row.upper, format);
    const labelText = row.note ? `${row.label} (${row.note})` : row.label;
    const room = Math.floor((x1 - x0 - valueText.length * layout.charWidth - 12) / layout.charWidth);
    parts.push(
      text(x0, y + layout.labelBaseline, shorten(labelText, Math.max(room, 4)), { size: layout.labelFont }),
    );
    parts.push(
      text(x1, y + layout.labelBaseline, valueText, {
        anchor: 'end',
        size: layout.labelFont,
        weight: 'bold',
      }),
    );
    const barY = y + layout.barTop;
    parts.push(rect(x0, barY, x1 - x0, layout.barHeight, chartColours.track));
    if (row.value === null) {
      return;
    }
    const end = x(row.value);
    const muted = row.muted === true;
    parts.push(
      rect(
        Math.min(baseline, end),
        barY,
        Math.abs(end - baseline),
        layout.barHeight,
        muted ? chartColours.mutedBar : chartColours.bar,
        muted,
      ),
    );
    if (row.lower !== null && row.upper !== null) {
      const mid = barY + layout.barHeight / 2;
      const lo = x(row.lower);
      const hi = x(row.upper);
      parts.push(line(lo, mid, hi, mid, chartColours.text, 2));
      parts.push(line(lo, mid - 7, lo, mid + 7, chartColours.text, 2));
      parts.push(line(hi, mid - 7, hi, mid + 7, chartColours.text, 2));
    }
  });

  references.forEach((ref, i) => {
    const rx = x(ref.value);
    parts.push(line(rx, top - 2, rx, plotBottom, chartColours.reference, 1.5, '5 3'));
    parts.push(
      text(rx, top - 5, String(i + 1), { anchor: 'middle', size: layout.smallFont, weight: 'bold' }),
    );
    const ly = plotBottom + layout.axisHeight + i * layout.legendLine + 12;
    parts.push(line(x0, ly - 4, x0 + 18, ly - 4, chartColours.reference, 1.5, '5 3'));
    parts.push(text(x0 + 24, ly, `${i + 1}: ${ref.label}: ${format(ref.value)}`, { size: layout.smallFont }));
  });

  const titleId = `${options.id}-title`;
  const descId = `${options.id}-desc`;
  const description = describeIntervalChart(rows, {
    ...options,
    format,
    domain,
    references,
  });
  return [
    `<svg${options.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : ''} class="gh-chart" role="img"`,
    ` aria-labelledby="${escapeMarkup(titleId)} ${escapeMarkup(descId)}" viewBox="0 0 ${width} ${round(height)}"`,
    ` width="${width}" height="${round(height)}" font-family="${escapeMarkup(chartFontStack)}">`,
    `<title id="${escapeMarkup(titleId)}">${escapeMarkup(options.title)}</title>`,
    `<desc id="${escapeMarkup(descId)}">${escapeMarkup(description)}</desc>`,
    ...parts,
    '</svg>',
  ].join('');
}

/**
 * A bar chart without intervals (e.g. latency percentiles): `intervalChart` with no error bars, so the two
 * look alike on a page.
 */
export function barChart(
  rows: readonly { label: string; value: number | null; note?: string }[],
  options: IntervalChartOptions,
): string {
  return intervalChart(
    rows.map((r) => ({ label: r.label, value: r.value, lower: null, upper: null, note: r.note })),
    options,
  );
}

/** The text of a chart's `<desc>`: every number it draws, in words. */
export function describeIntervalChart(
  rows: readonly IntervalRow[],
  options: Pick<IntervalChartOptions, 'description' | 'format' | 'references' | 'intervalName' | 'domain'>,
): string {
  const format = options.format ?? formatPercent;
  const intervalName = options.intervalName ?? '95% interval';
  const sentences: string[] = [];
  if (options.description) {
    sentences.push(options.description.replace(/\.?\s*$/, '.'));
  }
  if (rows.length === 0) {
    sentences.push('There is no data.');
  }
  for (const row of rows) {
    const note = row.note ? ` (${row.note})` : '';
    if (row.value === null) {
      sentences.push(`${row.label}${note}: no value.`);
    } else if (row.lower === null || row.upper === null) {
      sentences.push(`${row.label}${note}: ${format(row.value)}.`);
    } else {
      sentences.push(
        `${row.label}${note}: ${format(row.value)}, ${intervalName} ${format(row.lower)} to ${format(row.upper)}.`,
      );
    }
  }
  (options.references ?? []).forEach((ref, i) => {
    sentences.push(`Dashed line ${i + 1}: ${ref.label} at ${format(ref.value)}.`);
  });
  if (options.domain) {
    sentences.push(`The axis runs from ${format(options.domain.min)} to ${format(options.domain.max)}.`);
  }
  return sentences.join(' ');
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

function round(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** Cuts text to at most `max` characters (code points), ending with an ellipsis when cut. */
function shorten(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, Math.max(max - 1, 1)).join('')}…`;
}

function line(
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  stroke: string,
  strokeWidth: number,
  dash?: string,
): string {
  const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
  return `<line x1="${round(xa)}" y1="${round(ya)}" x2="${round(xb)}" y2="${round(yb)}" stroke="${stroke}" stroke-width="${strokeWidth}"${dashAttr}/>`;
}

function rect(rx: number, ry: number, w: number, h: number, fill: string, dashedOutline = false): string {
  const outline = dashedOutline
    ? ` stroke="${chartColours.bar}" stroke-width="1.5" stroke-dasharray="3 2"`
    : '';
  return `<rect x="${round(rx)}" y="${round(ry)}" width="${round(w)}" height="${round(h)}" fill="${fill}"${outline}/>`;
}

function text(
  tx: number,
  ty: number,
  content: string,
  style: { anchor?: 'start' | 'middle' | 'end'; size: number; fill?: string; weight?: 'bold' },
): string {
  const anchor = style.anchor && style.anchor !== 'start' ? ` text-anchor="${style.anchor}"` : '';
  const weight = style.weight ? ` font-weight="${style.weight}"` : '';
  return `<text x="${round(tx)}" y="${round(ty)}" font-size="${style.size}" fill="${style.fill ?? chartColours.text}"${anchor}${weight}>${escapeMarkup(content)}</text>`;
}
