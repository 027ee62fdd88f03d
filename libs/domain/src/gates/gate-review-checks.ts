import { type MetricSummary } from '../evaluation/run-summary';
import { isJudgeScorer, JUDGE_SCORER_TYPES } from '../reviews/review-labels';
import { type CorrectedFailureRate, type MetricReviewStatistics } from '../reviews/review-statistics';
import { type GateInput, type ReviewEvidence, type RunEvidence } from './gate-input';
import { formatShare, type GateRule } from './gate-policy';
import { type Judgement, judgement } from './gate-verdict';

// The checks of the rules that read people's reviews of a run's items: `human_review` (the failure rate as
// independent people read it) and `judge_agreement` (a model judge agrees with them before its metric counts).

/** A rule's verdict with the review samples it read (bound into the evaluation's hash). */
export interface ReviewJudgement extends Judgement {
  samples: ReviewEvidence[];
}

type HumanReviewRule = Extract<GateRule, { kind: 'human_review' }>;
type JudgeAgreementRule = Extract<GateRule, { kind: 'judge_agreement' }>;

const reviewJudgement = (
  verdict: Judgement['verdict'],
  reason: string,
  actual: number | null,
  run: RunEvidence | null,
  samples: ReviewEvidence[] = [],
): ReviewJudgement => ({ ...judgement(verdict, reason, actual, run?.id ?? null), samples });

/**
 * The samples of the run a rule reads whose statistics count only independent reviewers. Samples of any
 * other run are never read, and statistics that count the team's own reviews are not gate evidence.
 */
function independentSamples(input: GateInput, run: RunEvidence): ReviewEvidence[] {
  return input.reviews.filter((sample) => sample.runId === run.id && sample.statistics.independentOnly);
}

/**
 * The sample to judge by: the one with the most items reviewed (as `reviewed` counts them); on a tie the
 * latest drawn (then the greater id, so the choice never depends on the order the samples came in).
 * Samples are not pooled: two draws of one run may hold the same items under different design weights, so
 * their reviews cannot be added up as one sample.
 */
function mostReviewed(
  samples: ReviewEvidence[],
  reviewed: (sample: ReviewEvidence) => number,
): ReviewEvidence | null {
  let best: ReviewEvidence | null = null;
  for (const sample of samples) {
    if (
      !best ||
      reviewed(sample) > reviewed(best) ||
      (reviewed(sample) === reviewed(best) &&
        (sample.drawnAt > best.drawnAt ||
          (sample.drawnAt === best.drawnAt && sample.sampleId > best.sampleId)))
    ) {
      best = sample;
    }
  }
  return best;
}

const metricOf = (run: RunEvidence, name: string): MetricSummary | undefined =>
  run.summary.metrics.find((metric) => metric.name === name);

const metricStatistics = (sample: ReviewEvidence, metric: string): MetricReviewStatistics | undefined =>
  sample.statistics.metrics.find((m) => m.metric === metric);

const runName = (run: RunEvidence) => `run ${run.id} (${run.suite.name}@${run.suite.version})`;
const sampleName = (sample: ReviewEvidence) => `sample ${sample.sampleId}`;
const percent = (value: number | null) => (value === null ? 'unknown' : formatShare(value));
const round = (value: number) => String(Math.round(value * 10_000) / 10_000);

function noSample(run: RunEvidence): string {
  return `no review sample of ${runName(run)} reviewed by people independent of the team: draw a review sample of run ${run.id} and have independent reviewers review it`;
}

/**
 * `human_review`: at least `minItems` sampled items of the latest run reviewed by independent people, and
 * the failure rate as they read it (design-weighted back to the run) bounded above by `maxFailureUpper95`.
 */
export function judgeHumanReview(rule: HumanReviewRule, input: GateInput, run: RunEvidence): ReviewJudgement {
  if (rule.metric !== undefined && !metricOf(run, rule.metric)) {
    return reviewJudgement('missing', `the run has no metric ${rule.metric}`, null, run);
  }
  const rateOf = (sample: ReviewEvidence): CorrectedFailureRate | undefined =>
    rule.metric === undefined
      ? sample.statistics.anyFailure
      : metricStatistics(sample, rule.metric)?.corrected;
  const reviewed = (sample: ReviewEvidence) => rateOf(sample)?.n ?? 0;
  const samples = independentSamples(input, run);
  const chosen = mostReviewed(samples, reviewed);
  if (!chosen) {
    return reviewJudgement('missing', noSample(run), null, run);
  }
  const used = [chosen];
  const n = reviewed(chosen);
  const of = samples.length > 1 ? `, the most reviewed of ${samples.length} samples of this run` : '';
  if (n < rule.minItems) {
    return reviewJudgement(
      'missing',
      `${n} of ${chosen.statistics.items} sampled items of ${runName(run)} reviewed by independent people (${sampleName(chosen)}${of}); ${rule.minItems} needed: inconclusive, review more`,
      null,
      run,
      used,
    );
  }
  const rate = rateOf(chosen);
  if (!rate || rate.upper95 === null || rate.value === null) {
    return reviewJudgement(
      'missing',
      `the corrected failure rate cannot be computed from the reviews of ${sampleName(chosen)}`,
      null,
      run,
      used,
    );
  }
  if (rate.coverage < 1) {
    // Strata nobody reviewed would drop out of the weighted estimate: their failures would go unseen.
    return reviewJudgement(
      'missing',
      `the reviewed items of ${sampleName(chosen)} cover strata holding ${formatShare(rate.coverage)} of the run: review at least one item of every stratum (or draw a larger sample if a stratum has none)`,
      null,
      run,
      used,
    );
  }
  const passed = rate.upper95 <= rule.maxFailureUpper95;
  const what = rule.metric ?? 'any metric';
  return reviewJudgement(
    passed ? 'pass' : 'fail',
    `${what} as independent people read ${n} reviewed items (${sampleName(chosen)}${of}): corrected failure rate ${percent(rate.value)}, upper95 ${percent(rate.upper95)} (${rate.method === 'design_weighted' ? 'design-weighted' : 'simple'}, coverage ${formatShare(rate.coverage)}), ${passed ? 'meeting' : 'failing'} <= ${rule.maxFailureUpper95}; the scorer's own rate on the same items ${percent(rate.scorerValue)}`,
    rate.upper95,
    run,
    used,
  );
}

interface JudgeFinding {
  verdict: Judgement['verdict'];
  text: string;
  lower: number | null;
  sample: ReviewEvidence | null;
}

/** One judge metric against the people: enough reviewed items, then the lower bound of the statistic. */
function judgeFinding(
  rule: JudgeAgreementRule,
  run: RunEvidence,
  samples: ReviewEvidence[],
  metric: string,
): JudgeFinding {
  const reviewed = (sample: ReviewEvidence) => metricStatistics(sample, metric)?.reviewedItems ?? 0;
  const chosen = mostReviewed(samples, reviewed);
  const stats = chosen ? metricStatistics(chosen, metric) : undefined;
  const n = chosen ? reviewed(chosen) : 0;
  if (!chosen || !stats || n < rule.minItems) {
    const how = chosen ? ` (${sampleName(chosen)})` : `: ${noSample(run)}`;
    return {
      verdict: 'missing',
      text: `the judge ${metric} has been checked against people on ${n} items; ${rule.minItems} needed${how}`,
      lower: null,
      sample: chosen,
    };
  }
  const human = stats.humanVsScorer;
  const value = rule.statistic === 'kappa' ? human.kappa : human.agreement;
  const interval = rule.statistic === 'kappa' ? human.kappaInterval : human.agreementInterval;
  const where = `on ${n} items, ${human.n} reviews (${sampleName(chosen)})`;
  if (value === null || interval === null) {
    return {
      verdict: 'missing',
      text: `the judge ${metric}: ${rule.statistic} cannot be computed ${where} (every reading the same?)`,
      lower: null,
      sample: chosen,
    };
  }
  const passed = interval.lower >= rule.minLower;
  return {
    verdict: passed ? 'pass' : 'fail',
    text: `the judge ${metric}: ${rule.statistic} ${round(value)} (95% interval ${round(interval.lower)} to ${round(interval.upper)}) ${where}, lower bound ${passed ? 'meeting' : 'below'} ${rule.minLower}`,
    lower: interval.lower,
    sample: chosen,
  };
}

/**
 * `judge_agreement`: every model judge of the suite (or the one named) agrees with independent reviewers,
 * the lower bound of Cohen's kappa or of raw agreement at least `minLower`, on at least `minItems` reviewed
 * items. A suite with no model judge has nothing to calibrate: the rule passes as not applicable.
 */
export function judgeJudgeAgreement(
  rule: JudgeAgreementRule,
  input: GateInput,
  run: RunEvidence,
): ReviewJudgement {
  let judges: MetricSummary[];
  if (rule.metric !== undefined) {
    const metric = metricOf(run, rule.metric);
    if (!metric) {
      return reviewJudgement('missing', `the run has no metric ${rule.metric}`, null, run);
    }
    if (!isJudgeScorer(metric.scorer)) {
      return reviewJudgement(
        'missing',
        `${rule.metric} is scored by ${metric.scorer}, not by a model judge (${JUDGE_SCORER_TYPES.join(', ')}): judge agreement applies to model judges only`,
        null,
        run,
      );
    }
    judges = [metric];
  } else {
    judges = run.summary.metrics.filter((metric) => isJudgeScorer(metric.scorer));
    if (judges.length === 0) {
      return reviewJudgement(
        'pass',
        `not applicable: no model judge in ${run.suite.name}@${run.suite.version}`,
        null,
        run,
      );
    }
  }
  const samples = independentSamples(input, run);
  const findings = judges.map((metric) => judgeFinding(rule, run, samples, metric.name));
  const verdict = findings.some((f) => f.verdict === 'fail')
    ? 'fail'
    : findings.some((f) => f.verdict === 'missing')
      ? 'missing'
      : 'pass';
  const lowers = findings.flatMap((f) => (f.lower === null ? [] : [f.lower]));
  const used = new Map<string, ReviewEvidence>();
  for (const finding of findings) {
    if (finding.sample) {
      used.set(finding.sample.sampleId, finding.sample);
    }
  }
  return reviewJudgement(
    verdict,
    findings.map((f) => f.text).join('; '),
    lowers.length === 0 ? null : Math.min(...lowers),
    run,
    [...used.values()],
  );
}
