import { type AiUseCaseRecord } from '../ai-use-cases/ai-use-case-record';
import { type RiskTier, type Stage } from '../ai-use-cases/stage';
import { compareStat, readMetricStat } from '../evaluation/metric-stat';
import { type MetricSummary, type RunSummary } from '../evaluation/run-summary';
import { contentHash } from '../hashing/canonical-json';
import { exactUpperBound } from '../statistics/proportions';
import {
  describeRule,
  type EvidenceRequirement,
  formatShare,
  type GateRule,
  type GateTarget,
  PREVIOUS_STAGE,
  requiredApprovals,
} from './gate-policy';

/** A completed run as gate evidence: what it ran, on what, who started it, and its stored summary. */
export interface RunEvidence {
  id: string;
  suite: { name: string; version: number; authorId: string };
  startedBy: string;
  /** `passed`, `failed` or `errored` (the run's own thresholds). */
  outcome: string;
  completedAt: string;
  /** Hash of the target configuration the run called. */
  targetHash: string;
  /** Hash of the run's summary: binds the evaluation to these exact results. */
  resultsHash: string;
  summary: RunSummary;
}

/** A paired comparison of a candidate run against a baseline, for one metric. */
export interface ComparisonEvidence {
  baselineRunId: string;
  candidateRunId: string;
  metric: string;
  difference: number | null;
  pValue: number;
  test: string;
}

/** Totals of the pilot observations recorded while at `learn`. */
export interface PilotEvidence {
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  /** Hash of the observations counted, so the evaluation is bound to them. */
  hash: string;
}

export interface GateInput {
  useCase: {
    id: string;
    revision: number;
    stage: Stage;
    tier: RiskTier;
    record: AiUseCaseRecord;
    /** Hash of the registered target configuration, or null when none is registered. */
    targetHash: string | null;
    transparencyPublished: boolean;
  };
  to: GateTarget;
  policy: { id: string; version: number; rules: GateRule[] };
  /** Every completed run linked to the use case. */
  runs: RunEvidence[];
  /** The run each suite used in the last approved promotion: the baseline for no-regression rules. */
  baselines: Record<string, string>;
  comparisons: ComparisonEvidence[];
  pilot: PilotEvidence | null;
  now: Date;
}

export type RuleOutcome = 'pass' | 'fail' | 'missing';

export interface RuleVerdict {
  index: number;
  rule: GateRule;
  title: string;
  verdict: RuleOutcome;
  /** Plain English: the numbers and why. */
  reason: string;
  actual: number | null;
  runId: string | null;
}

export interface GateVerdict {
  from: Stage;
  to: GateTarget;
  /** `pass` when every evidence rule passes; approvals are collected on the evaluation afterwards. */
  verdict: 'pass' | 'fail';
  rules: RuleVerdict[];
  runsUsed: {
    id: string;
    suite: string;
    version: number;
    resultsHash: string;
    startedBy: string;
    suiteAuthorId: string;
  }[];
  approvals: { count: number; role: 'reviewer' };
  /**
   * sha256 over everything the evaluation stands on: the policy version, the use case (its revision, which
   * every record, tier, target and stage change moves, and its target hash), the transition, the runs used
   * with the hash of their summaries, the pilot data, and each rule's verdict, number and run. Equal hashes
   * mean nothing the gate reads has changed, so the earlier evaluation (and its approvals) still stands.
   */
  hash: string;
}

const DAY_MS = 86_400_000;

/**
 * Evaluates a gate: every rule of the policy for the use case's tier and target stage against the
 * evidence, with a verdict (pass, fail, or missing evidence), the numbers and a reason each. Pure: the
 * same inputs give the same verdicts and hash, so a stored evaluation can be re-derived and checked.
 */
export function evaluateGate(input: GateInput): GateVerdict {
  const rules = input.policy.rules.filter((rule) => rule.kind !== 'approvals');
  const verdicts = rules.map((rule, index) => ({
    index,
    rule,
    title: describeRule(rule),
    ...judge(rule, input),
  }));
  const used = new Map<string, RunEvidence>();
  for (const verdict of verdicts) {
    const run = verdict.runId ? input.runs.find((r) => r.id === verdict.runId) : undefined;
    if (run) {
      used.set(run.id, run);
    }
  }
  const runsUsed = [...used.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((run) => ({
      id: run.id,
      suite: run.suite.name,
      version: run.suite.version,
      resultsHash: run.resultsHash,
      startedBy: run.startedBy,
      suiteAuthorId: run.suite.authorId,
    }));
  const verdict = verdicts.every((v) => v.verdict === 'pass') ? 'pass' : 'fail';
  const hash = contentHash({
    policy: { id: input.policy.id, version: input.policy.version },
    useCase: { id: input.useCase.id, revision: input.useCase.revision, targetHash: input.useCase.targetHash },
    to: input.to,
    runs: runsUsed.map((run) => ({ id: run.id, resultsHash: run.resultsHash })),
    pilot: input.pilot?.hash ?? null,
    verdict,
    rules: verdicts.map((v) => ({ index: v.index, verdict: v.verdict, actual: v.actual, runId: v.runId })),
  });
  return {
    from: PREVIOUS_STAGE[input.to],
    to: input.to,
    verdict,
    rules: verdicts,
    runsUsed,
    approvals: requiredApprovals(input.policy.rules),
    hash,
  };
}

type Judgement = Pick<RuleVerdict, 'verdict' | 'reason' | 'actual' | 'runId'>;

const judgement = (
  verdict: RuleOutcome,
  reason: string,
  actual: number | null = null,
  runId: string | null = null,
): Judgement => ({
  verdict,
  reason,
  actual,
  runId,
});

/**
 * The run a suite rule reads: the most recent completed run of the suite (within the version
 * constraint) against the use case's registered target.
 */
export function selectRun(
  input: GateInput,
  suite: string,
  version?: number,
  minVersion?: number,
): RunEvidence | string {
  if (input.useCase.targetHash === null) {
    return 'the use case has no registered target: register the system under test first';
  }
  const ofSuite = input.runs.filter(
    (run) =>
      run.suite.name === suite &&
      (version === undefined || run.suite.version === version) &&
      (minVersion === undefined || run.suite.version >= minVersion),
  );
  if (ofSuite.length === 0) {
    return `no completed run of ${suite}${version ? `@${version}` : minVersion ? `@${minVersion} or later` : ''} for this use case: start one`;
  }
  const onTarget = ofSuite.filter((run) => run.targetHash === input.useCase.targetHash);
  if (onTarget.length === 0) {
    return `${ofSuite.length} run(s) of ${suite}, but none against the registered target (its configuration changed since): run it again`;
  }
  return onTarget.reduce((latest, run) => (run.completedAt > latest.completedAt ? run : latest));
}

function metricOf(run: RunEvidence, name: string): MetricSummary | undefined {
  return run.summary.metrics.find((metric) => metric.name === name);
}

function judge(rule: GateRule, input: GateInput): Judgement {
  switch (rule.kind) {
    case 'suite_passed': {
      const run = selectRun(input, rule.suite, rule.version, rule.minVersion);
      if (typeof run === 'string') {
        return judgement('missing', run);
      }
      const ageDays = (input.now.getTime() - new Date(run.completedAt).getTime()) / DAY_MS;
      if (ageDays > rule.maxAgeDays) {
        // The number is whole days, so re-checking a stale run within a day gives the same verdict and hash
        // (the standing evaluation), and each further day of age a new one.
        return judgement(
          'fail',
          `the latest run is ${Math.floor(ageDays)} days old (at most ${rule.maxAgeDays}): run it again`,
          Math.floor(ageDays),
          run.id,
        );
      }
      if (run.outcome !== 'passed') {
        return judgement(
          'fail',
          `the latest run's thresholds ${run.outcome === 'errored' ? 'could not be judged (too many errored items)' : 'failed'}`,
          null,
          run.id,
        );
      }
      return judgement(
        'pass',
        `passed its thresholds ${Math.max(0, Math.floor(ageDays))} day(s) ago`,
        null,
        run.id,
      );
    }
    case 'metric': {
      const run = selectRun(input, rule.suite);
      if (typeof run === 'string') {
        return judgement('missing', run);
      }
      const metric = metricOf(run, rule.metric);
      if (!metric) {
        return judgement('missing', `the run has no metric ${rule.metric}`, null, run.id);
      }
      if (rule.minN !== undefined && metric.n < rule.minN) {
        return judgement(
          'missing',
          `only ${metric.n} scored items, fewer than the ${rule.minN} the policy requires: inconclusive, collect more data`,
          null,
          run.id,
        );
      }
      if (rule.stat.startsWith('max_group_gap')) {
        const small = smallGroups(metric, rule.minGroupSize ?? 0);
        if (metric.groups.length === 0) {
          return judgement(
            'missing',
            `${rule.metric} has no group breakdown: the suite needs groupBy`,
            null,
            run.id,
          );
        }
        if (small.length > 0) {
          return judgement(
            'missing',
            `groups too small to judge (fewer than ${rule.minGroupSize} items): ${small.join(', ')}`,
            null,
            run.id,
          );
        }
      }
      const actual = readMetricStat(metric, rule.stat);
      if (actual === null) {
        return judgement(
          'missing',
          `${rule.metric} ${rule.stat} cannot be computed (no scored items, or no groups large enough)`,
          null,
          run.id,
        );
      }
      const passed = compareStat(actual, rule.op, rule.threshold);
      return judgement(
        passed ? 'pass' : 'fail',
        `${rule.metric} ${rule.stat} is ${round(actual)}, ${passed ? 'meeting' : 'failing'} ${rule.op} ${rule.threshold} (n=${metric.n})`,
        actual,
        run.id,
      );
    }
    case 'no_regression': {
      const run = selectRun(input, rule.suite);
      if (typeof run === 'string') {
        return judgement('missing', run);
      }
      const baseline = input.baselines[rule.suite];
      if (!baseline) {
        return judgement('pass', 'no approved run of this suite yet: nothing to regress from', null, run.id);
      }
      if (baseline === run.id) {
        return judgement('pass', 'the approved run itself', 0, run.id);
      }
      const comparison = input.comparisons.find(
        (c) => c.baselineRunId === baseline && c.candidateRunId === run.id && c.metric === rule.metric,
      );
      if (!comparison) {
        return judgement(
          'missing',
          `no paired comparison of ${rule.metric} with the approved run ${baseline} (different items?)`,
          null,
          run.id,
        );
      }
      const worse =
        comparison.difference !== null && comparison.difference < 0 && comparison.pValue < rule.alpha;
      return judgement(
        worse ? 'fail' : 'pass',
        `${rule.metric} changed by ${signed(comparison.difference)} against the approved run (${comparison.test}, p=${round(comparison.pValue)}${worse ? `, a significant drop at alpha ${rule.alpha}` : ''})`,
        comparison.difference,
        run.id,
      );
    }
    case 'unscored_max': {
      const run = selectRun(input, rule.suite);
      if (typeof run === 'string') {
        return judgement('missing', run);
      }
      const { total, errored } = run.summary.items;
      const unscored = Math.max(0, ...run.summary.metrics.map((m) => m.unscored));
      const share = total === 0 ? 1 : (errored + unscored) / total;
      const passed = share <= rule.max;
      return judgement(
        passed ? 'pass' : 'fail',
        `${errored} errored and ${unscored} unscored of ${total} items (${formatShare(share)}), ${passed ? 'within' : 'over'} ${formatShare(rule.max)}`,
        share,
        run.id,
      );
    }
    case 'evidence':
      return judgeEvidence(rule.requirement, input);
    case 'pilot_metric': {
      const pilot = input.pilot;
      if (!pilot || pilot.cases === 0) {
        return judgement('missing', 'no pilot observations recorded: record what the pilot showed');
      }
      if (pilot.cases < rule.minCases) {
        return judgement(
          'missing',
          `${pilot.cases} cases observed, fewer than the ${rule.minCases} required: inconclusive, keep piloting`,
        );
      }
      const events = {
        override_rate: pilot.overrides,
        undo_rate: pilot.undone,
        complaint_rate: pilot.complaints,
        incident_rate: pilot.incidents,
      }[rule.measure];
      const actual =
        rule.stat === 'value'
          ? events / pilot.cases
          : (exactUpperBound(Math.min(events, pilot.cases), pilot.cases) ?? 1);
      const passed = compareStat(actual, rule.op, rule.threshold);
      return judgement(
        passed ? 'pass' : 'fail',
        `${events} of ${pilot.cases} cases: ${rule.measure.replace(/_/g, ' ')} ${rule.stat} ${round(actual)}, ${passed ? 'meeting' : 'failing'} ${rule.op} ${rule.threshold}`,
        actual,
      );
    }
    case 'approvals':
      return judgement('pass', 'approvals are collected on the evaluation');
  }
}

function smallGroups(metric: MetricSummary, minSize: number): string[] {
  return metric.groups.flatMap((breakdown) => [
    ...breakdown.smallGroups.map((group) => `${breakdown.key}=${group}`),
    ...breakdown.groups.filter((g) => g.n < minSize).map((g) => `${breakdown.key}=${g.group} (n=${g.n})`),
  ]);
}

const present = (text: string | undefined) => typeof text === 'string' && text.trim().length > 0;

function judgeEvidence(requirement: EvidenceRequirement, input: GateInput): Judgement {
  const record = input.useCase.record;
  const assessment = (kind: string) => record.impactAssessments.find((a) => a.kind === kind);
  const assessed = (
    kind: string,
    accepted: string[],
    label: string,
    applies: boolean,
    why: string,
  ): Judgement => {
    if (!applies) {
      return judgement('pass', `not applicable: ${why}`);
    }
    const found = assessment(kind);
    if (!found) {
      return judgement('missing', `no ${label} in the record's impact assessments`);
    }
    if (found.status === 'not_required') {
      return judgement('fail', `the ${label} is marked not required, but this use case needs one`);
    }
    return accepted.includes(found.status)
      ? judgement(
          'pass',
          `${label} ${found.status.replace(/_/g, ' ')}${found.date ? ` on ${found.date}` : ''}`,
        )
      : judgement(
          'fail',
          `${label} is ${found.status.replace(/_/g, ' ')}; it must be ${accepted.join(' or ')}`,
        );
  };
  switch (requirement) {
    case 'success_criteria_defined':
      return (record.benefits.successCriteria ?? []).length > 0
        ? judgement('pass', `${record.benefits.successCriteria?.length} success criteria recorded`)
        : judgement('missing', 'no success criteria in the record (benefits.successCriteria)');
    case 'risks_recorded':
      return record.risks.length > 0
        ? judgement('pass', `${record.risks.length} risk(s) with mitigations recorded`)
        : judgement('missing', 'no risks recorded');
    case 'dpia_approved':
      return assessed(
        'dpia',
        ['approved'],
        'DPIA',
        record.data.personalData,
        'no personal data is processed',
      );
    case 'eqia_completed':
      return assessed(
        'eqia',
        ['completed', 'approved'],
        'EqIA',
        record.people.protectedCharacteristicsInScope.length > 0 || record.people.publicFacing,
        'no protected characteristics in scope and not public facing',
      );
    case 'security_review_completed':
      return assessed('security', ['completed', 'approved'], 'security review', true, '');
    case 'accessibility_review_completed':
      return assessed(
        'accessibility',
        ['completed', 'approved'],
        'accessibility review',
        record.people.publicFacing,
        'not public facing',
      );
    case 'human_oversight_described':
      return present(record.decision.humanInvolvement)
        ? judgement('pass', 'human involvement described')
        : judgement('missing', 'describe the human involvement (decision.humanInvolvement)');
    case 'kill_switch_described':
      return present(record.operations?.killSwitch)
        ? judgement('pass', 'kill switch described')
        : judgement('missing', 'describe how the tool is switched off (operations.killSwitch)');
    case 'monitoring_described':
      return present(record.operations?.monitoring)
        ? judgement('pass', 'monitoring described')
        : judgement('missing', 'describe the monitoring (operations.monitoring)');
    case 'incident_process_described':
      return present(record.operations?.incidentProcess)
        ? judgement('pass', 'incident process described')
        : judgement('missing', 'describe the incident process (operations.incidentProcess)');
    case 'transparency_record_published':
      return input.useCase.transparencyPublished
        ? judgement('pass', 'the transparency record is published')
        : judgement('missing', 'publish the transparency record first');
  }
}

function round(value: number): string {
  return String(Math.round(value * 10_000) / 10_000);
}

function signed(value: number | null): string {
  return value === null ? 'an unknown amount' : `${value >= 0 ? '+' : ''}${round(value)}`;
}
