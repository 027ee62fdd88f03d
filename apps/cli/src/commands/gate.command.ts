import { type Command } from 'commander';
import { CliError, EXIT } from '../cli-errors';
import { describeProblem, type Problem, RemoteServer } from '../remote';

interface RuleVerdict {
  title: string;
  verdict: 'pass' | 'fail' | 'missing';
  reason: string;
  runId: string | null;
  rule: { kind: string; suite?: string; version?: number; minVersion?: number; requirement?: string };
}

interface Evaluation {
  id: string;
  aiUseCaseId: string;
  kind: string;
  from: string;
  to: string;
  verdict: 'pass' | 'fail';
  rules: RuleVerdict[];
  policy: { version: number };
  runsUsed: { id: string; suite: string; version: number }[];
  riskTier: string;
  hash: string;
  approvals: {
    required: number;
    state: string;
    decisions: { approverName: string; decision: string; reason: string }[];
  };
}

interface GateOptions {
  to: string;
  url?: string;
  token?: string;
  json?: boolean;
}

const LABEL = { pass: 'PASS', fail: 'FAIL', missing: 'MISSING' } as const;

/** Asks the server for a gate evaluation now (the owning team's token, or an admin's). */
async function evaluate(
  useCase: string,
  options: GateOptions,
): Promise<{ evaluation: Evaluation; server: RemoteServer }> {
  if (!/^[0-9a-f-]{36}$/i.test(useCase)) {
    throw new CliError(`"${useCase}" is not an AI use case id (a UUID)`);
  }
  if (!/^(test|learn|scale)$/.test(options.to)) {
    throw new CliError(`--to must be test, learn or scale, not "${options.to}"`);
  }
  const server = new RemoteServer(options);
  const response = await server.call<Evaluation>('POST', `/v1/ai-use-cases/${useCase}/gate-evaluations`, {
    to: options.to,
  });
  if (response.status >= 400) {
    const problem = response.body as Problem & { rule?: string };
    throw new CliError(
      `${server.url} refused the gate evaluation${problem.rule ? ` (${problem.rule})` : ''}: ${describeProblem(problem)}`,
      EXIT.error,
    );
  }
  return { evaluation: response.body as Evaluation, server };
}

function approvalsLine(evaluation: Evaluation): string {
  const approved = evaluation.approvals.decisions.filter((d) => d.decision === 'approve').length;
  return `approvals: ${evaluation.approvals.state} (${approved} of ${evaluation.approvals.required})`;
}

/** The rule table: one line per rule, its verdict and the reason, then the overall verdict. */
export function ruleTable(evaluation: Evaluation, width = 60): string {
  const lines = [
    `gate ${evaluation.from} → ${evaluation.to} (${evaluation.kind}), risk tier ${evaluation.riskTier}, policy v${evaluation.policy.version}`,
  ];
  const titleWidth = Math.min(width, Math.max(...evaluation.rules.map((r) => r.title.length), 10));
  for (const rule of evaluation.rules) {
    const title = rule.title.length > titleWidth ? `${rule.title.slice(0, titleWidth - 1)}…` : rule.title;
    lines.push(`  ${LABEL[rule.verdict].padEnd(7)}  ${title.padEnd(titleWidth)}  ${rule.reason}`);
  }
  lines.push(`verdict: ${evaluation.verdict.toUpperCase()}   ${approvalsLine(evaluation)}`);
  lines.push(`evaluation ${evaluation.id}  sha256 ${evaluation.hash}`);
  return lines.join('\n');
}

/** What is not passing and how to get it, grouped by what the team has to do. */
export function explanation(evaluation: Evaluation): string {
  const open = evaluation.rules.filter((rule) => rule.verdict !== 'pass');
  const lines: string[] = [];
  const runs = open.filter((r) =>
    ['suite_passed', 'metric', 'no_regression', 'unscored_max'].includes(r.rule.kind),
  );
  const evidence = open.filter((r) => r.rule.kind === 'evidence');
  const pilot = open.filter((r) => r.rule.kind === 'pilot_metric');
  if (runs.length > 0) {
    lines.push('Evaluation runs:');
    for (const rule of runs) {
      lines.push(`  - ${rule.title}: ${rule.reason}`);
    }
    const suites = [...new Set(runs.map((r) => r.rule.suite).filter((s): s is string => !!s))];
    for (const suite of suites) {
      const rule = runs.find((r) => r.rule.suite === suite)?.rule;
      const used = evaluation.runsUsed.find((run) => run.suite === suite)?.version;
      const at = rule?.version ?? used ?? rule?.minVersion;
      lines.push(
        `    run it${used ? ' again (after changing what failed)' : ''}: gatehouse runs start ${suite}@${at ?? '<version>'} --ai-use-case ${evaluation.aiUseCaseId} --wait`,
      );
    }
  }
  if (evidence.length > 0) {
    lines.push('Record evidence (edit the AI use case record, or publish its transparency record):');
    for (const rule of evidence) {
      lines.push(`  - ${rule.reason}`);
    }
  }
  if (pilot.length > 0) {
    lines.push('Pilot evidence (POST /v1/ai-use-cases/{id}/pilot-observations while at learn):');
    for (const rule of pilot) {
      lines.push(`  - ${rule.title}: ${rule.reason}`);
    }
  }
  if (evaluation.verdict === 'pass') {
    if (evaluation.approvals.state === 'approved') {
      lines.push(
        `Every rule passes and the approvals are in: the service team can promote to ${evaluation.to}.`,
      );
    } else if (evaluation.approvals.state === 'rejected') {
      const rejection = evaluation.approvals.decisions.find((d) => d.decision === 'reject');
      lines.push(
        `A reviewer rejected it${rejection ? ` (${rejection.approverName}: "${rejection.reason}")` : ''}.`,
      );
    } else {
      lines.push(
        `Every rule passes. It needs ${evaluation.approvals.required} approval(s) from assurance reviewers outside the owning team who did not ask for this evaluation, start a run it uses or publish a suite it uses:`,
        `  evaluation ${evaluation.id}`,
      );
    }
  }
  return lines.join('\n');
}

const withServer = (command: Command) =>
  command
    .requiredOption('--to <stage>', 'the stage the gate leads to: test, learn or scale')
    .option('--url <url>', 'the server (default GATEHOUSE_URL or http://localhost:3000)')
    .option('--token <token>', 'an API token of the owning team (default GATEHOUSE_TOKEN)')
    .option('--json', 'print the evaluation as JSON');

/** `gatehouse gate check|explain`: a gate evaluation on the server, for CI (exit 0 pass, 1 fail, 2 error). */
export function registerGateCommands(program: Command): void {
  const gate = program.command('gate').description('stage gates on a Gatehouse server (for CI)');
  withServer(
    gate
      .command('check')
      .description('evaluate the gate now and print the rule table; exit 0 pass, 1 fail, 2 error')
      .argument('<use-case>', 'the AI use case id'),
  ).action(async (useCase: string, options: GateOptions) => {
    const { evaluation } = await evaluate(useCase, options);
    process.stdout.write(
      options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : `${ruleTable(evaluation)}\n`,
    );
    process.exitCode = evaluation.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  });
  withServer(
    gate
      .command('explain')
      .description('evaluate the gate now and print what is missing and how to get it')
      .argument('<use-case>', 'the AI use case id'),
  ).action(async (useCase: string, options: GateOptions) => {
    const { evaluation } = await evaluate(useCase, options);
    process.stdout.write(
      options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : `${explanation(evaluation)}\n`,
    );
    process.exitCode = evaluation.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  });
}
