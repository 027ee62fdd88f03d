import { type Command } from 'commander';
import { CliError, EXIT } from '../cli-errors';
import { describeProblem, type Problem, RemoteServer } from '../remote';

interface RemoteRun {
  id: string;
  status: string;
  suite: { name: string; version: number };
  progress: { total: number; completed: number; failed: number; errored: number };
  outcome: string | null;
  error: string | null;
  rateLimits?: { pauses: number; waitedSeconds: number };
  report: {
    partial: boolean;
    summary: {
      metrics: {
        name: string;
        value: number | null;
        interval: { lower: number; upper: number } | null;
        n: number;
        guardrail: boolean;
        upper95: number | null;
      }[];
    };
    thresholds: { passed: boolean; reason: string }[];
  } | null;
}

interface ServerOptions {
  url?: string;
  token?: string;
}

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);
const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;

/**
 * What `runs start --wait` exits with: 0 passed; 1 the evidence says no (a threshold failed); 2 the run
 * could not give evidence (it failed with a reason, or too many items errored), so CI never reads an
 * outage or a wrong key as the model failing.
 */
export function waitedExitCode(run: Pick<RemoteRun, 'status' | 'outcome'>): number {
  if (run.status === 'failed' || run.outcome === 'errored') {
    return EXIT.error;
  }
  return run.outcome === 'passed' ? EXIT.ok : EXIT.failed;
}

function describeRun(run: RemoteRun): string {
  const { total, completed, failed, errored } = run.progress;
  const lines = [
    `run ${run.id}  ${run.suite.name}@${run.suite.version}  ${run.status}${run.outcome ? ` (${run.outcome})` : ''}`,
  ];
  lines.push(`  items ${completed}/${total} done, ${failed} failed a scorer, ${errored} errored`);
  if (run.rateLimits?.pauses) {
    lines.push(
      `  rate limited: ${run.rateLimits.pauses} pause(s) (429), ${run.rateLimits.waitedSeconds} s of waiting asked for`,
    );
  }
  if (run.error) {
    lines.push(`  error: ${run.error}`);
  }
  for (const metric of run.report?.summary.metrics ?? []) {
    const spread = metric.guardrail
      ? `≤ ${percent(metric.upper95)} (upper 95%)`
      : metric.interval
        ? `${percent(metric.interval.lower)} – ${percent(metric.interval.upper)}`
        : '';
    lines.push(`  ${metric.name.padEnd(28)} ${percent(metric.value).padStart(6)}  ${spread}  n=${metric.n}`);
  }
  for (const threshold of run.report?.thresholds ?? []) {
    lines.push(`  ${threshold.passed ? 'PASS' : 'FAIL'}  ${threshold.reason}`);
  }
  if (run.report?.partial) {
    lines.push('  (partial: the run was cancelled; figures cover the items that finished)');
  }
  return lines.join('\n');
}

function expectOk<T>(response: { status: number; body: T | Problem }, what: string): T {
  if (response.status >= 400) {
    throw new CliError(`${what}: ${describeProblem(response.body as Problem)}`, EXIT.error);
  }
  return response.body as T;
}

const withServer = (command: Command) =>
  command
    .option('--url <url>', 'the server (default GATEHOUSE_URL or http://localhost:3000)')
    .option('--token <token>', 'an API token (default GATEHOUSE_TOKEN; prefer the variable)');

/** `gatehouse runs …`: evaluation runs on a server's queue workers (local runs are `gatehouse eval run`). */
export function registerRunCommands(program: Command): void {
  const runs = program
    .command('runs')
    .description('evaluation runs on a Gatehouse server (run locally with `eval run`)');
  withServer(
    runs
      .command('start')
      .description('start a suite version on the server; with --wait, follow it and exit 0 passed, 1 failed')
      .argument('<suite>', 'name@version of a suite on the server (see `gatehouse push`)')
      .option('--ai-use-case <id>', 'the AI use case the run is evidence for')
      .option('--baseline <id>', 'a run on the same dataset to compare against')
      .option('--wait', 'follow the run until it ends')
      .option('--json', 'print the run as JSON'),
  ).action(
    async (
      suite: string,
      options: ServerOptions & { aiUseCase?: string; baseline?: string; wait?: boolean; json?: boolean },
    ) => {
      const server = new RemoteServer(options);
      let run = expectOk<RemoteRun>(
        await server.call('POST', '/v1/runs', {
          suite,
          aiUseCaseId: options.aiUseCase,
          baselineRunId: options.baseline,
        }),
        `${server.url} refused the run`,
      );
      if (!options.json) {
        process.stderr.write(
          `Started run ${run.id} (${run.progress.total} items): ${server.url}/v1/runs/${run.id}\n`,
        );
      }
      if (options.wait) {
        let last = '';
        while (!TERMINAL.has(run.status) || (run.report === null && run.status !== 'failed')) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          run = expectOk<RemoteRun>(await server.call('GET', `/v1/runs/${run.id}`), 'reading the run');
          const line = `${run.status} ${run.progress.completed}/${run.progress.total}`;
          if (line !== last && !options.json) {
            process.stderr.write(`  ${line}\n`);
            last = line;
          }
        }
      }
      process.stdout.write(options.json ? `${JSON.stringify(run, null, 2)}\n` : `${describeRun(run)}\n`);
      if (options.wait) {
        process.exitCode = waitedExitCode(run);
      }
    },
  );
  withServer(
    runs
      .command('show')
      .description('show a run: progress, metrics with intervals, thresholds')
      .argument('<id>')
      .option('--json'),
  ).action(async (id: string, options: ServerOptions & { json?: boolean }) => {
    const server = new RemoteServer(options);
    const run = expectOk<RemoteRun>(
      await server.call('GET', `/v1/runs/${encodeURIComponent(id)}`),
      `run ${id}`,
    );
    process.stdout.write(options.json ? `${JSON.stringify(run, null, 2)}\n` : `${describeRun(run)}\n`);
  });
  withServer(
    runs
      .command('cancel')
      .description('cancel a queued or running run (partial results are kept)')
      .argument('<id>')
      .option('--reason <text>'),
  ).action(async (id: string, options: ServerOptions & { reason?: string }) => {
    const server = new RemoteServer(options);
    const run = expectOk<RemoteRun>(
      await server.call(
        'POST',
        `/v1/runs/${encodeURIComponent(id)}/cancel`,
        options.reason ? { reason: options.reason } : {},
      ),
      `cancelling run ${id}`,
    );
    process.stdout.write(`${describeRun(run)}\n`);
  });
}
