import { compareStat, readMetricStat } from '../evaluation/metric-stat';
import { type MetricSummary } from '../evaluation/run-summary';
import { exactUpperBound } from '../statistics/proportions';
import { judgeEvidence } from './gate-evidence-requirements';
import { type GateInput, type ReviewEvidence, type RunEvidence } from './gate-input';
import { formatShare, type GateRule } from './gate-policy';
import { judgeHumanReview, judgeJudgeAgreement } from './gate-review-checks';
import { type Judgement, judgement } from './gate-verdict';

// The check of each rule kind against the evidence. The `evidence` rules (what the record must hold)
// are in gate-evidence-requirements.ts.

const DAY_MS = 86_400_000;

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

/** A rule's verdict, with the review samples it read (the review rules only). */
export type RuleCheck = Judgement & { samples?: ReviewEvidence[] };

export function judge(rule: GateRule, input: GateInput): RuleCheck {
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
    case 'pilot_metric':
      return judgePilotMetric(rule, input);
    case 'human_review':
    case 'judge_agreement': {
      // Like the metric rules: the latest completed run of the suite against the registered target, and
      // only the review samples of that run.
      const run = selectRun(input, rule.suite);
      if (typeof run === 'string') {
        return judgement('missing', run);
      }
      return rule.kind === 'human_review'
        ? judgeHumanReview(rule, input, run)
        : judgeJudgeAgreement(rule, input, run);
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

function round(value: number): string {
  return String(Math.round(value * 10_000) / 10_000);
}

function signed(value: number | null): string {
  return value === null ? 'an unknown amount' : `${value >= 0 ? '+' : ''}${round(value)}`;
}

/**
 * A pilot rule: the rate of cases with an event of the measure's kind (or, for `guardrail_failure_rate`, of
 * interactions an online scorer failed), judged by its value or exact one-sided 95% upper bound once the
 * pre-registered number of cases is reached. Live evidence says so in the reason, with the window and the
 * feedback that named no stored trace.
 */
function judgePilotMetric(rule: Extract<GateRule, { kind: 'pilot_metric' }>, input: GateInput): Judgement {
  const pilot = input.pilot;
  const live = pilot?.source === 'live';
  const from = live
    ? `measured from live use (${pilot.window ? `${pilot.window.since.slice(0, 10)} to ${pilot.window.until.slice(0, 10)}, ` : ''}traces and feedback; hand-typed observations are not read while live data exists)`
    : 'recorded by the team';
  let events: number;
  let cases: number;
  let what: string;
  if (rule.measure === 'guardrail_failure_rate') {
    const name = rule.scorer ?? '';
    if (!pilot || !live) {
      return judgement(
        'missing',
        `no live use measured: the ${name} failure rate is only derived from scored live traffic, never typed`,
      );
    }
    const scored = pilot.scorers?.[name];
    if (!scored || scored.scored === 0) {
      return judgement('missing', `no live interaction scored by ${name} yet (${from})`);
    }
    if (scored.scored < rule.minCases) {
      return judgement(
        'missing',
        `${scored.scored} live interactions scored by ${name}, fewer than the ${rule.minCases} required: inconclusive, keep piloting (${from})`,
      );
    }
    events = scored.failed;
    cases = scored.scored;
    what = `${name} failure rate`;
  } else {
    if (!pilot || pilot.cases === 0) {
      return judgement(
        'missing',
        live
          ? `no live cases in closed days yet (${from})`
          : 'no pilot observations recorded: record what the pilot showed',
      );
    }
    if (pilot.cases < rule.minCases) {
      return judgement(
        'missing',
        `${pilot.cases} cases observed, fewer than the ${rule.minCases} required: inconclusive, keep piloting (${from})`,
      );
    }
    events = {
      override_rate: pilot.overrides,
      undo_rate: pilot.undone,
      complaint_rate: pilot.complaints,
      incident_rate: pilot.incidents,
    }[rule.measure];
    cases = pilot.cases;
    what = rule.measure.replace(/_/g, ' ');
  }
  const actual =
    rule.stat === 'value' ? events / cases : (exactUpperBound(Math.min(events, cases), cases) ?? 1);
  const passed = compareStat(actual, rule.op, rule.threshold);
  const unlinked =
    live && (pilot.unlinked ?? 0) > 0
      ? `; ${pilot.unlinked} feedback event(s) named no stored trace: the adverse ones count as cases of their own`
      : '';
  return judgement(
    passed ? 'pass' : 'fail',
    `${events} of ${cases} ${rule.measure === 'guardrail_failure_rate' ? 'scored interactions' : 'cases'}: ${what} ${rule.stat} ${round(actual)}, ${passed ? 'meeting' : 'failing'} ${rule.op} ${rule.threshold} (${from}${unlinked})`,
    actual,
  );
}
