import { loadConfig } from '@gatehouse/config';
import {
  comparePairedPassFail,
  comparePairedScores,
  type Interval,
  redactSecretText,
} from '@gatehouse/domain';
import {
  createScorers,
  createTarget,
  DEFAULT_RETRY_POLICY,
  DEFAULT_FAIL_FAST_AFTER,
  EvalsError,
  FailFast,
  judgeRecordingFor,
  modelUnderTest,
  type ItemRecord,
  loadSuiteFile,
  openFrozenDataset,
  parseDatasetRef,
  RecordingTarget,
  renderHtmlReport,
  renderJunitReport,
  type RunReport,
  runEvaluation,
} from '@gatehouse/evals';
import { SingleBar } from 'cli-progress';
import { type Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, EXIT } from '../cli-errors';
import { evalsRoot } from '../evals-root';
import { errorLines, percent, retryLine, summaryTable, thresholdLines } from '../format';
import { gitCommit, packageVersion } from '../provenance';

/** Per-item verdicts written into the JSON report, so two reports can be compared item by item. */
export interface ReportItem {
  id: string;
  epoch: number;
  status: ItemRecord['status'];
  error?: string;
  scores: Record<string, { passed: boolean | null; value: number | null }>;
}

export type JsonReport = RunReport & { items: ReportItem[] };

interface RunOptions {
  out?: string;
  junit?: string;
  html?: string;
  record?: boolean;
  concurrency?: string;
  failFast?: string;
  evalsDir?: string;
  progress?: boolean;
}

export function registerEvalCommands(program: Command): void {
  const evalCommand = program.command('eval').description('run evaluation suites locally and compare runs');
  evalCommand
    .command('run')
    .description(
      'run a suite: progress bar, summary table, reports; exit 0 passed, 1 thresholds failed, 2 errors or bad input',
    )
    .argument('<suite>', 'the suite file (YAML or JSON)')
    .option('--out <file>', 'write the report as JSON (with per-item verdicts, for `eval compare`)')
    .option('--junit <file>', 'write the thresholds as JUnit XML for CI')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--record', 'call the replay target’s recordFrom live target and (re)write its cassette')
    .option('--concurrency <n>', 'items in flight (default: the suite’s)')
    .option(
      '--fail-fast <n>',
      `stop (exit 2) when the first n items all fail the same way that retrying cannot fix (401, 403, 404, connection refused, name not resolved); 0 never stops (default ${DEFAULT_FAIL_FAST_AFTER})`,
    )
    .option(
      '--evals-dir <dir>',
      'where datasets/ and cassettes/ are (default: next to suites/, else ./evals)',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (suiteFile: string, options: RunOptions) => {
      process.exitCode = await runSuite(suiteFile, options);
    });
  evalCommand
    .command('compare')
    .description(
      'paired comparison of two JSON reports of the same dataset (McNemar exact, paired bootstrap)',
    )
    .argument('<baseline>', 'report A (the baseline), from `eval run --out`')
    .argument('<candidate>', 'report B (the candidate)')
    .option('--alpha <alpha>', 'significance level', '0.05')
    .action((a: string, b: string, options: { alpha: string }) => {
      process.exitCode = compareReports(a, b, Number(options.alpha));
    });
}

async function runSuite(suiteFile: string, options: RunOptions): Promise<number> {
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  if (
    concurrency !== undefined &&
    (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
  ) {
    throw new CliError('--concurrency must be a whole number from 1 to 1000');
  }
  const failFastAfter = options.failFast === undefined ? DEFAULT_FAIL_FAST_AFTER : Number(options.failFast);
  if (!Number.isInteger(failFastAfter) || failFastAfter < 0) {
    throw new CliError('--fail-fast must be a whole number (0 never stops)');
  }
  const config = loadConfig();
  const suite = await loadSuiteFile(suiteFile);
  if (options.record && suite.definition.target.type !== 'replay') {
    throw new CliError(
      `--record records a replay target's cassette from its recordFrom; this suite's target is ${suite.definition.target.type}: drop --record, or make the target { type: replay, cassette: …, recordFrom: <this target> }`,
    );
  }
  const root = evalsRoot(options.evalsDir, suiteFile);
  const { name, version } = parseDatasetRef(suite.definition.dataset);
  const dataset = await openFrozenDataset(`${root}/datasets`, name, version);
  const targetContext = {
    env: config.evalEnvironment,
    baseDir: dirname(resolve(suiteFile)),
    cassetteDir: `${root}/cassettes`,
    onUnverifiedCassette: (cassette: string) =>
      process.stderr.write(
        `Unverified: cassette ${cassette} does not record the configuration it was recorded from (recorded before Gatehouse wrote meta lines); re-record it with \`gatehouse eval run --record\` so a changed recordFrom is caught.\n`,
      ),
  };
  const target = await createTarget(suite.definition.target, targetContext, { record: options.record });
  const retryPolicy = { ...DEFAULT_RETRY_POLICY, timeoutMs: suite.definition.limits.timeoutMs };
  const scorers = await createScorers(suite.definition.scorers, {
    targetContext,
    targetFingerprint: modelUnderTest(suite.definition.target),
    retryPolicy,
    judgeRecording: judgeRecordingFor(
      suite.definition.target,
      targetContext.cassetteDir,
      options.record === true,
    ),
  });

  const controller = new AbortController();
  const onInterrupt = () => {
    process.stderr.write('\nStopping: in-flight calls are cancelled, the report covers what finished.\n');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);
  const items: ReportItem[] = [];
  const showBar = options.progress !== false && process.stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar({
        format: '{bar} {value}/{total} items | {rate} items/s | ETA {eta_formatted} | errored {errored}',
        barCompleteChar: '█',
        barIncompleteChar: '░',
        stream: process.stderr,
        hideCursor: true,
      })
    : null;
  const total =
    dataset.manifest.count *
    (typeof suite.definition.epochs === 'number' ? suite.definition.epochs : suite.definition.epochs.count);
  bar?.start(total, 0, { rate: '0', errored: 0 });
  let lastLine = 0;
  process.stderr.write(
    `Running ${suite.definition.name}@${suite.definition.version} on ${dataset.manifest.name}@${dataset.manifest.version} (${total} calls) against ${target.description}\n`,
  );
  let report: RunReport;
  try {
    report = await runEvaluation({
      suite,
      dataset,
      target,
      scorers,
      retryPolicy,
      concurrency,
      signal: controller.signal,
      failFast: new FailFast({ after: failFastAfter, total }),
      manifest: {
        runId: randomUUID(),
        packageVersion: packageVersion(),
        gitCommit: gitCommit(process.cwd()),
        engine: 'cli',
      },
      onRecord: options.out
        ? (record) =>
            items.push({
              id: record.itemId,
              epoch: record.epoch,
              status: record.status,
              ...(record.error
                ? { error: `${record.error.kind}: ${redactSecretText(record.error.message)}` }
                : {}),
              scores: Object.fromEntries(
                Object.entries(record.scores).map(([metric, s]) => [
                  metric,
                  { passed: s.passed, value: s.value },
                ]),
              ),
            })
        : undefined,
      onProgress: ({ done, errored, elapsed }) => {
        const rate = elapsed > 0 ? (done / elapsed).toFixed(1) : '0';
        if (bar) {
          bar.update(done, { rate, errored });
        } else if (
          options.progress !== false &&
          (done === total || done - lastLine >= Math.max(1, Math.ceil(total / 10)))
        ) {
          lastLine = done;
          process.stderr.write(`  ${done}/${total} items, ${rate} items/s, ${errored} errored\n`);
        }
      },
    });
  } finally {
    bar?.stop();
    process.off('SIGINT', onInterrupt);
  }
  if (target instanceof RecordingTarget) {
    process.stderr.write(`Recorded ${target.size} responses.\n`);
  }
  const color = process.stdout.isTTY === true;
  process.stdout.write(`\n${summaryTable(report, color)}\n`);
  const s = report.summary;
  process.stdout.write(
    `\n${s.items.total} items (${s.items.scored} scored, ${s.items.errored} errored${
      Object.keys(s.operational.errorsByKind).length
        ? `: ${Object.entries(s.operational.errorsByKind)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}`
        : ''
    }); ` +
      `provider latency p50 ${ms(s.operational.providerLatencyMs.p50)}, p99 ${ms(s.operational.providerLatencyMs.p99)}; ${retryLine(report)}; ` +
      `${s.operational.inputTokens + s.operational.outputTokens} tokens${s.operational.costUsd !== null ? `, $${s.operational.costUsd.toFixed(4)}` : ''}\n`,
  );
  for (const line of errorLines(report)) {
    process.stdout.write(`${line}\n`);
  }
  if (s.weightedScore !== null) {
    process.stdout.write(`Weighted score (scorer weights, guardrails apart): ${percent(s.weightedScore)}\n`);
  }
  for (const line of thresholdLines(report)) {
    process.stdout.write(`${line}\n`);
  }
  process.stdout.write(`\nOutcome: ${report.outcome.toUpperCase()}\n`);
  if (options.out) {
    writeAtomically(options.out, `${JSON.stringify({ ...report, items } satisfies JsonReport, null, 2)}\n`);
  }
  if (options.junit) {
    writeAtomically(options.junit, renderJunitReport(report));
  }
  if (options.html) {
    writeAtomically(options.html, renderHtmlReport(report));
  }
  if (report.stopped) {
    process.stderr.write(`gatehouse: ${report.stopped}\n  target: ${target.description}\n`);
  }
  return report.outcome === 'passed' ? EXIT.ok : report.outcome === 'failed' ? EXIT.failed : EXIT.error;
}

function ms(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} ms`;
}

/** Reports appear whole or not at all. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, text);
  renameSync(staging, file);
  process.stderr.write(`Wrote ${file}\n`);
}

function readReport(file: string): JsonReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EvalsError(`is not a JSON report (${(error as Error).message})`, { file });
  }
  const report = parsed as Partial<JsonReport>;
  if (!report.manifest || !report.summary || !Array.isArray(report.items)) {
    throw new EvalsError(
      'is not a report written by `gatehouse eval run --out` (it needs manifest, summary and items)',
      { file },
    );
  }
  return report as JsonReport;
}

/** Per item, the mean of its epochs' verdicts for a metric (1/0 per epoch). */
function byItem(report: JsonReport, metric: string): Map<string, { passed: number; value: number }> {
  const sums = new Map<string, { passed: number; value: number; n: number }>();
  for (const item of report.items) {
    const score = item.scores[metric];
    if (!score || score.passed === null) {
      continue;
    }
    const entry = sums.get(item.id) ?? { passed: 0, value: 0, n: 0 };
    entry.passed += score.passed ? 1 : 0;
    entry.value += score.value ?? 0;
    entry.n += 1;
    sums.set(item.id, entry);
  }
  return new Map([...sums].map(([id, e]) => [id, { passed: e.passed / e.n, value: e.value / e.n }]));
}

const signed = (value: number | null) =>
  value === null ? '–' : `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} pts`;
const range = (interval: Interval | null) =>
  interval ? `${signed(interval.lower)} to ${signed(interval.upper)}` : '–';

function compareReports(fileA: string, fileB: string, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) {
    throw new CliError('--alpha must be between 0 and 1');
  }
  const a = readReport(fileA);
  const b = readReport(fileB);
  if (a.manifest.dataset.hash !== b.manifest.dataset.hash) {
    throw new CliError(
      `the runs used different datasets (${a.manifest.dataset.name}@${a.manifest.dataset.version} and ${b.manifest.dataset.name}@${b.manifest.dataset.version}); a paired comparison needs the same items`,
    );
  }
  const seed = 1;
  let regression = false;
  process.stdout.write(
    `A: ${a.manifest.suite.name}@${a.manifest.suite.version}, ${a.manifest.target.description}\nB: ${b.manifest.suite.name}@${b.manifest.suite.version}, ${b.manifest.target.description}\n\n`,
  );
  for (const metricA of a.summary.metrics) {
    const metricB = b.summary.metrics.find((m) => m.name === metricA.name);
    if (!metricB) {
      continue;
    }
    const itemsA = byItem(a, metricA.name);
    const itemsB = byItem(b, metricA.name);
    const ids = [...itemsA.keys()].filter((id) => itemsB.has(id));
    const binary = ids.every(
      (id) => [0, 1].includes(itemsA.get(id)?.passed ?? -1) && [0, 1].includes(itemsB.get(id)?.passed ?? -1),
    );
    // Guardrails are compared on their pass rates too: a drop in passing is a rise in failures.
    if (binary && metricA.kind !== 'mean') {
      const result = comparePairedPassFail(
        ids.map((id) => ({ a: itemsA.get(id)?.passed === 1, b: itemsB.get(id)?.passed === 1 })),
        { seed },
      );
      const worse = result.pValue < alpha && (result.difference ?? 0) < 0;
      regression ||= worse;
      process.stdout.write(
        `${metricA.name}: pass rate ${percent(result.aRate)} → ${percent(result.bRate)} (${signed(result.difference)}, 95% CI ${range(result.interval)}); ` +
          `${result.onlyA} items pass only in A, ${result.onlyB} only in B; McNemar exact p = ${result.pValue.toFixed(4)} over ${result.n} paired items` +
          `${result.pValue < alpha ? ((result.difference ?? 0) < 0 ? ' — B is significantly WORSE' : ' — B is significantly better') : ' — no significant difference'}\n`,
      );
    } else {
      const result = comparePairedScores(
        ids.map((id) => ({ a: itemsA.get(id)?.value ?? 0, b: itemsB.get(id)?.value ?? 0 })),
        { seed },
      );
      const worse = result.pValue < alpha && (result.difference ?? 0) < 0;
      regression ||= worse;
      process.stdout.write(
        `${metricA.name}: mean ${result.meanA?.toFixed(3) ?? '–'} → ${result.meanB?.toFixed(3) ?? '–'} (difference ${result.difference?.toFixed(3) ?? '–'}, 95% CI ${result.interval ? `${result.interval.lower.toFixed(3)} to ${result.interval.upper.toFixed(3)}` : '–'}); ` +
          `paired bootstrap p = ${result.pValue.toFixed(4)} over ${result.n} paired items${result.pValue < alpha ? ((result.difference ?? 0) < 0 ? ' — B is significantly WORSE' : ' — B is significantly better') : ' — no significant difference'}\n`,
      );
    }
  }
  return regression ? EXIT.failed : EXIT.ok;
}
