import { type MetricSummary } from '@gatehouse/domain';
import { type RunReport, type ThresholdResult } from './run-report';
import { formatDecimal, formatPercent, formatRange, replaceIllegalXmlChars } from './svg-charts';

/**
 * JUnit XML for CI test reporters (GitLab, Jenkins, GitHub Actions): one `<testsuite>` for the run, a
 * testcase per threshold (a `<failure>` when it failed), a passing testcase per metric without a threshold
 * carrying its value in `<system-out>`, and an `<error>` testcase when the run errored.
 */
export function renderJunitReport(report: RunReport): string {
  const { manifest, summary } = report;
  const suiteName = `${manifest.suite.name}@${manifest.suite.version}`;
  const classname = manifest.suite.name;
  const metrics = new Map(summary.metrics.map((m) => [m.name, m]));
  const withThreshold = new Set(report.thresholds.map((t) => t.metric));

  const cases: string[] = [];
  let failures = 0;
  let errors = 0;

  for (const t of report.thresholds) {
    const metric = metrics.get(t.metric);
    const out = [t.reason, metric ? describeMetric(metric) : `Metric ${t.metric} is not in the run summary.`];
    if (t.passed) {
      cases.push(testcase(classname, thresholdName(t), [systemOut(out.join('\n'))]));
    } else {
      failures += 1;
      const examples = report.failures.filter((f) => f.metric === t.metric).slice(0, 10);
      const body = [
        ...out,
        ...(examples.length > 0
          ? [`Failure examples: ${examples.map((f) => `${f.itemId} (epoch ${f.epoch})`).join(', ')}`]
          : []),
      ].join('\n');
      cases.push(
        testcase(classname, thresholdName(t), [
          `<failure message="${attr(t.reason)}" type="threshold">${text(body)}</failure>`,
        ]),
      );
    }
  }

  for (const m of summary.metrics) {
    if (!withThreshold.has(m.name)) {
      cases.push(testcase(classname, `${m.name} (no threshold)`, [systemOut(describeMetric(m))]));
    }
  }

  if (report.outcome === 'errored') {
    errors += 1;
    const items = summary.items;
    const message = report.stopped
      ? `The run errored: ${report.stopped.replace(/\.$/, '')}.`
      : `The run errored: ${items.errored} of ${items.total} items errored, too many to judge the run.`;
    const byKind = summary.operational.errors
      ? summary.operational.errors.map((e) => `${e.kind}: ${e.count} (most common: ${e.message})`)
      : Object.entries(summary.operational.errorsByKind)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([kind, n]) => `${kind}: ${n}`);
    const body = [message, ...(byKind.length > 0 ? ['Errors by kind:', ...byKind] : [])].join('\n');
    cases.push(
      testcase(classname, 'run errored items', [
        `<error message="${attr(message)}" type="run_errored">${text(body)}</error>`,
      ]),
    );
  }

  const seconds = durationSeconds(manifest.startedAt, manifest.completedAt);
  const timestamp = junitTimestamp(manifest.startedAt);
  const properties: [string, string | number | null][] = [
    ['gatehouse.run_id', manifest.runId],
    ['gatehouse.outcome', report.outcome],
    ['gatehouse.suite', suiteName],
    ['gatehouse.suite_hash', manifest.suite.hash],
    ['gatehouse.suite_file', manifest.suite.file ?? null],
    ['gatehouse.dataset', `${manifest.dataset.name}@${manifest.dataset.version}`],
    ['gatehouse.dataset_hash', manifest.dataset.hash],
    ['gatehouse.dataset_count', manifest.dataset.count],
    ['gatehouse.target', `${manifest.target.type}: ${manifest.target.description}`],
    ['gatehouse.target_config_hash', manifest.target.configHash],
    ['gatehouse.epochs', manifest.epochs],
    ['gatehouse.engine', manifest.engine],
    ['gatehouse.package_version', manifest.packageVersion],
    ['gatehouse.git_commit', manifest.gitCommit],
    ['gatehouse.started_at', manifest.startedAt],
    ['gatehouse.completed_at', manifest.completedAt],
  ];
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`gatehouse ${suiteName}`)}" ${counts} time="${seconds}">`,
    `  <testsuite name="${attr(suiteName)}" ${counts} time="${seconds}"${timestamp ? ` timestamp="${timestamp}"` : ''} id="${attr(manifest.runId)}">`,
    '    <properties>',
    ...properties
      .filter((p): p is [string, string | number] => p[1] !== null)
      .map(([name, value]) => `      <property name="${attr(name)}" value="${attr(String(value))}"/>`),
    '    </properties>',
    ...cases.map((c) => `    ${c}`),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** `routing ci_lower >= 0.8`: the threshold as written in the suite. */
export function thresholdName(t: ThresholdResult): string {
  return `${t.metric} ${t.stat} ${t.op} ${t.threshold}`;
}

/** Escapes text for XML element content, replacing the characters XML 1.0 forbids. */
export function escapeXmlText(value: string): string {
  return replaceIllegalXmlChars(value).replace(/[&<>]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;',
  );
}

/**
 * Escapes text for a double-quoted XML attribute. Tabs and line breaks become character references, as a
 * parser would otherwise turn them into spaces.
 */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const attr = escapeXmlAttribute;
const text = escapeXmlText;

function testcase(classname: string, name: string, children: string[]): string {
  return `<testcase classname="${attr(classname)}" name="${attr(name)}" time="0">${children.join('')}</testcase>`;
}

function systemOut(content: string): string {
  return `<system-out>${text(content)}</system-out>`;
}

/** One line per fact: the value with its interval, counts, guardrail bound and judge agreement. */
function describeMetric(m: MetricSummary): string {
  const format = m.kind === 'mean' ? formatDecimal : formatPercent;
  const lines: string[] = [];
  const value = m.value === null ? 'no value' : format(m.value);
  const interval = m.interval
    ? `, ${Math.round(m.interval.level * 1000) / 10}% ${m.interval.method} interval ${formatRange(m.interval.lower, m.interval.upper, format)}`
    : '';
  lines.push(`${m.name} (${m.kind}, scorer ${m.scorer}) = ${value}${m.value === null ? '' : interval}`);
  lines.push(
    `value=${m.value ?? 'null'} ci_lower=${m.interval?.lower ?? 'null'} ci_upper=${m.interval?.upper ?? 'null'}`,
  );
  const counts = [`n=${m.n}`];
  if (m.passed !== null) {
    counts.push(`passed=${m.passed}`);
  }
  if (m.failed !== null) {
    counts.push(`failed=${m.failed}`);
  }
  counts.push(`unscored=${m.unscored}`, `errored=${m.errored}`);
  lines.push(counts.join(' '));
  if (m.upper95 !== null) {
    lines.push(`upper95=${m.upper95} (${format(m.upper95)}, one-sided upper 95% bound of the failure rate)`);
  }
  for (const g of m.groups) {
    if (g.maxGap) {
      lines.push(
        `max_group_gap[${g.key}]=${g.maxGap.value} between ${g.maxGap.between[0]} and ${g.maxGap.between[1]} (interval ${g.maxGap.interval.lower} to ${g.maxGap.interval.upper})`,
      );
    }
  }
  if (m.agreement) {
    lines.push(`judge agreement: alpha=${m.agreement.alpha ?? 'null'} judges=${m.agreement.judges}`);
  }
  return lines.join('\n');
}

function durationSeconds(startedAt: string, completedAt: string | null): string {
  const start = Date.parse(startedAt);
  const end = completedAt === null ? Number.NaN : Date.parse(completedAt);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) {
    return '0';
  }
  return ((end - start) / 1000).toFixed(3);
}

/** JUnit's schema wants `YYYY-MM-DDTHH:MM:SS` without a zone; stored times are UTC. */
function junitTimestamp(iso: string): string | null {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t).toISOString().slice(0, 19);
}
