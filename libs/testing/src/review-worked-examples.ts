/**
 * Published worked examples of agreement, laid out as review samples so that a test can record them (through
 * the domain, the API or the pages) and check the statistics against the published figures.
 *
 * Cohen's kappa: the worked example of Wikipedia's "Cohen's kappa" article (from the standard texts), 50
 * items read by two raters: 20 both yes, 5 the first only, 10 the second only, 15 both no; p_o = 0.70,
 * p_e = 0.50, kappa = 0.40. The judge is the first rater and the first reviewer the second, "yes" = pass.
 *
 * Krippendorff's alpha: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example A
 * (binary, two observers, ten units, alpha = 0.095). The first reviewer is observer 1 on ten of the 50
 * items (0 = pass; the first eight of the both-pass cell and the first two of the both-fail cell), a
 * second reviewer observer 2 on the same ten.
 */
export const KAPPA_WORKED_EXAMPLE = {
  cells: { bothPass: 20, judgeOnlyPasses: 5, reviewerOnlyPasses: 10, bothFail: 15 },
  agreement: 0.7,
  kappa: 0.4,
  /** Wilson 95% interval of 35/50. */
  agreementInterval: { lower: 0.562496, upper: 0.808964 },
  /** Krippendorff's alpha of the two reviewers on the ten items both read. */
  alpha: 0.095238095238,
  /** The two reviewers read 6 of those 10 alike. */
  reviewersAgreement: 0.6,
} as const;

export interface WorkedExampleItem {
  /** 1-based, in the order of the table: the cells above one after another. */
  index: number;
  judgePasses: boolean;
  firstReviewerPasses: boolean;
  /** The second reviewer's reading, on ten items only (null: not reviewed by them). */
  secondReviewerPasses: boolean | null;
}

const OBSERVER_1 = '0100000010';
const OBSERVER_2 = '1110010000';
/** Where example A's ten units sit among the 50 items (1-based): both-pass items 1–8, both-fail 36–37. */
const ALPHA_UNITS = [1, 36, 2, 3, 4, 5, 6, 7, 37, 8];

/** The 50 items of the worked example, judge and reviewers' readings. */
export function kappaWorkedExampleItems(): WorkedExampleItem[] {
  const { bothPass, judgeOnlyPasses, reviewerOnlyPasses, bothFail } = KAPPA_WORKED_EXAMPLE.cells;
  const cells: [judge: boolean, reviewer: boolean, count: number][] = [
    [true, true, bothPass],
    [true, false, judgeOnlyPasses],
    [false, true, reviewerOnlyPasses],
    [false, false, bothFail],
  ];
  const items = cells
    .flatMap(([judge, reviewer, count]) => Array.from({ length: count }, () => [judge, reviewer] as const))
    .map(([judgePasses, firstReviewerPasses], i): WorkedExampleItem => ({
      index: i + 1,
      judgePasses,
      firstReviewerPasses,
      secondReviewerPasses: null,
    }));
  ALPHA_UNITS.forEach((index, unit) => {
    const item = items[index - 1];
    if (item.firstReviewerPasses !== (OBSERVER_1[unit] === '0')) {
      throw new Error(`worked example: item ${index} does not hold observer 1's unit ${unit + 1}`);
    }
    item.secondReviewerPasses = OBSERVER_2[unit] === '0';
  });
  return items;
}
