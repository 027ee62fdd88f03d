import {
  type ReviewStatistics,
  type ReviewVerdicts,
  type SampleDesign,
  type SampleStratum,
} from '@gatehouse/domain';

/** A review sample as the API and pages show it. */
export interface ReviewSampleView {
  id: string;
  runId: string;
  aiUseCaseId: string | null;
  suite: { name: string; version: number };
  design: SampleDesign;
  strata: SampleStratum[];
  /** Reviewable results of the run (N) and items drawn (n). */
  population: number;
  size: number;
  /** sha256 of the sample (run, design, strata, items): what evaluations bind. */
  hash: string;
  createdBy: string;
  createdAt: string;
  progress: {
    /** Items with at least one current review, by anyone. */
    reviewedItems: number;
    /** Items the caller has reviewed. */
    reviewedByYou: number;
    /** The first item in review order the caller has not reviewed, or null when they are done. */
    nextForYou: number | null;
  };
  /**
   * Over everyone's reviews, and over independent reviewers' only (what gates read); each with the hash of
   * exactly the reviews it counted (`independentReviewsHash` is what a gate evaluation binds).
   */
  statistics: {
    all: ReviewStatistics;
    independent: ReviewStatistics;
    reviewsHash: string;
    independentReviewsHash: string;
  };
}

/** What one scorer said about the item, as the reviewer sees it. */
export interface ReviewItemScorerView {
  metric: string;
  scorer: string;
  judge: boolean;
  guardrail: boolean;
  passed: boolean | null;
  value: number | null;
  label: string | null;
  /** The scorer's explanation: a judge's reasoning, a guardrail's finding. */
  explanation: string | null;
}

/**
 * One sampled item as a reviewer sees it: never another person's review of it (blind double review), only
 * the caller's own, if any.
 */
export interface ReviewItemView {
  sampleId: string;
  position: number;
  total: number;
  itemId: string;
  epoch: number;
  /** The dataset item's input (text, or chat messages) and expected value, as the run saw them. */
  input: unknown;
  expected: unknown;
  output: string | null;
  groups: Record<string, string>;
  scorers: ReviewItemScorerView[];
  yourReview: ItemReviewView | null;
  /** Positions for moving through the sample: the next item the caller has not reviewed, or null. */
  previous: number | null;
  next: number | null;
  nextUnreviewed: number | null;
}

export interface ItemReviewView {
  id: string;
  sampleId: string;
  position: number;
  itemId: string;
  epoch: number;
  reviewerId: string;
  reviewerName: string;
  /** For an imported review, the person who labelled it elsewhere. */
  rater: string | null;
  revision: number;
  supersedesId: string | null;
  verdicts: ReviewVerdicts;
  note: string | null;
  source: 'web' | 'api' | 'import';
  createdAt: string;
}

/** One line of a JSONL export or import of reviews. */
export interface ReviewJsonlLine {
  sampleId: string;
  sampleHash: string;
  position: number;
  itemId: string;
  epoch: number;
  /** The rater: a Gatehouse user's e-mail (or name when they have none), or the imported rater's name. */
  reviewer: string;
  verdicts: ReviewVerdicts;
  note: string | null;
  revision: number;
  createdAt: string;
}
