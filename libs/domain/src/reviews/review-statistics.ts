import { type Interval } from '../evaluation/run-summary';
import { krippendorffAlphaNominal } from '../statistics/agreement';
import { DEFAULT_RESAMPLES } from '../statistics/bootstrap';
import {
  type ClusterBootstrapOptions,
  type ClusterStatistic,
  clusterBootstrapIntervals,
} from '../statistics/cluster-bootstrap';
import { cohensKappaBinary } from '../statistics/kappa';
import { wilsonInterval } from '../statistics/proportions';
import {
  clopperPearsonBounds,
  kornGraubardBounds,
  stratifiedProportion,
} from '../statistics/survey-proportion';
import { assertPositiveInteger } from '../statistics/validate';
import { humanPassed, type ReviewVerdicts, type ScorerReading } from './review-labels';
import { type SampleStratum } from './review-sample';

/** One sampled item with the scorers' readings and the people's current (not superseded) reviews. */
export interface ReviewedItem {
  position: number;
  stratum: string;
  /** Per metric name, what the scorer said. */
  readings: Record<string, ScorerReading>;
  reviews: {
    /** Who reviewed: a user id, or `import:<importer id>:<rater>` for an imported review. */
    reviewer: string;
    /** Independent of the use case's team, of who started the run and of who wrote the suite. */
    independent: boolean;
    verdicts: ReviewVerdicts;
    /**
     * The reviewer's first revision of this review, when they have revised it: given before they could
     * have seen anyone else's review of the item (an export shows others' reviews only to someone who has
     * reviewed it). Agreement between people reads these, so looking and then revising cannot inflate it.
     */
    blindVerdicts?: ReviewVerdicts;
  }[];
}

export interface ReviewedMetric {
  name: string;
  /** The scorer type, e.g. `refusal`, `rubric_judge`. */
  scorer: string;
  /** A model judge (see isJudgeScorer). */
  judge: boolean;
}

export interface ReviewStatisticsInput {
  strata: readonly SampleStratum[];
  items: readonly ReviewedItem[];
  metrics: readonly ReviewedMetric[];
  /** Seed of the bootstrap (the sample's seed): the same reviews always give the same intervals. */
  seed: number;
  /** Count only reviews by independent people (what gate rules read); false: everyone's. */
  independentOnly: boolean;
  /** Bootstrap resamples (2,000 by default). */
  resamples?: number;
}

/** The people's pass/fail reading against the scorer's, over (item, reviewer) pairs where both exist. */
export interface HumanVsScorer {
  /** (item, reviewer) pairs compared. */
  n: number;
  /** Raw agreement: share of pairs where the person's reading is the scorer's. */
  agreement: number | null;
  /** Wilson score interval of the raw agreement (95%). */
  agreementInterval: Interval | null;
  /** Cohen's kappa (scorer as one rater, people pooled as the other). */
  kappa: number | null;
  /** Percentile bootstrap interval of kappa (95%), resampling items (clusters of their reviews). */
  kappaInterval: Interval | null;
}

/**
 * Agreement between people, on items two or more of them reviewed (blind double review), read from each
 * person's first, blind revision of their review.
 */
export interface HumanVsHuman {
  items: number;
  /** Krippendorff's alpha (nominal, pass/fail readings). */
  alpha: number | null;
  /** Percentile bootstrap interval of alpha (95%), resampling items. */
  alphaInterval: Interval | null;
  /** Share of pairs of people on the same item who read it alike. */
  agreement: number | null;
}

/**
 * The failure rate as the people read it, weighted back to the run: Σ_h (N_h / N) ȳ_h over the strata
 * (ȳ_h the mean, over reviewed items of stratum h, of the share of reviewers who read the item as
 * failing); with one stratum, the plain share.
 */
export interface CorrectedFailureRate {
  /** Reviewed items the estimate rests on. */
  n: number;
  value: number | null;
  /** 95% two-sided interval (method `clopper_pearson`: Korn–Graubard with the design's effective n). */
  interval: Interval | null;
  /** One-sided 95% upper bound (Korn–Graubard; the exact Clopper–Pearson bound with one stratum). */
  upper95: number | null;
  /** The scorer's own failure rate on the same reviewed items, weighted the same way, for comparison. */
  scorerValue: number | null;
  /** Share of the run's population in strata with at least one reviewed item (1 = the whole run). */
  coverage: number;
  method: 'simple' | 'design_weighted';
}

export interface MetricReviewStatistics {
  metric: string;
  scorer: string;
  judge: boolean;
  /** Sampled items with at least one counted review of this metric. */
  reviewedItems: number;
  reviews: number;
  humanVsScorer: HumanVsScorer;
  humanVsHuman: HumanVsHuman;
  corrected: CorrectedFailureRate;
}

export interface ReviewStatistics {
  /** Sampled items, and those with at least one counted review. */
  items: number;
  reviewedItems: number;
  /** Distinct people whose reviews were counted. */
  reviewers: number;
  independentOnly: boolean;
  metrics: MetricReviewStatistics[];
  /** An item fails when any metric's reading fails it: the corrected failure rate of the item as a whole. */
  anyFailure: CorrectedFailureRate;
}

/**
 * Agreement and the human-corrected failure rate of a review sample. Pure and deterministic for the seed.
 *
 * A person's reading of an item for a metric is humanPassed(scorer's reading, their verdict); pairs where
 * either side is null are left out. `independentOnly` counts only reviews marked independent; a reviewer
 * listed twice on one item counts once (the later entry). Every bootstrap draws from its own stream seeded
 * with `seed`, so one metric's intervals do not change when another metric's reviews do.
 *
 * The corrected failure rate of an item is y = the share of its counted readers who read it as failing,
 * weighted back to the run by stratifiedProportion (strata without a reviewed item left out, `coverage`
 * saying how much that leaves out; a stratum with one reviewed item gets the conservative variance 0.25).
 * With one stratum (method `simple`) the interval is Clopper–Pearson on Σy of n, the exact interval when
 * reviews are unanimous: a variable in [0, 1] has variance at most p(1 − p), so the Korn–Graubard
 * effective n of a simple random sample, capped at n, is n. With several (`design_weighted`), Korn and
 * Graubard's Clopper–Pearson at the design's effective n (kornGraubardBounds). Items whose stratum is not
 * among `strata` cannot be weighted and are left out of the corrected rates (not out of agreement).
 * `anyFailure` reads a reviewer's verdict on the item as failing when any metric they reviewed fails.
 */
export function reviewStatistics(input: ReviewStatisticsInput): ReviewStatistics {
  const resamples = input.resamples ?? DEFAULT_RESAMPLES;
  assertPositiveInteger('resamples', resamples);
  if (!Number.isSafeInteger(input.seed)) {
    throw new RangeError(`seed must be a safe integer, got ${input.seed}`);
  }
  const items = input.items.map((item) => ({ item, reviews: countedReviews(item, input.independentOnly) }));
  const reviewers = new Set(items.flatMap(({ reviews }) => reviews.map((review) => review.reviewer)));
  const design = designOf(input.strata);
  const perMetric = input.metrics.map((metric) =>
    items.map(({ item, reviews }) => metricReadings(item, reviews, metric.name)),
  );
  const bootstraps = new Bootstraps();
  const metrics = input.metrics.map((metric, m) =>
    metricStatistics(metric, perMetric[m], design, bootstraps),
  );
  bootstraps.run({ seed: input.seed, resamples });
  return {
    items: input.items.length,
    reviewedItems: items.filter(({ reviews }) => reviews.length > 0).length,
    reviewers: reviewers.size,
    independentOnly: input.independentOnly,
    metrics,
    anyFailure: correctedFailureRate(
      items.map(({ item }, i) => anyFailureReadings(item.stratum, perMetric, i)),
      design,
    ),
  };
}

type Reviews = ReviewedItem['reviews'];

/** What one metric's reviews of one item say. */
interface MetricReadings {
  stratum: string;
  /** The scorer's pass/fail reading, null when it left the item unscored (or has no reading of it). */
  scorer: boolean | null;
  /**
   * Per counted review of the item (in the same order for every metric): the person's reading, null when
   * it cannot be told, undefined when the review has no verdict for this metric.
   */
  people: (boolean | null | undefined)[];
  /** The same people's blind (first-revision) readings, for agreement between people. */
  blindPeople: (boolean | null | undefined)[];
}

interface Design {
  /** N_h by stratum key, in the order of the sample's strata. */
  populations: Map<string, number>;
  method: CorrectedFailureRate['method'];
}

/**
 * The bootstrap intervals of every metric, run together once all are read: clusterBootstrapIntervals
 * shares the draws of statistics with as many clusters, and each interval is what it would be alone.
 */
class Bootstraps {
  private readonly statistics: ClusterStatistic[] = [];
  private readonly settle: ((interval: Interval | null) => void)[] = [];

  add(statistic: ClusterStatistic, settle: (interval: Interval | null) => void): void {
    this.statistics.push(statistic);
    this.settle.push(settle);
  }

  run(options: ClusterBootstrapOptions): void {
    clusterBootstrapIntervals(this.statistics, options).forEach((interval, i) => this.settle[i](interval));
  }
}

const UNSCORED: ScorerReading = { passed: null, value: null };

/** The value of an own property (never one inherited from Object.prototype, e.g. `__proto__`). */
function own<T>(record: Record<string, T> | null | undefined, key: string): T | undefined {
  return typeof record === 'object' && record !== null && Object.hasOwn(record, key)
    ? record[key]
    : undefined;
}

function countedReviews(item: ReviewedItem, independentOnly: boolean): Reviews {
  const latest = new Map<string, Reviews[number]>();
  for (const review of item.reviews) {
    if (!independentOnly || review.independent === true) {
      latest.delete(review.reviewer);
      latest.set(review.reviewer, review);
    }
  }
  return [...latest.values()];
}

function designOf(strata: readonly SampleStratum[]): Design {
  const populations = new Map<string, number>();
  for (const stratum of strata) {
    populations.set(stratum.key, (populations.get(stratum.key) ?? 0) + stratum.population);
  }
  return { populations, method: populations.size <= 1 ? 'simple' : 'design_weighted' };
}

function reading(
  scorer: ScorerReading,
  verdicts: ReviewVerdicts,
  metric: string,
): boolean | null | undefined {
  const verdict = own(verdicts, metric);
  return typeof verdict === 'object' && verdict !== null ? humanPassed(scorer, verdict) : undefined;
}

function metricReadings(item: ReviewedItem, reviews: Reviews, metric: string): MetricReadings {
  const scorer = own(item.readings, metric) ?? UNSCORED;
  return {
    stratum: item.stratum,
    scorer: typeof scorer.passed === 'boolean' ? scorer.passed : null,
    people: reviews.map((review) => reading(scorer, review.verdicts, metric)),
    blindPeople: reviews.map((review) => reading(scorer, review.blindVerdicts ?? review.verdicts, metric)),
  };
}

function metricStatistics(
  metric: ReviewedMetric,
  readings: readonly MetricReadings[],
  design: Design,
  bootstraps: Bootstraps,
): MetricReviewStatistics {
  let reviewedItems = 0;
  let reviews = 0;
  for (const item of readings) {
    const count = item.people.filter((person) => person !== undefined).length;
    reviews += count;
    reviewedItems += count > 0 ? 1 : 0;
  }
  return {
    metric: metric.name,
    scorer: metric.scorer,
    judge: metric.judge,
    reviewedItems,
    reviews,
    humanVsScorer: humanVsScorer(readings, bootstraps),
    humanVsHuman: humanVsHuman(readings, bootstraps),
    corrected: correctedFailureRate(
      readings.map((item) => ({ stratum: item.stratum, people: item.people, scorer: item.scorer })),
      design,
    ),
  };
}

/**
 * Scorer (first rater) against the people pooled (second rater) over (item, reviewer) pairs. Per item the
 * four cells [both pass, scorer only passes, person only passes, both fail], so the bootstrap can
 * resample items with all their pairs.
 */
function humanVsScorer(readings: readonly MetricReadings[], bootstraps: Bootstraps): HumanVsScorer {
  const rows: number[] = [];
  const cells = [0, 0, 0, 0];
  for (const item of readings) {
    if (item.scorer === null) {
      continue;
    }
    const row = [0, 0, 0, 0];
    for (const person of item.people) {
      if (typeof person === 'boolean') {
        row[cellOf(item.scorer, person)] += 1;
      }
    }
    if (row[0] + row[1] + row[2] + row[3] > 0) {
      rows.push(...row);
      row.forEach((count, j) => (cells[j] += count));
    }
  }
  const n = cells[0] + cells[1] + cells[2] + cells[3];
  if (n === 0) {
    return { n: 0, agreement: null, agreementInterval: null, kappa: null, kappaInterval: null };
  }
  const agreeing = cells[0] + cells[3];
  const kappa = cohensKappaBinary(cells[0], cells[1], cells[2], cells[3]);
  const statistics: HumanVsScorer = {
    n,
    agreement: agreeing / n,
    agreementInterval: wilsonInterval(agreeing, n),
    kappa,
    kappaInterval: null,
  };
  if (kappa !== null) {
    bootstraps.add(
      {
        totals: Float64Array.from(rows),
        width: 4,
        statistic: (s) => cohensKappaBinary(s[0], s[1], s[2], s[3]),
      },
      (interval) => (statistics.kappaInterval = interval),
    );
  }
  return statistics;
}

/** The cell of a (scorer, person) pair: 0 both pass, 1 the scorer only, 2 the person only, 3 both fail. */
function cellOf(scorer: boolean, person: boolean): number {
  return scorer ? (person ? 0 : 1) : person ? 2 : 3;
}

/**
 * People against each other on items with two or more readings. Per item [m readings, Σ_c m_c(m_c − 1) /
 * (m − 1), passes, fails]: the item's part of Krippendorff's coincidence matrix, additive over items, so a
 * bootstrap replicate's alpha is 1 − (n − 1)(n − Σ o_cc) / (n² − n_pass² − n_fail²) of the sums.
 */
function humanVsHuman(readings: readonly MetricReadings[], bootstraps: Bootstraps): HumanVsHuman {
  const units: string[][] = [];
  const rows: number[] = [];
  let pairs = 0;
  let agreeingPairs = 0;
  for (const item of readings) {
    const told = item.blindPeople.filter((person): person is boolean => typeof person === 'boolean');
    if (told.length < 2) {
      continue;
    }
    const passes = told.filter((person) => person).length;
    const fails = told.length - passes;
    const m = told.length;
    units.push(told.map((person) => (person ? 'pass' : 'fail')));
    rows.push(m, (passes * (passes - 1) + fails * (fails - 1)) / (m - 1), passes, fails);
    pairs += (m * (m - 1)) / 2;
    agreeingPairs += (passes * (passes - 1) + fails * (fails - 1)) / 2;
  }
  const alpha = krippendorffAlphaNominal(units);
  const statistics: HumanVsHuman = {
    items: units.length,
    alpha,
    alphaInterval: null,
    agreement: pairs === 0 ? null : agreeingPairs / pairs,
  };
  if (alpha !== null) {
    bootstraps.add(
      { totals: Float64Array.from(rows), width: 4, statistic: alphaOfSums },
      (interval) => (statistics.alphaInterval = interval),
    );
  }
  return statistics;
}

function alphaOfSums(sums: Float64Array): number | null {
  const n = sums[0];
  const agreeing = sums[1];
  const passes = sums[2];
  const fails = sums[3];
  const expected = n * n - passes * passes - fails * fails;
  return n < 2 || expected === 0 ? null : 1 - ((n - 1) * (n - agreeing)) / expected;
}

/** One item's readings for a corrected failure rate. */
interface ItemFailure {
  stratum: string;
  /** The people's readings (true = passes); null or undefined readings are not counted. */
  people: readonly (boolean | null | undefined)[];
  scorer: boolean | null;
}

/** y = share of the item's readers who read it as failing; the design-weighted rate over the items. */
function correctedFailureRate(items: readonly ItemFailure[], design: Design): CorrectedFailureRate {
  const human = new Map<string, number[]>();
  const scorer = new Map<string, number[]>();
  for (const item of items) {
    if (!design.populations.has(item.stratum)) {
      continue;
    }
    const told = item.people.filter((person): person is boolean => typeof person === 'boolean');
    if (told.length === 0) {
      continue;
    }
    push(human, item.stratum, told.filter((person) => !person).length / told.length);
    if (item.scorer !== null) {
      push(scorer, item.stratum, item.scorer ? 0 : 1);
    }
  }
  const observations = (values: Map<string, number[]>) =>
    [...design.populations].map(([key, population]) => ({ population, values: values.get(key) ?? [] }));
  const estimate = stratifiedProportion(observations(human));
  if (estimate === null) {
    return {
      n: 0,
      value: null,
      interval: null,
      upper95: null,
      scorerValue: null,
      coverage: 0,
      method: design.method,
    };
  }
  const bounds =
    design.method === 'simple'
      ? clopperPearsonBounds(sumOf(observations(human)), estimate.n)
      : kornGraubardBounds(estimate.value, estimate.variance, estimate.n);
  return {
    n: estimate.n,
    value: estimate.value,
    interval: bounds.interval,
    upper95: bounds.upper,
    scorerValue: stratifiedProportion(observations(scorer))?.value ?? null,
    coverage: estimate.coverage,
    method: design.method,
  };
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const values = map.get(key);
  if (values) {
    values.push(value);
  } else {
    map.set(key, [value]);
  }
}

function sumOf(strata: readonly { values: readonly number[] }[]): number {
  let sum = 0;
  for (const stratum of strata) {
    for (const value of stratum.values) {
      sum += value;
    }
  }
  return sum;
}

/**
 * The item as a whole: a reviewer's reading fails when any metric they read fails, passes when they read
 * at least one and none fails; the scorer's likewise over the metrics' readings.
 */
function anyFailureReadings(
  stratum: string,
  perMetric: readonly (readonly MetricReadings[])[],
  item: number,
): ItemFailure {
  const people: (boolean | null)[] = [];
  let scorer: boolean | null = null;
  for (const readings of perMetric) {
    const reading = readings[item];
    if (reading.scorer !== null) {
      scorer = (scorer ?? true) && reading.scorer;
    }
    reading.people.forEach((person, r) => {
      if (typeof person === 'boolean') {
        people[r] = (people[r] ?? true) && person;
      } else {
        people[r] ??= null;
      }
    });
  }
  return { stratum, people, scorer };
}
