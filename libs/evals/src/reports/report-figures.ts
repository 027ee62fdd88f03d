import { type GroupBreakdown, type MetricSummary } from '@gatehouse/domain';
import { type Html, type HtmlValue, markup, raw } from './html-markup';
import { describeTest, notApplicable, orNa, tag } from './report-elements';
import { formatCount, gapFormat, intervalSuffix, valueFormat } from './report-format';
import { type ThresholdResult } from './run-report';
import {
  barChart,
  formatPercent,
  formatRange,
  intervalChart,
  type IntervalChartOptions,
  type IntervalRow,
  type ReferenceLine,
} from './svg-charts';

// A chart with its data table beside it

export interface FigureRow extends IntervalRow {
  n?: number;
  tableNote?: string;
}

interface FootRow {
  label: string;
  value: string;
  lower: string;
  upper: string;
}

export function chartFigure(args: {
  id: string;
  caption: string;
  rows: FigureRow[];
  format: (v: number) => string;
  domain?: IntervalChartOptions['domain'];
  references?: ReferenceLine[];
  firstColumn?: string;
  valueHeading?: string;
  footRows?: FootRow[];
  after?: Html;
}): Html {
  const { id, caption, rows, format } = args;
  const references = args.references ?? [];
  const hasInterval = rows.some((r) => r.lower !== null && r.upper !== null);
  const hasN = rows.some((r) => r.n !== undefined);
  const hasNotes = rows.some((r) => r.tableNote);
  const options: IntervalChartOptions = {
    id: `${id}-svg`,
    title: caption,
    domain: args.domain,
    format,
    tickFormat: format === formatPercent ? (v) => `${Math.round(v * 100)}%` : undefined,
    references,
  };
  const svg = hasInterval ? intervalChart(rows, options) : barChart(rows, options);
  const cell = (v: number | null): HtmlValue => orNa(v, format);
  return markup`<figure class="chart" aria-labelledby="${id}-caption">
    <figcaption id="${id}-caption" class="chart__caption">${caption}</figcaption>
    <div class="chart__body">
      <div class="chart__graphic">${raw(svg)}</div>
      <div
        class="chart__table table-wrap"
        role="region"
        aria-label="Data for the chart: ${caption}"
        tabindex="0"
      >
        <table class="table data-table">
          <caption class="visually-hidden">
            Data for the chart: ${caption}
          </caption>
          <thead>
            <tr>
              <th scope="col">${args.firstColumn ?? 'Row'}</th>
              <th scope="col" class="num">${args.valueHeading ?? 'Value'}</th>
              ${
                hasInterval
                  ? markup`<th scope="col" class="num">Lower</th>
                      <th scope="col" class="num">Upper</th>`
                  : ''
              }${hasN ? markup`<th scope="col" class="num">n</th>` : ''}
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (r) =>
                markup`<tr>
                  <th scope="row">
                    ${r.label}${hasNotes && r.tableNote ? markup`<br /><span class="muted small">${r.tableNote}</span>` : ''}
                  </th>
                  <td class="num">${cell(r.value)}</td>
                  ${
                    hasInterval
                      ? markup`<td class="num">${cell(r.lower)}</td>
                          <td class="num">${cell(r.upper)}</td>`
                      : ''
                  }${hasN ? markup`<td class="num">${r.n === undefined ? notApplicable : formatCount(r.n)}</td>` : ''}
                </tr>`,
            )}
            ${references.map(
              (ref, i) =>
                markup`<tr class="reference">
                  <th scope="row">Dashed line ${i + 1}: ${ref.label}</th>
                  <td class="num">${format(ref.value)}</td>
                  ${
                    hasInterval
                      ? markup`<td></td>
                          <td></td>`
                      : ''
                  }${hasN ? markup`<td></td>` : ''}
                </tr>`,
            )}
          </tbody>
          ${
            (args.footRows ?? []).length > 0
              ? markup`<tfoot>
                  ${(args.footRows ?? []).map(
                    (f) =>
                      markup`<tr>
                        <th scope="row">${f.label}</th>
                        <td class="num">${f.value}</td>
                        ${
                          hasInterval
                            ? markup`<td class="num">${f.lower}</td>
                                <td class="num">${f.upper}</td>`
                            : ''
                        }${hasN ? markup`<td></td>` : ''}
                      </tr>`,
                  )}
                </tfoot>`
              : ''
          }
        </table>
      </div>
    </div>
    ${args.after ?? ''}
  </figure>`;
}

// A metric broken down by one group key: its chart, the largest gap and the gap thresholds.
export function groupFigure(
  m: MetricSummary,
  breakdown: GroupBreakdown,
  id: string,
  thresholds: ThresholdResult[],
): Html {
  const format = valueFormat(m);
  const small = new Set(breakdown.smallGroups);
  const rows: FigureRow[] = breakdown.groups.map((g) => ({
    label: g.group,
    value: g.value,
    lower: g.interval.lower,
    upper: g.interval.upper,
    n: g.n,
    note: small.has(g.group) ? `n = ${formatCount(g.n)}, small group` : `n = ${formatCount(g.n)}`,
    muted: small.has(g.group),
    tableNote: small.has(g.group) ? 'small group: left out of the gap' : '',
  }));
  const gap = breakdown.maxGap;
  const gapFmt = gapFormat(m);
  const gapThresholds = thresholds.filter(
    (t) => t.stat === 'max_group_gap' || t.stat === 'max_group_gap_upper95',
  );
  const gapText =
    gap === null
      ? 'No gap is reported: fewer than two groups are large enough to compare.'
      : `Largest gap between groups: ${gapFmt(gap.value)} between ${gap.between[0]} and ${gap.between[1]} (${intervalSuffix(gap.interval)} ${formatRange(gap.interval.lower, gap.interval.upper, gapFmt)}).`;
  const footRows: FootRow[] =
    gap === null
      ? []
      : [
          {
            label: `Largest gap (${gap.between[0]} and ${gap.between[1]})`,
            value: gapFmt(gap.value),
            lower: gapFmt(gap.interval.lower),
            upper: gapFmt(gap.interval.upper),
          },
        ];
  const after = markup`<p class="gap">${gapText}</p>
    ${gapThresholds.map(
      (t) =>
        markup`<p class="gap">
          Threshold ${describeTest(t, m)}: ${t.passed ? tag('Passed', 'pass') : tag('Failed', 'fail')}
          ${t.reason}
        </p>`,
    )}
    ${small.size > 0 ? markup`<p class="hint">Small groups (fewer items than the suite's minimum group size) are drawn lighter with a dashed outline and are left out of the gap.</p>` : ''}`;
  return markup`<h4>${m.name} by ${breakdown.key}</h4>
    ${chartFigure({
      id,
      caption: `${m.name} by ${breakdown.key}, with 95% intervals`,
      rows,
      format,
      domain: m.kind === 'mean' ? undefined : { min: 0, max: 1 },
      references: m.value === null ? [] : [{ value: m.value, label: 'all items' }],
      firstColumn: breakdown.key,
      footRows,
      after,
    })}`;
}
