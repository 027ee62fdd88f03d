import { chartDomain, intervalChart } from './charts';

const attr = (svg: string, element: string, className: string, name: string) =>
  [...svg.matchAll(new RegExp(`<${element} class="${className}"[^>]*?\\b${name}="([-\\d.]+)"`, 'g'))].map(
    (m) => Number(m[1]),
  );

describe('intervalChart', () => {
  const points = [
    { label: 'correct', value: 0.8, lower: 0.65, upper: 0.9 },
    { label: 'polite', value: 0.5, lower: 0.3, upper: 0.7 },
  ];

  it('is an accessible image: role, title and description that states the numbers', () => {
    const svg = intervalChart(points, { id: 'metric-correct', title: 'Correct answers' });
    expect(svg).toMatch(
      /^<svg class="gh-chart" role="img" aria-labelledby="metric-correct-title metric-correct-desc"/,
    );
    expect(svg).toContain('<title id="metric-correct-title">Correct answers</title>');
    expect(svg).toContain(
      '<desc id="metric-correct-desc">correct: 80.0%, 95% interval 65.0% to 90.0%. polite: 50.0%, 95% interval 30.0% to 70.0%. The axis runs from 0.0% to 100.0%.</desc>',
    );
    expect(svg).not.toMatch(/style=|<script|\son\w+=/i);
  });

  it('escapes every piece of text and keeps ids safe', () => {
    const svg = intervalChart([{ label: '<script>alert("x")</script> & \'q\'', value: 0.5 }], {
      id: 'a" onload="x',
      title: 'Tom & <Jerry>',
      description: 'Groups "quoted"',
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('onload="');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(svg).toContain('<title id="a--onload--x-title">Tom &amp; &lt;Jerry&gt;</title>');
    expect(svg).toContain('Groups &quot;quoted&quot;.');
  });

  it('scales rates from 0 to 1 across the plot, whatever the values', () => {
    const svg = intervalChart([{ label: 'rate', value: 0.5, lower: 0.25, upper: 1 }], {
      id: 'c',
      title: 'Rate',
      width: 224,
    });
    // Plot from x=24 to x=200: 0.5 ends at 112, the whisker runs from 68 to 200.
    expect(attr(svg, 'rect', 'gh-chart__bar', 'width')).toEqual([88]);
    expect(attr(svg, 'line', 'gh-chart__interval', 'x1')).toEqual([68, 68, 200]);
    expect(svg).toContain('>0%</text>');
    expect(svg).toContain('>100%</text>');
    expect(chartDomain([{ label: 'x', value: 0.01 }], null, 'rate')).toEqual({ min: 0, max: 1 });
    // Out-of-range values are clamped to the axis, never drawn outside it.
    const over = intervalChart([{ label: 'odd', value: 1.4 }], { id: 'd', title: 'Odd', width: 224 });
    expect(attr(over, 'rect', 'gh-chart__bar', 'width')).toEqual([176]);
  });

  it('scales other values from 0 to a round number, and formats them as decimals', () => {
    expect(chartDomain([{ label: 'score', value: 3.7, lower: 3.1, upper: 4.3 }], null, 'auto')).toEqual({
      min: 0,
      max: 5,
    });
    expect(chartDomain([{ label: 'gap', value: -0.3 }], { value: 12 }, 'auto')).toEqual({
      min: -0.5,
      max: 20,
    });
    const svg = intervalChart([{ label: 'score', value: 3.7, lower: 3.1, upper: 4.3 }], {
      id: 'e',
      title: 'Mean score',
      scale: 'auto',
    });
    expect(svg).toContain('>3.70 (3.10–4.30)</text>');
    expect(svg).toContain('The axis runs from 0.00 to 5.00.');
  });

  it('draws the threshold as a labelled dashed line and says where it is', () => {
    const svg = intervalChart(points, {
      id: 't',
      title: 'With threshold',
      width: 224,
      threshold: { value: 0.75, label: 'Threshold: value >= 75%' },
    });
    expect(attr(svg, 'line', 'gh-chart__threshold', 'x1')).toEqual([156]);
    expect(svg).toContain('class="gh-chart__threshold-label"');
    expect(svg).toContain('Threshold: value &gt;= 75%: 75.0%');
    expect(svg).toContain('Dashed line: Threshold: value &gt;= 75% at 75.0%.');
    expect(intervalChart(points, { id: 'n', title: 'None' })).not.toContain('gh-chart__threshold');
  });

  it('says so when there is nothing to draw, and draws no bars', () => {
    for (const data of [[], [{ label: 'unscored', value: null }]]) {
      const svg = intervalChart(data, { id: 'empty', title: 'Nothing' });
      expect(svg).toContain('role="img"');
      expect(svg).toContain('No data to show');
      expect(svg).toContain('There is no data to show.');
      expect(svg).not.toContain('gh-chart__bar');
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it('marks muted rows and is deterministic', () => {
    const rows = [...points, { label: 'tiny group', value: 1, lower: 0.2, upper: 1, muted: true }];
    const a = intervalChart(rows, { id: 'g', title: 'Groups', threshold: { value: 0.4 } });
    expect(a).toContain('class="gh-chart__bar gh-chart__bar--muted"');
    expect(intervalChart(rows, { id: 'g', title: 'Groups', threshold: { value: 0.4 } })).toBe(a);
  });
});
