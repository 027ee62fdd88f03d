import { createHash } from 'node:crypto';
import { type MetricSummary } from '@gatehouse/domain';
import { renderHtmlReport } from './html-report';
import { exampleRunReport } from './report-fixtures';
import { type RunReport } from './run-report';
import { escapeMarkup } from './svg-charts';

const scriptTag = '<script>alert(1)</script>';
const attributeBreakout = '"><img src=x onerror=alert(1)>';
const hostile = `${scriptTag}${attributeBreakout}`;

/** The example report with hostile text in every string field a report can carry. */
function hostileReport(): RunReport {
  const base = exampleRunReport();
  const [routing, pii, helpfulness] = base.summary.metrics as [MetricSummary, MetricSummary, MetricSummary];
  const ageBand = routing.groups[0];
  return {
    ...base,
    manifest: {
      ...base.manifest,
      runId: hostile,
      suite: { ...base.manifest.suite, name: hostile, hash: hostile, file: hostile },
      dataset: { ...base.manifest.dataset, name: hostile, hash: hostile },
      target: {
        type: hostile,
        description: `<link rel="stylesheet" href="https://evil.example/x.css">${hostile}`,
        configHash: hostile,
      },
      scorers: [{ name: hostile, type: hostile, version: hostile }],
      packageVersion: hostile,
      gitCommit: hostile,
      startedAt: hostile,
      completedAt: hostile,
    },
    summary: {
      ...base.summary,
      metrics: [
        {
          ...routing,
          name: `routing${hostile}`,
          scorer: hostile,
          groups: ageBand
            ? [
                {
                  ...ageBand,
                  key: hostile,
                  groups: ageBand.groups.map((g, i) => (i === 0 ? { ...g, group: hostile } : g)),
                  smallGroups: [hostile],
                  maxGap: ageBand.maxGap && { ...ageBand.maxGap, between: [hostile, hostile] },
                },
              ]
            : [],
          classification: routing.classification && {
            ...routing.classification,
            labels: routing.classification.labels.map((l, i) => (i === 0 ? hostile : l)),
            perClass: routing.classification.perClass.map((p, i) => (i === 0 ? { ...p, label: hostile } : p)),
          },
        },
        pii,
        helpfulness,
      ],
      operational: {
        ...base.summary.operational,
        errorsByKind: { [hostile]: 2 },
        errors: [{ kind: hostile, count: 2, share: 0.5, message: hostile }],
        retriesByKind: { [hostile]: 3 },
      },
    },
    thresholds: base.thresholds.map((t) => ({ ...t, metric: hostile, reason: `${t.reason} ${hostile}` })),
    failures: [
      {
        itemId: hostile,
        epoch: 1,
        metric: hostile,
        input: hostile,
        output: `${'Benefit advice. '.repeat(60)}${hostile}`,
        expected: hostile,
        explanation: hostile,
        group: { [hostile]: hostile },
      },
    ],
  };
}

/** References to anything outside the page: URLs with a scheme or `//` in src/href, imports, url(). */
function externalReferences(html: string): string[] {
  const patterns = [
    /\b(?:src|href|xlink:href|action|formaction|poster|data|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/gi,
    /@import/gi,
    /url\s*\(/gi,
    /<(?:link|iframe|object|embed|img|image|script|base|use|audio|video|source|form|input)\b/gi,
  ];
  return patterns.flatMap((p) => html.match(p) ?? []);
}

const allowedElements = new Set(
  `html head meta title style body a header div span main h1 h2 h3 h4 p ul ol li nav section dl dt dd code br
  time table caption thead tbody tfoot tr th td strong em figure figcaption svg desc line rect text article
  details summary footer`.split(/\s+/),
);
const voidElements = new Set(['meta', 'br']);

/** Unknown elements, tags that do not balance, and raw `<` or `&` in text, in the page outside its style sheet. */
function markupProblems(html: string): string[] {
  const problems: string[] = [];
  const body = html.replace(/^<!doctype html>\s*/, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  const stack: string[] = [];
  let last = 0;
  for (const match of body.matchAll(/<[^>]*>/g)) {
    const between = body.slice(last, match.index);
    if (/[<>]|&(?!(?:amp|lt|gt|quot|#39|#\d+);)/.test(between)) {
      problems.push(`raw markup character in text: ${between.slice(0, 60)}`);
    }
    last = match.index + match[0].length;
    const tag = /^<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9:-]*(?:="[^"<>]*")?)*)\s*(\/?)>$/i.exec(match[0]);
    if (!tag) {
      problems.push(`malformed tag ${match[0]}`);
      continue;
    }
    const [, closing, name = '', , selfClosing] = tag;
    if (!allowedElements.has(name)) {
      problems.push(`unexpected element <${name}>`);
    }
    if (closing) {
      const open = stack.pop();
      if (open !== name) {
        problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      }
    } else if (!selfClosing && !voidElements.has(name)) {
      stack.push(name);
    }
  }
  if (stack.length > 0) {
    problems.push(`unclosed: ${stack.join(' > ')}`);
  }
  return problems;
}

/** The markup without the whitespace around tags and with `<br />` as `<br>`, to compare fragments. */
function withoutLayoutWhitespace(html: string): string {
  return html
    .replace(/\s*\/>/g, '>')
    .replace(/>\s+/g, '>')
    .replace(/\s+</g, '<');
}

function blocks(html: string, element: string): string[] {
  return html.match(new RegExp(`<${element}\\b[\\s\\S]*?</${element}>`, 'g')) ?? [];
}

describe('renderHtmlReport', () => {
  const report = exampleRunReport();
  const html = renderHtmlReport(report);

  it('is one well-formed page of known elements', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en-GB">')).toBe(true);
    expect(markupProblems(html)).toEqual([]);
  });

  it.each(['passed', 'failed', 'errored'] as const)(
    'shows the outcome %s in the title and the panel',
    (outcome) => {
      const page = renderHtmlReport(exampleRunReport({ outcome }));
      const label = `${outcome.charAt(0).toUpperCase()}${outcome.slice(1)}`;
      expect(page).toContain(`<title>${label}: benefits-enquiry-triage@3 evaluation report</title>`);
      expect(page).toContain(`<div class="outcome outcome--${outcome}">`);
      expect(page).toContain(`<p class="outcome__value">${label}</p>`);
    },
  );

  it.each([
    ['passed', 'All 2 thresholds passed.'],
    ['failed', '1 of 2 thresholds failed.'],
    ['errored', 'Too many items errored to judge the run: 4 of 400 items (1.0%) errored.'],
  ] as const)('explains the %s outcome', (outcome, sentence) => {
    expect(renderHtmlReport(exampleRunReport({ outcome }))).toContain(sentence);
  });

  it('says why items errored, how often the provider rate-limited, and why a run stopped', () => {
    const report = exampleRunReport({ outcome: 'errored' });
    report.summary.operational = {
      ...report.summary.operational,
      errors: [
        { kind: 'timeout', count: 3, share: 0.0025, message: 'no answer within 30000 ms' },
        { kind: 'client_error', count: 1, share: 0.0008, message: 'refused (400): too long' },
      ],
      retriesByKind: { rate_limited: 8, server_error: 3 },
      rateLimit: { pauses: 8, pauseSeconds: 12.5 },
    };
    const page = renderHtmlReport(report);
    expect(page).toMatch(/Most common: 3 items <code>timeout<\/code>, no answer within 30000 ms/);
    expect(page).toMatch(
      /<code>client_error<\/code><\/th>\s*<td class="num">1<\/td>\s*<td class="num">0\.1%<\/td>\s*<td>refused \(400\): too long<\/td>/,
    );
    expect(page).toContain('11 (8 rate_limited, 3 server_error)');
    expect(page).toContain('8 pauses, 12.5 s waited');
    const stopped = renderHtmlReport({
      ...report,
      stopped: 'stopped after 10 items: every call failed the same way: refused (401): bad key',
    });
    expect(stopped).toContain(
      'The run stopped early: after 10 items: every call failed the same way: refused (401): bad key.',
    );
  });

  it('names every metric and gives every threshold reason', () => {
    for (const m of report.summary.metrics) {
      expect(html).toContain(`>${escapeMarkup(m.name)}`);
    }
    for (const t of report.thresholds) {
      expect(html).toContain(escapeMarkup(t.reason));
    }
    expect(html).toContain('<strong class="tag tag--pass">Passed</strong>');
    expect(html).toContain('<strong class="tag tag--fail">Failed</strong>');
  });

  it('has no scripts and loads nothing from outside the page', () => {
    expect(html).not.toMatch(/https?:\/\//);
    // The hostile report's target description holds a <link href="https://…"> that must stay text.
    for (const page of [html, renderHtmlReport(hostileReport())]) {
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/\bon[a-z]+\s*=\s*["']/i);
      expect(externalReferences(page)).toEqual([]);
    }
  });

  it('declares a strict Content Security Policy that allows exactly its own style sheet', () => {
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(css, 'utf8').digest('base64');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;;`,
    );
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle="/);
  });

  it('escapes hostile text from the report everywhere', () => {
    const page = renderHtmlReport(hostileReport());
    expect(page).not.toContain(scriptTag);
    expect(page).not.toContain(attributeBreakout);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<link');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(markupProblems(page)).toEqual([]);
  });

  it('makes every chart an image with a title and a description, and puts a data table beside it', () => {
    const svgs = blocks(html, 'svg');
    // routing, its age_band and region breakdowns, pii_leakage, helpfulness and latency
    expect(svgs).toHaveLength(6);
    const figures = blocks(html, 'figure');
    expect(figures).toHaveLength(svgs.length);
    for (const figure of figures) {
      const svg = blocks(figure, 'svg')[0] ?? '';
      expect(svg).toMatch(/^<svg [^>]*role="img"/);
      expect(svg).toMatch(/<title id="[^"]+">[^<]+<\/title>/);
      expect(svg).toMatch(/<desc id="[^"]+">[^<]+<\/desc>/);
      const table = blocks(figure, 'table')[0] ?? '';
      expect(table).toContain('<th scope="row">');
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['the routing value with its interval', '87.4% (83.7–90.3%)'],
    ['the guardrail upper bound', '<td class="num">2.0%</td>'],
    ['the mean score with its interval', '4.12 (4.03–4.21)'],
    [
      'the age_band gap with its interval',
      '9.1 pp between 25–44 and 16–24 (95% Newcombe interval -0.9 pp to 21.6 pp)',
    ],
    ['the small group', 'not recorded<br><span class="muted small">small group: left out of the gap</span>'],
    ['the judge agreement', 'Krippendorff&#39;s alpha 0.71'],
    ['a confusion matrix cell', '<td class="num cm-d4">144<span class="share">90.0%</span></td>'],
    ['the provider latency p95', '<td class="num">2.14 s</td>'],
    ['the tokens', '1,412,880'],
    ['the cost', 'US$1.84'],
    ['an error kind', '<code>content_filter</code>'],
    [
      'a shortened hash with its full value',
      '<code class="hash" title="sha256:5d41402abc4b2a76b9719d911017c592ae5c9e2a7f1e3f7bb2a6cf8d9e0f1a2b">sha256:5d41402abc4b…</code>',
    ],
    ['the git commit', 'title="3f9c2e7a1b8d4c6e0f5a9b2d7c1e8f4a6b3d0c9e">3f9c2e7a1b8d…</code>'],
    ['the start time', '<time datetime="2026-02-03T10:15:02.113Z">3 February 2026 at 10:15:02 UTC</time>'],
    ['the duration', '26 min 35.5 s'],
    ['a failure example output', 'pension_credit'],
    ['a failure example group', '<span class="group">age_band: 65+</span>'],
  ])('shows %s', (_, expected) => {
    expect(withoutLayoutWhitespace(html)).toContain(withoutLayoutWhitespace(expected));
  });

  it.each([
    ['short text in full', 'x'.repeat(600), 0, false],
    ['long text cut, the rest one click away', `${'word '.repeat(400)}END`, 1, false],
    ['very long text cut, and the end left out', 'y'.repeat(20_000), 1, true],
  ])('shows %s', (_, output, details, leftOut) => {
    const page = renderHtmlReport(
      exampleRunReport({
        failures: [{ ...exampleRunReport().failures[0], itemId: 'long', output } as never],
      }),
    );
    expect(page.match(/<details/g) ?? []).toHaveLength(details);
    expect(page.includes('characters are left out of this report')).toBe(leftOut);
  });

  it.each([
    ['at a word boundary', `${'word '.repeat(400)}END`, /^(word ){99}word$/],
    ['at the limit when there is no space', 'y'.repeat(5000), /^y{500}$/],
  ])('cuts long text %s', (_, output, preview) => {
    const page = renderHtmlReport(
      exampleRunReport({
        failures: [{ ...exampleRunReport().failures[0], itemId: 'long', output } as never],
      }),
    );
    const shown = /<div class="text">([^<]*)<span aria-hidden="true"> …<\/span>/.exec(page)?.[1] ?? '';
    expect(shown).toMatch(preview);
    expect(page).toContain(`<div class="text">${output}</div>`);
  });

  it.each<[string, Partial<RunReport> | ((r: RunReport) => RunReport)]>([
    ['no thresholds', { thresholds: [], outcome: 'passed' }],
    ['no failures', { failures: [] }],
    ['no metrics', (r) => ({ ...r, summary: { ...r.summary, metrics: [] }, thresholds: [] })],
    [
      'a metric nobody could score',
      (r) => ({
        ...r,
        summary: {
          ...r.summary,
          metrics: r.summary.metrics.map((m) => ({
            ...m,
            value: null,
            interval: null,
            upper95: null,
            agreement: m.agreement && { ...m.agreement, alpha: null },
          })),
        },
        thresholds: r.thresholds.map((t) => ({
          ...t,
          actual: null,
          passed: false,
          reason: `${t.metric} has no value`,
        })),
      }),
    ],
    [
      'a breakdown without a gap',
      (r) => ({
        ...r,
        summary: {
          ...r.summary,
          metrics: r.summary.metrics.map((m) => ({
            ...m,
            groups: m.groups.map((g) => ({ ...g, maxGap: null })),
          })),
        },
      }),
    ],
    ['an unfinished run', (r) => ({ ...r, manifest: { ...r.manifest, completedAt: null, gitCommit: null } })],
    [
      'no operational data',
      (r) => ({
        ...r,
        summary: {
          ...r.summary,
          operational: {
            providerLatencyMs: { p50: null, p95: null, p99: null, mean: null },
            itemDurationMs: { p50: null, p95: null, p99: null, mean: null },
            inputTokens: 0,
            outputTokens: 0,
            costUsd: null,
            retries: 0,
            errorsByKind: {},
          },
        },
      }),
    ],
    [
      'errors with their messages, retries by cause, 429 pauses and a fail-fast stop',
      (r) => ({
        ...r,
        outcome: 'errored' as const,
        stopped: 'stopped after 10 items: every call failed the same way: name not resolved: x (ENOTFOUND)',
        summary: {
          ...r.summary,
          operational: {
            ...r.summary.operational,
            errors: [{ kind: 'network', count: 10, share: 1, message: 'name not resolved: x (ENOTFOUND)' }],
            retriesByKind: { rate_limited: 4, server_error: 1 },
            rateLimit: { pauses: 4, pauseSeconds: 6.25 },
          },
        },
      }),
    ],
    [
      'a threshold on a metric not in the summary',
      (r) => ({
        ...r,
        thresholds: [
          {
            ...(r.thresholds[0] as RunReport['thresholds'][0]),
            metric: 'missing',
            reason: 'missing has no value',
          },
        ],
      }),
    ],
  ])('renders a report with %s', (_, change) => {
    const base = exampleRunReport();
    const changed = typeof change === 'function' ? change(base) : exampleRunReport(change);
    const page = renderHtmlReport(changed);
    expect(markupProblems(page)).toEqual([]);
    for (const t of changed.thresholds) {
      expect(page).toContain(escapeMarkup(t.reason));
    }
    expect(page).not.toContain('undefined');
    expect(page).not.toContain('NaN');
  });
});
