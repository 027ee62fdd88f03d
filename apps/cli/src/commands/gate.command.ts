import { GATE_TARGETS } from '@gatehouse/domain';
import Table from 'cli-table3';
import { type Command } from 'commander';
import { CliError, EXIT } from '../cli-errors';
import { describeProblem, type Problem, RemoteServer } from '../remote';

interface RuleVerdict {
  index: number;
  title: string;
  verdict: 'pass' | 'fail' | 'missing';
  reason: string;
  runId: string | null;
  rule: {
    kind: string;
    suite?: string;
    version?: number;
    minVersion?: number;
    requirement?: string;
    measure?: string;
  };
}

/** The server's GateEvaluation (POST /v1/ai-use-cases/{id}/gate-evaluations), as far as the CLI reads it. */
interface Evaluation {
  id: string;
  aiUseCaseId: string;
  kind: string;
  from: string;
  to: string;
  verdict: 'pass' | 'fail';
  rules: RuleVerdict[];
  policy: { id: string; version: number };
  runsUsed: { id: string; suite: string; version: number; startedBy: string; suiteAuthorId: string }[];
  riskTier: string;
  hash: string;
  evaluatedAt: string;
  createdBy: string;
  approvals: {
    required: number;
    state: 'pending' | 'approved' | 'rejected';
    decisions: { approverId: string; approverName: string; decision: string; reason: string }[];
  };
  standing?: { current: boolean; voidedBecause: string | null };
}

interface GateOptions {
  to: string;
  url?: string;
  token?: string;
  json?: boolean;
}

const LABEL = { pass: 'PASS', fail: 'FAIL', missing: 'MISSING' } as const;
const RUN_KINDS = new Set(['suite_passed', 'metric', 'no_regression', 'unscored_max']);

/** Where each evidence requirement lives in the AI use case record (PATCH /v1/ai-use-cases/{id}). */
const RECORD_FIELD: Record<string, string> = {
  success_criteria_defined: 'benefits.successCriteria',
  risks_recorded: 'risks (description, likelihood, impact, mitigation)',
  dpia_approved: 'impactAssessments: kind dpia, status approved',
  eqia_completed: 'impactAssessments: kind eqia, status completed or approved',
  security_review_completed: 'impactAssessments: kind security, status completed or approved',
  accessibility_review_completed: 'impactAssessments: kind accessibility, status completed or approved',
  human_oversight_described: 'decision.humanInvolvement',
  kill_switch_described: 'operations.killSwitch',
  monitoring_described: 'operations.monitoring',
  incident_process_described: 'operations.incidentProcess',
};

/**
 * Asks the server for a gate evaluation now (the owning team's token, or an admin's). The server answers 201
 * with a new evaluation, or 200 with the standing one when nothing the gate reads has changed since it
 * (`created: false`): re-checking in CI keeps the reviewers' approvals.
 */
async function evaluate(
  useCase: string,
  options: GateOptions,
): Promise<{ evaluation: Evaluation; created: boolean; server: RemoteServer }> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(useCase)) {
    throw new CliError(`"${useCase}" is not an AI use case id (a UUID)`);
  }
  if (!(GATE_TARGETS as readonly string[]).includes(options.to)) {
    throw new CliError(`--to must be ${GATE_TARGETS.join(', ')}, not "${options.to}"`);
  }
  const server = new RemoteServer(options);
  const response = await server.call<Evaluation>('POST', `/v1/ai-use-cases/${useCase}/gate-evaluations`, {
    to: options.to,
  });
  if (response.status >= 400) {
    const problem = response.body as Problem & { rule?: string };
    throw new CliError(
      `${server.url} refused the gate evaluation (HTTP ${response.status}${problem.rule ? `, ${problem.rule}` : ''}): ${describeProblem(problem)}`,
      EXIT.error,
    );
  }
  return { evaluation: response.body as Evaluation, created: response.status === 201, server };
}

function approvalsLine(evaluation: Evaluation): string {
  const { required, state, decisions } = evaluation.approvals;
  const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId));
  return `${approvers.size} of ${required} approvals (${state})`;
}

/**
 * The rule table (rule, verdict, reason), then the overall verdict, approvals, hash and evaluation id, and
 * whether this is a new evaluation or the standing one.
 */
export function ruleTable(evaluation: Evaluation, created: boolean): string {
  const wrap = process.stdout.isTTY === true && (process.stdout.columns ?? 0) >= 80;
  const table = new Table({
    head: ['rule', 'verdict', 'reason'],
    // Plain text everywhere (no ANSI colours): CI logs, pipes and NO_COLOR terminals read the same.
    style: { head: [], border: [] },
    // On a terminal the reason wraps to fit; in a CI log every row stays on one line (greppable).
    ...(wrap
      ? {
          colWidths: [
            Math.floor((process.stdout.columns - 20) * 0.45),
            9,
            Math.ceil((process.stdout.columns - 20) * 0.55),
          ],
          wordWrap: true,
        }
      : {}),
  });
  for (const rule of evaluation.rules) {
    table.push([rule.title, LABEL[rule.verdict], rule.reason]);
  }
  const passing = evaluation.rules.filter((rule) => rule.verdict === 'pass').length;
  const verdict = evaluation.verdict === 'pass' ? 'PASS' : 'FAIL';
  const lines = [
    `gate ${evaluation.from} → ${evaluation.to} (${evaluation.kind}) for ${evaluation.aiUseCaseId}, risk tier ${evaluation.riskTier}, policy v${evaluation.policy.version}`,
    table.toString(),
    `verdict:    ${verdict} (${passing} of ${evaluation.rules.length} rules pass)`,
    `approvals:  ${approvalsLine(evaluation)}`,
    `hash:       ${evaluation.hash}`,
    `evaluation: ${evaluation.id} (${created ? 'new' : `unchanged since ${evaluation.evaluatedAt}: nothing the gate reads has changed, so this evaluation and its decisions stand`})`,
  ];
  if (evaluation.standing && !evaluation.standing.current) {
    lines.push(`no longer current: ${evaluation.standing.voidedBecause ?? 'superseded'}`);
  }
  return lines.join('\n');
}

/** The newest version of a suite on the server within a rule's constraint, or null. */
async function latestSuiteVersion(
  server: RemoteServer,
  suite: string,
  minVersion = 1,
): Promise<number | null> {
  const response = await server.call<{ items: { version: number }[] }>(
    'GET',
    `/v1/suites?${new URLSearchParams({ name: suite, limit: '200' })}`,
  );
  if (response.status >= 400) {
    return null;
  }
  const versions = (response.body as { items?: { version: number }[] }).items?.map((s) => s.version) ?? [];
  const usable = versions.filter((v) => v >= minVersion);
  return usable.length > 0 ? Math.max(...usable) : null;
}

/** What is not passing and how to get it, grouped by what the team has to do. */
export async function explanation(evaluation: Evaluation, server: RemoteServer): Promise<string> {
  const id = evaluation.aiUseCaseId;
  const open = evaluation.rules.filter((rule) => rule.verdict !== 'pass');
  const lines = [
    `gate ${evaluation.from} → ${evaluation.to} for ${id}: ${evaluation.verdict.toUpperCase()}, ${open.length} of ${evaluation.rules.length} rules not passing`,
  ];
  const item = (rule: RuleVerdict) => `  - ${LABEL[rule.verdict]} ${rule.title}: ${rule.reason}`;

  const runs = open.filter((rule) => RUN_KINDS.has(rule.rule.kind) && rule.rule.suite);
  if (runs.length > 0) {
    lines.push('', 'Runs to start:');
    if (runs.some((rule) => rule.reason.includes('no registered target'))) {
      lines.push(
        `  first register the system under test: PUT ${server.url}/v1/ai-use-cases/${id}/target {"target": …}`,
      );
    }
    for (const suite of [...new Set(runs.map((rule) => rule.rule.suite as string))]) {
      const rules = runs.filter((rule) => rule.rule.suite === suite);
      lines.push(`  suite ${suite}`);
      for (const rule of rules) {
        lines.push(`  ${item(rule)}`);
      }
      const pinned = rules.find((rule) => rule.rule.version !== undefined)?.rule.version;
      const minVersion = Math.max(1, ...rules.map((rule) => rule.rule.minVersion ?? 1));
      const version =
        pinned ??
        (await latestSuiteVersion(server, suite, minVersion)) ??
        evaluation.runsUsed.find((run) => run.suite === suite)?.version;
      const again = evaluation.runsUsed.some((run) => run.suite === suite);
      lines.push(
        `    ${again ? 'after changing what failed, run it again' : 'run it'}: gatehouse runs start ${suite}@${version ?? '<version>'} --ai-use-case ${id} --wait`,
      );
      if (version === undefined) {
        lines.push(`    (${suite} is not on ${server.url}: \`gatehouse push\` it first)`);
      }
    }
  }

  const evidence = open.filter((rule) => rule.rule.kind === 'evidence');
  if (evidence.length > 0) {
    lines.push('', 'Record evidence to add:');
    for (const rule of evidence) {
      lines.push(item(rule));
      const requirement = rule.rule.requirement ?? '';
      lines.push(
        requirement === 'transparency_record_published'
          ? `      publish it: POST ${server.url}/v1/ai-use-cases/${id}/transparency-record`
          : `      record field: ${RECORD_FIELD[requirement] ?? requirement} (PATCH ${server.url}/v1/ai-use-cases/${id}, or the use case page)`,
      );
    }
  }

  const pilot = open.filter((rule) => rule.rule.kind === 'pilot_metric');
  if (pilot.length > 0) {
    lines.push('', 'Pilot data:');
    for (const rule of pilot) {
      lines.push(item(rule));
    }
    lines.push(
      `      record what the pilot showed: POST ${server.url}/v1/ai-use-cases/${id}/pilot-observations {periodStart, periodEnd, cases, overrides, undone, complaints, incidents}`,
    );
  }

  const other = open.filter(
    (rule) => !runs.includes(rule) && !evidence.includes(rule) && !pilot.includes(rule),
  );
  if (other.length > 0) {
    lines.push('', 'Other rules:', ...other.map(item));
  }

  if (evaluation.verdict === 'pass') {
    lines.push('', ...approvalsAdvice(evaluation, server.url));
  } else {
    lines.push(
      '',
      `Approvals: none can be given until every rule passes (${evaluation.approvals.required} needed after that).`,
    );
  }
  return lines.join('\n');
}

function approvalsAdvice(evaluation: Evaluation, url: string): string[] {
  const { required, state, decisions } = evaluation.approvals;
  if (state === 'rejected') {
    const rejection = decisions.find((d) => d.decision === 'reject');
    return [
      `Approvals: rejected${rejection ? ` by ${rejection.approverName}: "${rejection.reason}"` : ''}.`,
      '  Address it by changing the record, the target, the runs or the pilot data, then check again:',
      '  without a change, checking again returns this rejected evaluation.',
    ];
  }
  if (state === 'approved') {
    return [
      `Approvals: ${approvalsLine(evaluation)}. The owning team can promote to ${evaluation.to}:`,
      `  POST ${url}/v1/ai-use-cases/${evaluation.aiUseCaseId}/promotions {"evaluationId": "${evaluation.id}"}`,
    ];
  }
  const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approverId));
  const starters = [...new Set(evaluation.runsUsed.map((run) => run.startedBy))];
  // Suites imported at start are authored by "system", which approves nothing.
  const authors = [...new Set(evaluation.runsUsed.map((run) => run.suiteAuthorId))].filter(
    (author) => author !== 'system',
  );
  const users = (ids: string[]) => (ids.length > 0 ? ` (user ${ids.join(', user ')})` : '');
  return [
    `Approvals still needed: ${required - approvers.size} more (${approvers.size} of ${required} approvals so far).`,
    '  Who may approve: an assurance reviewer (role reviewer) outside the owning team who',
    `    - did not ask for this evaluation (you, user ${evaluation.createdBy}),`,
    `    - did not start a run it uses${users(starters)},`,
    `    - did not author a suite it uses${users(authors)}.`,
    `  They read the evaluation and approve it: POST ${url}/v1/gate-evaluations/${evaluation.id}/approvals`,
    `    {"decision": "approve", "reason": "…", "evaluationHash": "${evaluation.hash}"}`,
  ];
}

const withGateOptions = (command: Command) =>
  command
    .argument('<use-case-id>', 'the AI use case id')
    .requiredOption('--to <stage>', `the stage the gate leads to: ${GATE_TARGETS.join(', ')}`)
    .option('--url <url>', 'the server (default GATEHOUSE_URL or http://localhost:3000)')
    .option('--token <token>', 'an API token of the owning team or an admin (default GATEHOUSE_TOKEN)')
    .option('--json', 'print the evaluation as JSON');

/** `gatehouse gate check|explain`: a gate evaluation on the server, for CI (exit 0 pass, 1 fail, 2 error). */
export function registerGateCommands(program: Command): void {
  const gate = program.command('gate').description('stage gates on a Gatehouse server (for CI)');
  withGateOptions(
    gate
      .command('check')
      .description('evaluate the gate now and print the rule table; exit 0 pass, 1 fail, 2 error'),
  ).action(async (useCase: string, options: GateOptions) => {
    const { evaluation, created } = await evaluate(useCase, options);
    process.stdout.write(
      options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : `${ruleTable(evaluation, created)}\n`,
    );
    process.exitCode = evaluation.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  });
  withGateOptions(
    gate
      .command('explain')
      .description(
        'evaluate the gate now and print what is not passing and how to get it; exit 0 pass, 1 fail, 2 error',
      ),
  ).action(async (useCase: string, options: GateOptions) => {
    const { evaluation, server } = await evaluate(useCase, options);
    process.stdout.write(
      options.json
        ? `${JSON.stringify(evaluation, null, 2)}\n`
        : `${await explanation(evaluation, server)}\n`,
    );
    process.exitCode = evaluation.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  });
}
