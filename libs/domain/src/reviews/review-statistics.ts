import { type Interval } from '../evaluation/run-summary';
import { type ReviewVerdicts, type ScorerReading } from './review-labels';
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

/** Agreement between people, on items two or more of them reviewed (blind double review). */
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
 */
export function reviewStatistics(input: ReviewStatisticsInput): ReviewStatistics {
  void input;
  throw new Error('reviewStatistics: not implemented yet');
}
