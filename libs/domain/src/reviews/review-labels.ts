/**
 * What a person says about one scorer's verdict on one item. Agree or disagree; for a pass/fail reading
 * they may say what the verdict should have been (`correctedPassed`), and for a graded scorer the score
 * (`correctedValue`, 0–1) or for a classifier the label (`correctedLabel`). A note says why.
 */
export interface ScorerReview {
  agree: boolean;
  correctedPassed?: boolean;
  correctedValue?: number;
  correctedLabel?: string;
}

/** A review: one person's verdicts on one sampled item, one entry per scorer they looked at. */
export type ReviewVerdicts = Record<string, ScorerReview>;

/** What the scorer said about the item (as stored on the run result). */
export interface ScorerReading {
  passed: boolean | null;
  value: number | null;
  label?: string | null;
}

/**
 * The person's pass/fail reading of the item for one scorer: the corrected verdict when they gave one,
 * else the scorer's verdict when they agree, its opposite when they disagree. Null when it cannot be
 * told: the scorer left the item unscored and the person gave no corrected verdict.
 */
export function humanPassed(scorer: ScorerReading, review: ScorerReview): boolean | null {
  if (review.correctedPassed !== undefined) {
    return review.correctedPassed;
  }
  if (scorer.passed === null) {
    return null;
  }
  return review.agree ? scorer.passed : !scorer.passed;
}

/** Scorer types that are model judges: their agreement with people is what `judge_agreement` reads. */
export const JUDGE_SCORER_TYPES: readonly string[] = ['rubric_judge'];

export const isJudgeScorer = (type: string): boolean => JUDGE_SCORER_TYPES.includes(type);
