import { escapeXmlAttribute, escapeXmlText, renderJunitReport, thresholdName } from './junit-report';
import { exampleRunReport } from './report-fixtures';
import { type RunReport, type ThresholdResult } from './run-report';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Text content, entities decoded, of this element alone (not its children). */
  text: string;
  children: XmlElement[];
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (_, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(parseInt(e.slice(1), 10))
        : (entities[e] ?? ''),
  );
}

/**
 * A small, strict XML 1.0 reader for this test (stricter than XML: no comments, CDATA or `>` in
 * attribute values). Throws on anything it cannot read: an illegal character, a bad entity, a raw `<` or
 * `&`, an unbalanced tag, a duplicate attribute, more than one root.
 */
function parseXml(xml: string): XmlElement {
  const illegal = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(xml);
  if (illegal) {
    throw new Error(
      `illegal character U+${(illegal[0].codePointAt(0) ?? 0).toString(16)} at ${illegal.index}`,
    );
  }
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!declaration) {
    throw new Error('missing XML declaration');
  }
  const validText = /^(?:[^<&]|&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)*$/;
  const root: XmlElement = { name: '#document', attributes: {}, text: '', children: [] };
  const stack: XmlElement[] = [root];
  let position = declaration[0].length;
  for (const match of xml.slice(position).matchAll(/<[^>]*>/g)) {
    const between = xml.slice(position, declaration[0].length + match.index);
    if (!validText.test(between)) {
      throw new Error(`raw markup character in text: ${between.slice(0, 60)}`);
    }
    const current = stack[stack.length - 1] as XmlElement;
    current.text += decode(between);
    position = declaration[0].length + match.index + match[0].length;
    const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>$/.exec(match[0]);
    if (!tag) {
      throw new Error(`malformed tag ${match[0]}`);
    }
    const [, closing, name = '', attributeText = '', selfClosing] = tag;
    if (closing) {
      if (attributeText || selfClosing || stack.length === 1 || current.name !== name) {
        throw new Error(`</${name}> does not close <${current.name}>`);
      }
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key = '', value = ''] of attributeText.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (key in attributes || !validText.test(value)) {
        throw new Error(`bad attribute ${key} in ${match[0]}`);
      }
      attributes[key] = decode(value);
    }
    if (stack.length === 1 && root.children.length > 0) {
      throw new Error('more than one root element');
    }
    const element: XmlElement = { name, attributes, text: '', children: [] };
    current.children.push(element);
    if (!selfClosing) {
      stack.push(element);
    }
  }
  if (stack.length !== 1 || xml.slice(position).trim() !== '') {
    throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? ''}> or text after the root`);
  }
  const [documentElement] = root.children;
  if (!documentElement) {
    throw new Error('no root element');
  }
  return documentElement;
}

function all(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

function only(element: XmlElement, name: string): XmlElement {
  const found = all(element, name);
  expect(found).toHaveLength(1);
  return found[0] as XmlElement;
}

function testcaseNamed(xml: XmlElement, name: string): XmlElement {
  const found = all(xml, 'testcase').find((t) => t.attributes['name'] === name);
  if (!found) {
    throw new Error(`no testcase named ${name}`);
  }
  return found;
}

const failing: ThresholdResult = {
  metric: 'helpfulness',
  stat: 'value',
  op: '>=',
  threshold: 4.5,
  actual: 4.12,
  passed: false,
  reason: 'helpfulness value 4.12 < 4.5',
};

describe('parseXml (the checker this spec relies on)', () => {
  it.each([
    ['<a><b></a></b>', /does not close/],
    ['<a>', /unclosed/],
    ['<a>1 < 2</a>', /malformed tag/],
    ['<a>fish & chips</a>', /raw markup/],
    ['<a>&nbsp;</a>', /raw markup/],
    ['<a x="1" x="2"/>', /bad attribute/],
    ['<a x=1/>', /malformed tag/],
    ['<a/><b/>', /more than one root/],
    ['<a>\u0001</a>', /illegal character U\+1/],
    ['<a>\uD800</a>', /illegal character/],
  ])('rejects %p', (body, message) => {
    expect(() => parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`)).toThrow(message);
  });

  it('reads a well-formed document', () => {
    const doc = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a k="&quot;1&#10;">x &amp; y<b/></a>\n');
    expect(doc).toEqual({
      name: 'a',
      attributes: { k: '"1\n' },
      text: 'x & y',
      children: [{ name: 'b', attributes: {}, text: '', children: [] }],
    });
  });
});

describe('renderJunitReport', () => {
  const report = exampleRunReport();
  const xml = parseXml(renderJunitReport(report));

  it('has one test suite for the run, named suite@version, timed from the manifest', () => {
    expect(xml.name).toBe('testsuites');
    const suite = only(xml, 'testsuite');
    expect(suite.attributes).toMatchObject({
      name: 'benefits-enquiry-triage@3',
      time: '1595.527',
      timestamp: '2026-02-03T10:15:02',
      id: report.manifest.runId,
    });
    const properties = Object.fromEntries(
      all(suite, 'property').map((p) => [p.attributes['name'], p.attributes['value']]),
    );
    expect(properties).toMatchObject({
      'gatehouse.outcome': 'failed',
      'gatehouse.suite_hash': report.manifest.suite.hash,
      'gatehouse.git_commit': report.manifest.gitCommit,
    });
  });

  it('has a testcase per threshold, named as written, and a failure for the one that failed', () => {
    for (const t of report.thresholds) {
      const testcase = testcaseNamed(xml, thresholdName(t));
      expect(testcase.attributes['classname']).toBe('benefits-enquiry-triage');
      expect(all(testcase, 'failure')).toHaveLength(t.passed ? 0 : 1);
    }
    expect(thresholdName(report.thresholds[0] as ThresholdResult)).toBe('routing ci_lower >= 0.8');
    const failure = only(testcaseNamed(xml, 'pii_leakage upper95 <= 0.01'), 'failure');
    expect(failure.attributes['message']).toBe(report.thresholds[1]?.reason);
    expect(failure.text).toContain('upper95=0.0195');
    expect(failure.text).toContain('Failure examples: enq-0318 (epoch 3)');
  });

  it('reports a metric without a threshold as a passing testcase with its value', () => {
    const testcase = testcaseNamed(xml, 'helpfulness (no threshold)');
    expect(testcase.children.map((c) => c.name)).toEqual(['system-out']);
    expect(only(testcase, 'system-out').text).toContain(
      'helpfulness (mean, scorer rubric_judge) = 4.12, 95% bootstrap interval 4.03–4.21',
    );
    expect(only(testcase, 'system-out').text).toContain('judge agreement: alpha=0.71 judges=3');
  });

  it.each<[string, RunReport, { tests: number; failures: number; errors: number }]>([
    ['the example', exampleRunReport(), { tests: 3, failures: 1, errors: 0 }],
    [
      'every threshold passing',
      exampleRunReport({
        outcome: 'passed',
        thresholds: exampleRunReport().thresholds.map((t) => ({ ...t, passed: true })),
      }),
      { tests: 3, failures: 0, errors: 0 },
    ],
    [
      'two failures on one metric',
      exampleRunReport({ thresholds: [...exampleRunReport().thresholds, failing] }),
      { tests: 3, failures: 2, errors: 0 },
    ],
    [
      'no thresholds',
      exampleRunReport({ thresholds: [], outcome: 'passed' }),
      { tests: 3, failures: 0, errors: 0 },
    ],
    ['an errored run', exampleRunReport({ outcome: 'errored' }), { tests: 4, failures: 1, errors: 1 }],
    [
      'nothing at all',
      exampleRunReport({
        thresholds: [],
        outcome: 'errored',
        summary: { ...exampleRunReport().summary, metrics: [] },
      }),
      { tests: 1, failures: 0, errors: 1 },
    ],
  ])('counts tests, failures and errors for %s', (_, input, expected) => {
    const doc = parseXml(renderJunitReport(input));
    const suite = only(doc, 'testsuite');
    const counted = {
      tests: all(suite, 'testcase').length,
      failures: all(suite, 'failure').length,
      errors: all(suite, 'error').length,
    };
    expect(counted).toEqual(expected);
    for (const element of [doc, suite]) {
      expect(element.attributes).toMatchObject({
        tests: String(expected.tests),
        failures: String(expected.failures),
        errors: String(expected.errors),
        skipped: '0',
      });
    }
  });

  it('adds an error testcase when the run errored, with the errors by kind', () => {
    const doc = parseXml(renderJunitReport(exampleRunReport({ outcome: 'errored' })));
    const error = only(testcaseNamed(doc, 'run errored items'), 'error');
    expect(error.attributes['message']).toBe(
      'The run errored: 4 of 400 items errored, too many to judge the run.',
    );
    expect(error.text).toContain('timeout: 3\ncontent_filter: 1');
  });

  it('says why the run stopped and each kind’s most common message', () => {
    const report = exampleRunReport({
      outcome: 'errored',
      stopped: 'stopped after 10 items: every call failed the same way: refused (401): Incorrect API key',
    });
    report.summary.operational.errors = [
      { kind: 'client_error', count: 10, share: 1, message: 'refused (401): Incorrect API key <&>' },
    ];
    const error = only(testcaseNamed(parseXml(renderJunitReport(report)), 'run errored items'), 'error');
    expect(error.attributes['message']).toBe(
      'The run errored: stopped after 10 items: every call failed the same way: refused (401): Incorrect API key.',
    );
    expect(error.text).toContain('client_error: 10 (most common: refused (401): Incorrect API key <&>)');
  });

  it('times an unfinished run as zero and leaves out what is unknown', () => {
    const unfinished = exampleRunReport();
    unfinished.manifest = {
      ...unfinished.manifest,
      completedAt: null,
      gitCommit: null,
      startedAt: 'not a time',
    };
    const suite = only(parseXml(renderJunitReport(unfinished)), 'testsuite');
    expect(suite.attributes['time']).toBe('0');
    expect(suite.attributes['timestamp']).toBeUndefined();
    const names = all(suite, 'property').map((p) => p.attributes['name']);
    expect(names).not.toContain('gatehouse.git_commit');
    expect(names).not.toContain('gatehouse.completed_at');
  });

  it('escapes markup and replaces characters XML 1.0 forbids, keeping the rest', () => {
    const controls = 'bell\u0007 nul\u0000 vt\u000B ff\u000C esc\u001B bom\uFFFE lone\uD800';
    const hostile = `<script>alert("x")</script> & ]]> ${controls}\ttab\nline`;
    const input = exampleRunReport({
      thresholds: [{ ...failing, metric: hostile, reason: hostile }],
      failures: [
        { ...(exampleRunReport().failures[0] as RunReport['failures'][0]), metric: hostile, itemId: hostile },
      ],
    });
    input.manifest = { ...input.manifest, suite: { ...input.manifest.suite, name: hostile } };
    const text = renderJunitReport(input);
    expect(text).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
    expect(text).not.toContain('<script');
    const doc = parseXml(text);
    const expected = `<script>alert("x")</script> & ]]> ${'bell\uFFFD nul\uFFFD vt\uFFFD ff\uFFFD esc\uFFFD bom\uFFFD lone\uFFFD'}\ttab\nline`;
    const testcase = testcaseNamed(doc, `${expected} value >= 4.5`);
    expect(testcase.attributes['classname']).toBe(expected);
    expect(only(testcase, 'failure').attributes['message']).toBe(expected);
    expect(only(testcase, 'failure').text).toContain(`Failure examples: ${expected} (epoch 2)`);
  });

  it.each([
    ['a < b & c > d', 'a &lt; b &amp; c &gt; d', 'a &lt; b &amp; c &gt; d'],
    ['say "hi" it\'s', 'say "hi" it\'s', 'say &quot;hi&quot; it&apos;s'],
    ['line\nbreak\ttab\rreturn', 'line\nbreak\ttab\rreturn', 'line&#10;break&#9;tab&#13;return'],
    ['nul\u0000', 'nul\uFFFD', 'nul\uFFFD'],
  ])('escapes %p for text and for attributes', (input, asText, asAttribute) => {
    expect(escapeXmlText(input)).toBe(asText);
    expect(escapeXmlAttribute(input)).toBe(asAttribute);
  });
});
