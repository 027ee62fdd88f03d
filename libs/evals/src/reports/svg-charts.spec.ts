import {
  barChart,
  describeIntervalChart,
  escapeMarkup,
  formatDecimal,
  formatPercent,
  formatPercentagePoints,
  formatRange,
  formatWithInterval,
  intervalChart,
  type IntervalRow,
  niceDomain,
  niceTicks,
  replaceIllegalXmlChars,
} from './svg-charts';

const rows: IntervalRow[] = [
  { label: '16–24', value: 0.8103, lower: 0.6915, upper: 0.8907, note: 'n = 58' },
  {
    label: 'not recorded',
    value: 0.8889,
    lower: 0.565,
    upper: 0.9801,
    note: 'n = 9, small group',
    muted: true,
  },
];

describe('escapeMarkup', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'],
    ["it's & that", 'it&#39;s &amp; that'],
    ['&amp; stays visible', '&amp;amp; stays visible'],
    ['tab\tline\nreturn\r kept', 'tab\tline\nreturn\r kept'],
    ['nul\u0000 bell\u0007 esc\u001b', 'nul\uFFFD bell\uFFFD esc\uFFFD'],
    ['lone \uD800 high, lone \uDC00 low, \uFFFE\uFFFF', 'lone \uFFFD high, lone \uFFFD low, \uFFFD\uFFFD'],
    ['emoji 😀 and £ and 16–24 stay', 'emoji 😀 and £ and 16–24 stay'],
  ])('escapes %p', (input, expected) => {
    expect(escapeMarkup(input)).toBe(expected);
  });

  it('leaves only characters XML 1.0 allows', () => {
    const all = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
    expect(replaceIllegalXmlChars(all)).toBe(`${'\uFFFD'.repeat(9)}\t\n\uFFFD\uFFFD\r${'\uFFFD'.repeat(18)}`);
  });
});

describe('number formats', () => {
  it.each([
    [formatPercent(0.875), '87.5%'],
    [formatPercent(0.0195), '2.0%'],
    [formatPercent(1), '100.0%'],
    [formatPercent(-0.00001), '0.0%'],
    [formatWithInterval(0.875, 0.841, 0.903), '87.5% (84.1–90.3%)'],
    [formatWithInterval(0.875, null, null), '87.5%'],
    [formatWithInterval(4.12, 4.03, 4.21, formatDecimal), '4.12 (4.03–4.21)'],
    [formatRange(-0.0093, 0.2161, formatPercentagePoints), '-0.9 pp to 21.6 pp'],
    [formatRange(0.02, 0.2161, formatPercentagePoints), '2.0–21.6 pp'],
    [formatDecimal(3), '3.00'],
  ])('formats as %p', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('niceDomain and niceTicks', () => {
  it.each([
    [[0.2, 0.9], { min: 0, max: 1 }],
    [[0.001, 0.02], { min: 0, max: 1 }],
    [[3.98, 4.26], { min: 0, max: 5 }],
    [[812, 6120], { min: 0, max: 10000 }],
    [[-0.3, 0.5], { min: -0.5, max: 0.5 }],
    [[], { min: 0, max: 1 }],
  ])('domain of %p is %p', (values, expected) => {
    expect(niceDomain(values)).toEqual(expected);
  });

  it.each([
    [{ min: 0, max: 1 }, [0, 0.25, 0.5, 0.75, 1]],
    [{ min: 0, max: 5 }, [0, 1, 2, 3, 4, 5]],
    [{ min: -0.5, max: 1 }, [-0.5, 0, 0.5, 1]],
    [{ min: 0, max: 0.3 }, [0, 0.1, 0.2, 0.3]],
    [{ min: 0, max: 10000 }, [0, 2500, 5000, 7500, 10000]],
    [{ min: 1, max: 1 }, [1]],
  ])('ticks of %p are %p', (domain, expected) => {
    expect(niceTicks(domain)).toEqual(expected);
  });
});

describe('intervalChart', () => {
  const svg = intervalChart(rows, {
    id: 'age',
    title: 'routing by age_band',
    references: [{ value: 0.8737, label: 'all items' }],
  });

  it('is an image with a title and a description of every number', () => {
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="age-title age-desc"/);
    expect(svg).toContain('<title id="age-title">routing by age_band</title>');
    const desc = /<desc id="age-desc">([^<]*)<\/desc>/.exec(svg)?.[1] ?? '';
    for (const expected of [
      '16–24 (n = 58): 81.0%, 95% interval 69.2% to 89.1%',
      'small group',
      'all items at 87.4%',
    ]) {
      expect(desc).toContain(expected);
    }
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('draws a bar, an error bar and the label with its value for each row, as text', () => {
    expect(svg.match(/<rect /g)).toHaveLength(4); // a track and a bar per row
    expect(svg.match(/stroke-width="2"/g)).toHaveLength(6); // whisker and two caps per row
    expect(svg).toContain('>81.0% (69.2–89.1%)</text>');
    expect(svg).toContain('stroke-dasharray="3 2"'); // the muted (small) group's outline
    expect(svg).toContain('>1: all items: 87.4%</text>');
  });

  it('adds the namespace only for a standalone file', () => {
    expect(svg).not.toContain('xmlns');
    expect(intervalChart(rows, { id: 'a', title: 't', standalone: true })).toContain(
      'xmlns="http://www.w3.org/2000/svg"',
    );
  });

  it('escapes every text it is given', () => {
    const hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>';
    const out = intervalChart([{ label: hostile, value: 0.5, lower: 0.4, upper: 0.6, note: hostile }], {
      id: 'x"><script>',
      title: hostile,
      description: hostile,
      references: [{ value: 0.5, label: hostile }],
    });
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toMatch(/id="[^"]*"[^ >/]/);
  });

  it('keeps values outside the domain inside the chart', () => {
    const out = intervalChart([{ label: 'a', value: 1.4, lower: -0.2, upper: 2 }], {
      id: 'c',
      title: 't',
      domain: { min: 0, max: 1 },
      width: 400,
    });
    const xs = [...out.matchAll(/\bx[12]?="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(400);
  });

  it.each([
    [[{ label: 'helpfulness', value: null, lower: null, upper: null }], 'helpfulness: no value.'],
    [[], 'There is no data.'],
  ])('says when there is nothing to draw (%p)', (empty, sentence) => {
    const out = intervalChart(empty, { id: 'e', title: 'empty' });
    expect(out).toContain(sentence);
    expect(out).toMatch(/>(no value|No data)<\/text>/);
  });
});

describe('barChart', () => {
  it('draws bars without error bars, in the given format', () => {
    const out = barChart(
      [
        { label: 'p50', value: 812 },
        { label: 'p95', value: 2140 },
      ],
      { id: 'lat', title: 'Latency', format: (v) => `${v} ms` },
    );
    expect(out).not.toContain('stroke-width="2"');
    expect(out).toContain('>2140 ms</text>');
    expect(out).toContain('The axis runs from 0 ms to 2500 ms.');
  });
});

describe('describeIntervalChart', () => {
  it('states the description first, then each row and line', () => {
    expect(
      describeIntervalChart([{ label: 'helpfulness', value: 4.12, lower: 4.03, upper: 4.21 }], {
        description: 'Mean rubric score from 1 to 5',
        format: formatDecimal,
        references: [{ value: 3.5, label: 'threshold' }],
        domain: { min: 0, max: 5 },
      }),
    ).toBe(
      'Mean rubric score from 1 to 5. helpfulness: 4.12, 95% interval 4.03 to 4.21. Dashed line 1: threshold at 3.50. The axis runs from 0.00 to 5.00.',
    );
  });
});
