import { cohensKappa } from '../statistics/kappa';
import { exactUpperBound, wilsonInterval } from '../statistics/proportions';
import { type ReviewVerdicts } from './review-labels';
import { type SampleStratum } from './review-sample';
import {
  type ReviewedItem,
  type ReviewedMetric,
  reviewStatistics,
  type ReviewStatisticsInput,
} from './review-statistics';

const JUDGE: ReviewedMetric = { name: 'helpful', scorer: 'rubric_judge', judge: true };
const REFUSAL: ReviewedMetric = { name: 'refusal', scorer: 'refusal', judge: false };

const stratum = (key: string, population: number, drawn: number): SampleStratum => ({
  key,
  failed: null,
  judged: null,
  group: null,
  population,
  drawn,
});

/** A review that reads the item as `passed` against a scorer that said `scorer`, for one metric. */
const verdict = (scorer: boolean, passed: boolean): ReviewVerdicts[string] => ({ agree: scorer === passed });

/** An item of stratum `all` whose judge metric the scorer read as `scorer`, with these people's readings. */
const item = (
  position: number,
  scorer: boolean,
  people: Record<string, boolean>,
  options: { stratum?: string; independent?: boolean } = {},
): ReviewedItem => ({
  position,
  stratum: options.stratum ?? 'all',
  readings: { [JUDGE.name]: { passed: scorer, value: scorer ? 1 : 0 } },
  reviews: Object.entries(people).map(([reviewer, passed]) => ({
    reviewer,
    independent: options.independent ?? true,
    verdicts: { [JUDGE.name]: verdict(scorer, passed) },
  })),
});

const input = (
  items: ReviewedItem[],
  overrides: Partial<ReviewStatisticsInput> = {},
): ReviewStatisticsInput => ({
  strata: [stratum('all', 1000, items.length)],
  items,
  metrics: [JUDGE],
  seed: 42,
  independentOnly: false,
  resamples: 500,
  ...overrides,
});

/**
 * The worked example of Cohen's kappa in Wikipedia's "Cohen's kappa" article (from the standard texts):
 * 50 proposals read by two raters, a = 20 both yes, b = 5 the first only, c = 10 the second only, d = 15
 * both no: p_o = 0.70, p_e = 0.5·0.6 + 0.5·0.4 = 0.50, κ = 0.40. Here the judge is the first rater and
 * reviewer `ann` the second, "yes" meaning pass: items 1–20 both pass, 21–25 the judge passes and ann
 * fails, 26–35 the judge fails and ann passes, 36–50 both fail. The API's end-to-end test records the
 * same table through the review pages.
 */
const KAPPA_TABLE: readonly [judge: boolean, ann: boolean, count: number][] = [
  [true, true, 20],
  [true, false, 5],
  [false, true, 10],
  [false, false, 15],
];

/**
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example A: binary data, two observers,
 * ten units, observer 1 `0100000010`, observer 2 `1110010000`, alpha = 0.095. Ann is observer 1 (0 = pass)
 * on ten items of the kappa table: the first eight of its both-pass cell and the first two of its
 * both-fail cell; bob is observer 2 on the same items.
 */
const ALPHA_A_ANN = '0100000010';
const ALPHA_A_BOB = '1110010000';
const ALPHA_A_POSITIONS = [1, 36, 2, 3, 4, 5, 6, 7, 37, 8];

function kappaExample(withBob: boolean): ReviewedItem[] {
  const items = KAPPA_TABLE.flatMap(([judge, ann, count]) =>
    Array.from({ length: count }, () => ({ judge, ann })),
  ).map(({ judge, ann }, i) => item(i + 1, judge, { ann }));
  if (withBob) {
    ALPHA_A_POSITIONS.forEach((position, unit) => {
      const reviewed = items[position - 1];
      const scorer = reviewed.readings[JUDGE.name].passed === true;
      expect(reviewed.reviews[0].verdicts[JUDGE.name]).toEqual(verdict(scorer, ALPHA_A_ANN[unit] === '0'));
      reviewed.reviews.push({
        reviewer: 'bob',
        independent: true,
        verdicts: { [JUDGE.name]: verdict(scorer, ALPHA_A_BOB[unit] === '0') },
      });
    });
  }
  return items;
}

describe('reviewStatistics: the published worked examples', () => {
  it("reproduces Cohen's kappa 0.40 and raw agreement 0.70 (Wilson 0.5625–0.8090) for judge vs one reviewer", () => {
    const stats = reviewStatistics(input(kappaExample(false)));
    const judge = stats.metrics[0];
    expect(judge).toMatchObject({ metric: 'helpful', scorer: 'rubric_judge', judge: true });
    expect(judge.reviewedItems).toBe(50);
    expect(judge.reviews).toBe(50);
    expect(judge.humanVsScorer.n).toBe(50);
    expect(judge.humanVsScorer.agreement).toBeCloseTo(0.7, 12);
    expect(judge.humanVsScorer.kappa).toBeCloseTo(0.4, 12);
    // Wilson 35/50 by hand (z = 1.959964): centre 36.9207/53.8415, half-width 6.6351/53.8415. (The
    // Wilson interval itself is checked against Newcombe (1998), Table II, in statistics/proportions.spec.ts.)
    expect(judge.humanVsScorer.agreementInterval).toEqual(wilsonInterval(35, 50));
    expect(judge.humanVsScorer.agreementInterval?.lower).toBeCloseTo(0.562496, 6);
    expect(judge.humanVsScorer.agreementInterval?.upper).toBeCloseTo(0.808964, 6);
    expect(judge.humanVsScorer.kappaInterval).toMatchObject({ level: 0.95, method: 'bootstrap' });
    expect(judge.humanVsScorer.kappaInterval?.lower).toBeLessThan(0.4);
    expect(judge.humanVsScorer.kappaInterval?.upper).toBeGreaterThan(0.4);
    // One reviewer: no item has two, so there is no agreement between people.
    expect(judge.humanVsHuman).toEqual({ items: 0, alpha: null, alphaInterval: null, agreement: null });
    expect(stats).toMatchObject({ items: 50, reviewedItems: 50, reviewers: 1, independentOnly: false });
  });

  it("reproduces Krippendorff's alpha 0.095 (example A) when a second reviewer reads ten of the items", () => {
    const judge = reviewStatistics(input(kappaExample(true))).metrics[0];
    expect(judge.humanVsHuman.items).toBe(10);
    expect(judge.humanVsHuman.alpha).toBeCloseTo(0.095238095238, 9);
    // Ann and bob read 6 of the 10 items alike.
    expect(judge.humanVsHuman.agreement).toBeCloseTo(0.6, 12);
    expect(judge.humanVsHuman.alphaInterval).toMatchObject({ level: 0.95, method: 'bootstrap' });
    // Pooled: bob adds a = 5, b = 3, c = 1, d = 1 to the table: p_o = 41/60, p_e = 0.55·0.6 + 0.45·0.4 = 0.51.
    expect(judge.humanVsScorer.n).toBe(60);
    expect(judge.humanVsScorer.agreement).toBeCloseTo(41 / 60, 12);
    expect(judge.humanVsScorer.kappa).toBeCloseTo((41 / 60 - 0.51) / 0.49, 12);
    expect(judge.humanVsScorer.kappa).toBeCloseTo(
      cohensKappa([
        [25, 8],
        [11, 16],
      ]) ?? Number.NaN,
      12,
    );
    expect(judge.reviews).toBe(60);
  });

  it('reads agreement between people from their blind first revisions: looking, then copying, changes nothing', () => {
    const blind = reviewStatistics(input(kappaExample(true))).metrics[0];
    // Bob revises each of his ten reviews to what ann said (as if he had read her review in the export
    // after giving his own): his current readings now match hers, his first ones are kept as blind.
    const copied = kappaExample(true).map((entry) => {
      const ann = entry.reviews.find((r) => r.reviewer === 'ann');
      return {
        ...entry,
        reviews: entry.reviews.map((review) =>
          review.reviewer === 'bob' && ann
            ? { ...review, verdicts: ann.verdicts, blindVerdicts: review.verdicts }
            : review,
        ),
      };
    });
    const revised = reviewStatistics(input(copied)).metrics[0];
    expect(revised.humanVsHuman.alpha).toBeCloseTo(0.095238095238, 9);
    expect(revised.humanVsHuman.agreement).toBeCloseTo(0.6, 12);
    expect(revised.humanVsHuman.alphaInterval).toEqual(blind.humanVsHuman.alphaInterval);
    // Against the judge the current readings count: on those ten items ann agrees with the judge throughout
    // (eight both pass, two both fail), so bob's copies add ten agreements to ann's 35: 45 of 60.
    expect(revised.humanVsScorer.agreement).toBeCloseTo(45 / 60, 12);
    expect(revised.humanVsScorer.agreement).not.toBeCloseTo(blind.humanVsScorer.agreement ?? 0, 6);
  });

  it('gives the exact Clopper–Pearson bound as the corrected failure rate of one stratum read unanimously', () => {
    const judge = reviewStatistics(input(kappaExample(false))).metrics[0];
    // Ann reads 5 + 15 = 20 of 50 as failing; the judge failed 10 + 15 = 25.
    expect(judge.corrected).toMatchObject({
      n: 50,
      value: 0.4,
      scorerValue: 0.5,
      coverage: 1,
      method: 'simple',
    });
    expect(judge.corrected.upper95).toBe(exactUpperBound(20, 50));
    // scipy.stats.beta.ppf: 0.025 of Beta(20, 31), 0.975 of Beta(21, 30), 0.95 of Beta(21, 30).
    expect(judge.corrected.interval).toMatchObject({ level: 0.95, method: 'clopper_pearson' });
    expect(judge.corrected.interval?.lower).toBeCloseTo(0.264078, 5);
    expect(judge.corrected.interval?.upper).toBeCloseTo(0.548206, 5);
    expect(judge.corrected.upper95).toBeCloseTo(0.52612, 5);
  });
});

/** A two-metric item: the judge and the refusal scorer's readings, and per reviewer their verdicts. */
const twoMetricItem = (
  position: number,
  stratum: string,
  scorer: { helpful: boolean | null; refusal: boolean | null },
  people: Record<string, { helpful?: boolean; refusal?: boolean; independent?: boolean }>,
): ReviewedItem => ({
  position,
  stratum,
  readings: {
    helpful: { passed: scorer.helpful, value: null },
    refusal: { passed: scorer.refusal, value: null },
  },
  reviews: Object.entries(people).map(([reviewer, said]) => ({
    reviewer,
    independent: said.independent ?? true,
    verdicts: Object.fromEntries(
      (['helpful', 'refusal'] as const)
        .filter((metric) => said[metric] !== undefined)
        .map((metric) => [metric, { agree: false, correctedPassed: said[metric] }]),
    ),
  })),
});

describe('reviewStatistics: the design-weighted corrected failure rate', () => {
  // The hand-worked example of survey-proportion.spec.ts: a run of 1,000 items, 100 the judge failed and
  // 900 it passed, 10 reviewed from each; the reviewer finds 5 and 1 failing. p = 0.1·0.5 + 0.9·0.1 =
  // 0.14, v = 0.00826, n* = 14.576, Korn–Graubard upper95 0.375738 and interval 0.017992–0.417572 (scipy).
  const strata = [stratum('failed', 100, 10), stratum('passed', 900, 10)];
  const items = [
    ...Array.from({ length: 10 }, (_, i) => item(i + 1, false, { ann: i >= 5 }, { stratum: 'failed' })),
    ...Array.from({ length: 10 }, (_, i) => item(i + 11, true, { ann: i !== 0 }, { stratum: 'passed' })),
  ];

  it('weights the strata back to the run (Korn–Graubard interval)', () => {
    const { corrected } = reviewStatistics(input(items, { strata })).metrics[0];
    expect(corrected.method).toBe('design_weighted');
    expect(corrected.n).toBe(20);
    expect(corrected.value).toBeCloseTo(0.14, 12);
    expect(corrected.coverage).toBe(1);
    expect(corrected.upper95).toBeCloseTo(0.375738, 5);
    expect(corrected.interval).toMatchObject({ level: 0.95, method: 'clopper_pearson' });
    expect(corrected.interval?.lower).toBeCloseTo(0.017992, 5);
    expect(corrected.interval?.upper).toBeCloseTo(0.417572, 5);
    // The judge failed every item of `failed` and none of `passed`: 0.1 of the run, weighted the same way.
    expect(corrected.scorerValue).toBeCloseTo(0.1, 12);
  });

  it('renormalises over the strata reviewed so far and says how much of the run they cover', () => {
    const withUnreviewed = [...strata, stratum('judged', 1000, 5)];
    const { corrected } = reviewStatistics(input(items, { strata: withUnreviewed })).metrics[0];
    expect(corrected.value).toBeCloseTo(0.14, 12);
    expect(corrected.coverage).toBeCloseTo(0.5, 12);
  });

  it('leaves items of a stratum the sample does not have out of the rate, not out of agreement', () => {
    const stray = item(21, true, { ann: false }, { stratum: 'unknown' });
    const metric = reviewStatistics(input([...items, stray], { strata })).metrics[0];
    expect(metric.corrected.n).toBe(20);
    expect(metric.corrected.value).toBeCloseTo(0.14, 12);
    expect(metric.humanVsScorer.n).toBe(21);
  });

  it('counts an item two people read differently as half failing', () => {
    const split = [item(1, true, { ann: true, bob: false }), item(2, true, { ann: true, bob: true })];
    const { corrected, humanVsHuman } = reviewStatistics(input(split)).metrics[0];
    expect(corrected.value).toBe(0.25);
    expect(corrected.n).toBe(2);
    // One stratum: Clopper–Pearson on 0.5 of 2.
    expect(humanVsHuman).toMatchObject({ items: 2, agreement: 0.5 });
  });

  it('is null with no reviewed items, with coverage 0', () => {
    const unreviewed = [item(1, true, {}), item(2, false, {})];
    const stats = reviewStatistics(input(unreviewed));
    expect(stats.metrics[0].corrected).toEqual({
      n: 0,
      value: null,
      interval: null,
      upper95: null,
      scorerValue: null,
      coverage: 0,
      method: 'simple',
    });
    expect(stats.metrics[0].humanVsScorer).toEqual({
      n: 0,
      agreement: null,
      agreementInterval: null,
      kappa: null,
      kappaInterval: null,
    });
    expect(stats).toMatchObject({ items: 2, reviewedItems: 0, reviewers: 0 });
  });
});

describe('reviewStatistics: what is counted', () => {
  it('counts only independent reviews when asked, and the distinct reviewers counted', () => {
    const items = [
      item(1, true, { ann: true }, { independent: true }),
      item(2, false, { ann: false }, { independent: true }),
      item(3, true, { owner: false }, { independent: false }),
      item(4, false, { owner: true }, { independent: false }),
    ];
    const everyone = reviewStatistics(input(items));
    const independent = reviewStatistics(input(items, { independentOnly: true }));
    expect(everyone).toMatchObject({ reviewers: 2, reviewedItems: 4, independentOnly: false });
    expect(everyone.metrics[0].humanVsScorer).toMatchObject({ n: 4, agreement: 0.5 });
    expect(independent).toMatchObject({ reviewers: 1, reviewedItems: 2, independentOnly: true });
    expect(independent.metrics[0]).toMatchObject({ reviewedItems: 2, reviews: 2 });
    expect(independent.metrics[0].humanVsScorer).toMatchObject({ n: 2, agreement: 1, kappa: 1 });
  });

  it('counts a reviewer listed twice on an item once, by the later entry', () => {
    const twice = item(1, true, { ann: true });
    twice.reviews.push({
      reviewer: 'ann',
      independent: true,
      verdicts: { [JUDGE.name]: verdict(true, false) },
    });
    const metric = reviewStatistics(input([twice, item(2, false, { ann: false })])).metrics[0];
    expect(metric.reviews).toBe(2);
    expect(metric.humanVsScorer).toMatchObject({ n: 2, agreement: 0.5 });
  });

  it('skips readings that cannot be told, but counts a corrected verdict on an unscored item', () => {
    const items = [
      twoMetricItem(1, 'all', { helpful: null, refusal: true }, { ann: { refusal: true } }),
      {
        ...twoMetricItem(2, 'all', { helpful: null, refusal: true }, {}),
        reviews: [
          // Agreeing with an unscored verdict says nothing: null, skipped.
          {
            reviewer: 'ann',
            independent: true,
            verdicts: { helpful: { agree: true }, refusal: { agree: true } },
          },
          // A corrected verdict is a reading even when the scorer gave none.
          {
            reviewer: 'bob',
            independent: true,
            verdicts: { helpful: { agree: false, correctedPassed: false } },
          },
        ],
      },
    ];
    const [helpful, refusal] = reviewStatistics(input(items, { metrics: [JUDGE, REFUSAL] })).metrics;
    expect(helpful).toMatchObject({ reviewedItems: 1, reviews: 2 });
    expect(helpful.humanVsScorer.n).toBe(0);
    expect(helpful.corrected).toMatchObject({ n: 1, value: 1, scorerValue: null });
    expect(refusal).toMatchObject({ reviewedItems: 2, reviews: 2 });
    expect(refusal.humanVsScorer).toMatchObject({ n: 2, agreement: 1, kappa: null, kappaInterval: null });
  });

  it('reads no metric or verdict from Object.prototype (metrics named __proto__, constructor)', () => {
    const metrics = ['__proto__', 'constructor', 'toString'].map((name) => ({
      name,
      scorer: 'exact',
      judge: false,
    }));
    const stats = reviewStatistics(input(kappaExample(false).slice(0, 5), { metrics }));
    for (const metric of stats.metrics) {
      expect(metric).toMatchObject({
        reviewedItems: 0,
        reviews: 0,
        humanVsScorer: { n: 0 },
        corrected: { n: 0 },
      });
    }
    // Own keys of those names (as JSON.parse makes them) are read.
    const parsed = JSON.parse(
      '{"position":1,"stratum":"all","readings":{"__proto__":{"passed":true,"value":1}},' +
        '"reviews":[{"reviewer":"ann","independent":true,"verdicts":{"__proto__":{"agree":false}}}]}',
    ) as ReviewedItem;
    const own = reviewStatistics(input([parsed], { metrics: metrics.slice(0, 1) })).metrics[0];
    expect(own).toMatchObject({ reviews: 1, humanVsScorer: { n: 1, agreement: 0 }, corrected: { value: 1 } });
  });

  it('reads the item as failing when any metric a reviewer read fails it (anyFailure)', () => {
    const items = [
      twoMetricItem(1, 'all', { helpful: true, refusal: true }, { ann: { helpful: true, refusal: false } }),
      twoMetricItem(2, 'all', { helpful: true, refusal: false }, { ann: { helpful: true, refusal: true } }),
      twoMetricItem(3, 'all', { helpful: true, refusal: true }, { ann: { helpful: true } }),
      twoMetricItem(4, 'all', { helpful: false, refusal: null }, { ann: {} }),
    ];
    const stats = reviewStatistics(input(items, { metrics: [JUDGE, REFUSAL] }));
    // Ann: item 1 fails (refusal), 2 and 3 pass, item 4 has no reading → 1 of 3.
    expect(stats.anyFailure).toMatchObject({ n: 3, method: 'simple', coverage: 1 });
    expect(stats.anyFailure.value).toBeCloseTo(1 / 3, 12);
    // The scorers fail item 2 (refusal) of the same three.
    expect(stats.anyFailure.scorerValue).toBeCloseTo(1 / 3, 12);
    expect(stats.anyFailure.upper95).toBe(exactUpperBound(1, 3));
    expect(stats.reviewedItems).toBe(4);
  });

  it('gives null agreement statistics and an empty list for no metrics', () => {
    const stats = reviewStatistics(input([], { metrics: [] }));
    expect(stats).toMatchObject({ items: 0, reviewedItems: 0, reviewers: 0, metrics: [] });
    expect(stats.anyFailure).toMatchObject({ n: 0, value: null, upper95: null });
  });
});

describe('reviewStatistics: intervals', () => {
  it('is deterministic for the seed, and the bootstrap intervals change with it', () => {
    const items = kappaExample(true);
    const a = reviewStatistics(input(items, { seed: 1 }));
    expect(reviewStatistics(input(items, { seed: 1 }))).toEqual(a);
    const b = reviewStatistics(input(items, { seed: 2 }));
    expect(b.metrics[0].humanVsScorer.kappaInterval).not.toEqual(a.metrics[0].humanVsScorer.kappaInterval);
    expect(b.metrics[0].humanVsScorer.agreementInterval).toEqual(
      a.metrics[0].humanVsScorer.agreementInterval,
    );
  });

  it("gives one metric's intervals regardless of the other metrics", () => {
    const items = kappaExample(true).map((one, i) => ({
      ...one,
      readings: { ...one.readings, refusal: { passed: i % 3 === 0, value: null } },
      reviews: one.reviews.map((review) => ({
        ...review,
        verdicts: { ...review.verdicts, refusal: { agree: i % 5 !== 0 } },
      })),
    }));
    const alone = reviewStatistics(input(items)).metrics[0];
    const together = reviewStatistics(input(items, { metrics: [REFUSAL, JUDGE] })).metrics[1];
    expect(together).toEqual(alone);
  });

  it('has no kappa where chance explains all agreement (everyone passes everything)', () => {
    const items = Array.from({ length: 12 }, (_, i) => item(i + 1, true, { ann: true, bob: true }));
    const metric = reviewStatistics(input(items)).metrics[0];
    expect(metric.humanVsScorer).toMatchObject({ n: 24, agreement: 1, kappa: null, kappaInterval: null });
    expect(metric.humanVsScorer.agreementInterval?.upper).toBe(1);
    expect(metric.humanVsHuman).toMatchObject({ items: 12, alpha: null, alphaInterval: null, agreement: 1 });
    expect(metric.corrected).toMatchObject({ value: 0, upper95: exactUpperBound(0, 12) });
  });

  it('brackets kappa and alpha with their bootstrap intervals, narrower with more items', () => {
    const small = reviewStatistics(input(kappaExample(true), { resamples: 2000 })).metrics[0];
    const fourfold = [0, 1, 2, 3].flatMap((copy) =>
      kappaExample(true).map((one) => ({ ...one, position: one.position + 50 * copy })),
    );
    const large = reviewStatistics(input(fourfold, { resamples: 2000 })).metrics[0];
    expect(large.humanVsScorer.kappa).toBeCloseTo(small.humanVsScorer.kappa ?? Number.NaN, 12);
    const width = (i: { lower: number; upper: number } | null) => (i ? i.upper - i.lower : Number.NaN);
    for (const stats of [small, large]) {
      const { kappa, kappaInterval } = stats.humanVsScorer;
      expect(kappaInterval?.lower).toBeLessThan(kappa ?? Number.NaN);
      expect(kappaInterval?.upper).toBeGreaterThan(kappa ?? Number.NaN);
      const { alpha, alphaInterval } = stats.humanVsHuman;
      expect(alphaInterval?.lower).toBeLessThan(alpha ?? Number.NaN);
      expect(alphaInterval?.upper).toBeGreaterThan(alpha ?? Number.NaN);
    }
    // Four times the items: about half the width.
    expect(width(large.humanVsScorer.kappaInterval)).toBeLessThan(
      0.65 * width(small.humanVsScorer.kappaInterval),
    );
    expect(width(large.humanVsHuman.alphaInterval)).toBeLessThan(
      0.65 * width(small.humanVsHuman.alphaInterval),
    );
  });

  it("computes each replicate's kappa and alpha as the point estimates are computed", () => {
    // Every item alike (judge passes, one person passes, one fails, one passes): every replicate has the
    // same sums as the sample, so both intervals collapse onto the point estimates.
    const items = Array.from({ length: 30 }, (_, i) =>
      item(i + 1, true, { ann: true, bob: false, cy: true }),
    );
    const metric = reviewStatistics(input(items)).metrics[0];
    // Pairs: 60 agree, 30 do not; p_e = 1 · 2/3: kappa = (2/3 − 2/3) / (1/3) = 0.
    expect(metric.humanVsScorer.kappa).toBeCloseTo(0, 12);
    expect(metric.humanVsScorer.kappaInterval?.lower).toBeCloseTo(0, 12);
    expect(metric.humanVsScorer.kappaInterval?.upper).toBeCloseTo(0, 12);
    // Alpha: n = 90, Σ o_cc = 30 · (2·1/2) = 30, n_pass = 60, n_fail = 30: 1 − 89 · 60 / (8100 − 4500).
    const alpha = 1 - (89 * 60) / 3600;
    expect(metric.humanVsHuman.alpha).toBeCloseTo(alpha, 12);
    expect(metric.humanVsHuman.alphaInterval?.lower).toBeCloseTo(alpha, 12);
    expect(metric.humanVsHuman.alphaInterval?.upper).toBeCloseTo(alpha, 12);
  });

  it.each<[string, Partial<ReviewStatisticsInput>, RegExp]>([
    ['no resamples', { resamples: 0 }, /^resamples must be a positive integer/],
    ['fractional resamples', { resamples: 1.5 }, /^resamples must be a positive integer/],
    ['a fractional seed', { seed: 0.5 }, /^seed must be a safe integer/],
  ])('rejects %s', (_, overrides, message) => {
    expect(() => reviewStatistics(input(kappaExample(false), overrides))).toThrow(message);
  });
});

describe('reviewStatistics: performance', () => {
  it('handles 2,000 items × 3 reviewers × 5 metrics with 2,000 resamples quickly', () => {
    const metrics = Array.from({ length: 5 }, (_, m) => ({
      name: `m${m}`,
      scorer: 'rubric_judge',
      judge: true,
    }));
    let state = 1;
    const coin = (p: number) => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647 < p;
    };
    const items: ReviewedItem[] = Array.from({ length: 2000 }, (_, i) => {
      const readings = Object.fromEntries(metrics.map((m) => [m.name, { passed: coin(0.8), value: null }]));
      return {
        position: i + 1,
        stratum: `s${i % 4}`,
        readings,
        reviews: ['ann', 'bob', 'cy'].map((reviewer) => ({
          reviewer,
          independent: true,
          verdicts: Object.fromEntries(metrics.map((m) => [m.name, { agree: coin(0.85) }])),
        })),
      };
    });
    // Load the Beta quantile's modules (a one-off 0.5 s under Jest) before the clock starts.
    reviewStatistics(input(kappaExample(false), { resamples: 1 }));
    const started = performance.now();
    const stats = reviewStatistics({
      strata: [0, 1, 2, 3].map((h) => stratum(`s${h}`, 5000 * (h + 1), 500)),
      items,
      metrics,
      seed: 3,
      independentOnly: true,
      resamples: 2000,
    });
    const elapsed = performance.now() - started;
    expect(stats.metrics).toHaveLength(5);
    expect(stats.metrics.every((m) => m.humanVsScorer.kappaInterval && m.humanVsHuman.alphaInterval)).toBe(
      true,
    );
    expect(stats.reviewers).toBe(3);
    // 0.4 s measured here with the box's load average at 9 (0.3 s of it reading the reviews, 0.1 s the ten
    // bootstraps sharing their draws); the bound leaves room for a loaded CI machine.
    expect(elapsed).toBeLessThan(4000);
  });
});
