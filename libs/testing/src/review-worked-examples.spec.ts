import { type ReviewedItem, reviewStatistics } from '@gatehouse/domain';
import { KAPPA_WORKED_EXAMPLE, kappaWorkedExampleItems } from './review-worked-examples';

describe('kappaWorkedExampleItems', () => {
  const items = kappaWorkedExampleItems();

  it('lays out the 20/5/10/15 table and ten doubly reviewed items', () => {
    expect(items).toHaveLength(50);
    const cell = (judge: boolean, reviewer: boolean) =>
      items.filter((i) => i.judgePasses === judge && i.firstReviewerPasses === reviewer).length;
    expect([cell(true, true), cell(true, false), cell(false, true), cell(false, false)]).toEqual([
      20, 5, 10, 15,
    ]);
    expect(items.filter((i) => i.secondReviewerPasses !== null)).toHaveLength(10);
  });

  it('gives the published kappa, agreement and alpha through reviewStatistics', () => {
    const reviewed: ReviewedItem[] = items.map((item) => ({
      position: item.index,
      stratum: 'all',
      readings: { judge: { passed: item.judgePasses, value: null } },
      reviews: [item.firstReviewerPasses, item.secondReviewerPasses]
        .map((passes, r) => ({ passes, reviewer: ['first', 'second'][r] }))
        .filter((review): review is { passes: boolean; reviewer: string } => review.passes !== null)
        .map(({ passes, reviewer }) => ({
          reviewer,
          independent: true,
          verdicts: { judge: { agree: passes === item.judgePasses } },
        })),
    }));
    const firstOnly = reviewed.map((item) => ({ ...item, reviews: item.reviews.slice(0, 1) }));
    const input = {
      strata: [{ key: 'all', failed: null, judged: null, group: null, population: 50, drawn: 50 }],
      metrics: [{ name: 'judge', scorer: 'rubric_judge', judge: true }],
      seed: 1,
      independentOnly: true,
      resamples: 200,
    };
    const one = reviewStatistics({ ...input, items: firstOnly }).metrics[0];
    expect(one.humanVsScorer.kappa).toBeCloseTo(KAPPA_WORKED_EXAMPLE.kappa, 12);
    expect(one.humanVsScorer.agreement).toBeCloseTo(KAPPA_WORKED_EXAMPLE.agreement, 12);
    expect(one.humanVsScorer.agreementInterval?.lower).toBeCloseTo(
      KAPPA_WORKED_EXAMPLE.agreementInterval.lower,
      6,
    );
    expect(one.humanVsScorer.agreementInterval?.upper).toBeCloseTo(
      KAPPA_WORKED_EXAMPLE.agreementInterval.upper,
      6,
    );
    const both = reviewStatistics({ ...input, items: reviewed }).metrics[0];
    expect(both.humanVsHuman.alpha).toBeCloseTo(KAPPA_WORKED_EXAMPLE.alpha, 9);
    expect(both.humanVsHuman.agreement).toBeCloseTo(KAPPA_WORKED_EXAMPLE.reviewersAgreement, 12);
  });
});
