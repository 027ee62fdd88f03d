import { comparePairedPassFail, comparePairedScores, mcnemarExact } from './paired';

/** Pairs from the 2×2 table of a paired comparison. */
const table = (both: number, onlyA: number, onlyB: number, neither: number): { a: boolean; b: boolean }[] => [
  ...Array.from({ length: both }, () => ({ a: true, b: true })),
  ...Array.from({ length: onlyA }, () => ({ a: true, b: false })),
  ...Array.from({ length: onlyB }, () => ({ a: false, b: true })),
  ...Array.from({ length: neither }, () => ({ a: false, b: false })),
];

describe('mcnemarExact', () => {
  // 2·P(X ≤ min) for X ~ Bin(b + c, 1/2), capped at 1: R's binom.test(min(b, c), b + c)$p.value. The values
  // are exact sums of binomial coefficients (Python math.comb). 1 and 7 are the Bentur et al. (2009) data,
  // 6 and 16 the Cavo et al. (2012) data, whose exact conditional p-values Fagerland, Lydersen and Laake
  // (2013, BMC Med Res Methodol 13:91) give as 0.070 and 0.052.
  it.each([
    [1, 7, 0.0703125],
    [7, 1, 0.0703125],
    [6, 16, 0.052478790283203125],
    [0, 5, 0.0625],
    [10, 2, 0.03857421875],
    [3, 3, 1],
    [0, 1, 1],
    [0, 0, 1],
  ])('onlyA %p, onlyB %p → %p', (onlyA, onlyB, p) => {
    expect(mcnemarExact(onlyA, onlyB)).toBeCloseTo(p, 10);
  });

  it.each([
    [-1, 2],
    [1.5, 2],
    [2, Number.NaN],
  ])('rejects %p, %p', (onlyA, onlyB) => {
    expect(() => mcnemarExact(onlyA, onlyB)).toThrow(RangeError);
  });
});

describe('comparePairedPassFail', () => {
  // Newcombe's paired interval (method 10 with the continuity-adjusted correlation). Cavo et al. (2012):
  // R package contingencytables, Newcombe_square_and_add_CI_paired_2x2 (its test suite prints −0.0621,
  // −0.1186 to −0.0046). The others from an independent Python implementation of the same formulas; the
  // 36/2/12/0 table is example (a) of Newcombe (1998), Stat Med 17:2635–2650.
  it.each([
    ['Cavo et al. 2012', 59, 16, 6, 80, -0.0621, -0.1186, -0.0046],
    ['Bentur et al. 2009', 1, 7, 1, 12, -0.2857, -0.5069, -0.0256],
    ['Newcombe 1998 (a)', 36, 2, 12, 0, 0.2, 0.0569, 0.3404],
    ['all concordant', 5, 0, 0, 5, 0, -0.1666, 0.1666],
    ['all passed both', 10, 0, 0, 0, 0, -0.2775, 0.2775],
  ])('%s', (_, both, onlyA, onlyB, neither, difference, lower, upper) => {
    const result = comparePairedPassFail(table(both, onlyA, onlyB, neither), { seed: 1 });
    const n = both + onlyA + onlyB + neither;
    expect(result).toMatchObject({ n, onlyA, onlyB, test: 'mcnemar_exact' });
    expect(result.aRate).toBeCloseTo((both + onlyA) / n, 12);
    expect(result.bRate).toBeCloseTo((both + onlyB) / n, 12);
    expect(result.difference).toBeCloseTo(difference, 4);
    expect(result.interval).toMatchObject({ level: 0.95, method: 'newcombe' });
    expect(result.interval?.lower).toBeCloseTo(lower, 4);
    expect(result.interval?.upper).toBeCloseTo(upper, 4);
    expect(result.interval?.lower).toBeLessThanOrEqual(result.difference ?? Number.NaN);
    expect(result.interval?.upper).toBeGreaterThanOrEqual(result.difference ?? Number.NaN);
    expect(result.pValue).toBe(mcnemarExact(onlyA, onlyB));
  });

  it('mirrors when A and B swap', () => {
    const ab = comparePairedPassFail(table(59, 16, 6, 80), { seed: 1 });
    const ba = comparePairedPassFail(table(59, 6, 16, 80), { seed: 1 });
    expect(ba.difference).toBeCloseTo(-(ab.difference ?? 0), 12);
    expect(ba.interval?.lower).toBeCloseTo(-(ab.interval?.upper ?? 0), 12);
    expect(ba.interval?.upper).toBeCloseTo(-(ab.interval?.lower ?? 0), 12);
  });

  it('is empty with no pairs', () => {
    expect(comparePairedPassFail([], { seed: 1 })).toEqual({
      n: 0,
      aRate: null,
      bRate: null,
      difference: null,
      interval: null,
      onlyA: 0,
      onlyB: 0,
      pValue: 1,
      test: 'mcnemar_exact',
    });
  });

  it('rejects a bad level', () => {
    expect(() => comparePairedPassFail(table(1, 1, 1, 1), { seed: 1, level: 1.5 })).toThrow(RangeError);
  });
});

describe('comparePairedScores', () => {
  const pairs = (differences: number[]): { a: number; b: number }[] =>
    differences.map((d, i) => ({ a: i / 10, b: i / 10 + d }));

  it('estimates the mean paired difference with an interval that contains it', () => {
    const result = comparePairedScores(pairs([0.3, -0.1, 0.4, 0.2, 0.0, 0.5, 0.1, 0.3]), { seed: 1 });
    expect(result).toMatchObject({ n: 8, test: 'paired_bootstrap' });
    expect(result.meanA).toBeCloseTo(0.35, 12);
    expect(result.meanB).toBeCloseTo(0.5625, 12);
    expect(result.difference).toBeCloseTo(0.2125, 12);
    expect(result.interval).toMatchObject({ level: 0.95, method: 'bootstrap' });
    expect(result.interval?.lower).toBeLessThan(0.2125);
    expect(result.interval?.upper).toBeGreaterThan(0.2125);
  });

  it('is deterministic for a seed and depends on it', () => {
    const data = pairs([0.3, -0.1, 0.4, 0.2, 0.0, 0.5, 0.1, 0.3]);
    expect(comparePairedScores(data, { seed: 2 })).toEqual(comparePairedScores(data, { seed: 2 }));
    expect(comparePairedScores(data, { seed: 2 }).interval).not.toEqual(
      comparePairedScores(data, { seed: 3 }).interval,
    );
  });

  // The sign-flip test of d = 1..5 is exact over 2⁵ patterns: only all-plus and all-minus reach |mean| ≥ 3,
  // so p = 2/32 = 0.0625; ten equal differences give 2/1024. The Monte Carlo estimate has sd ≈ 0.0017 at
  // 20 000 resamples.
  it.each([
    [[1, 2, 3, 4, 5], 0.0625, 0.01],
    [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2 / 1024, 0.002],
  ])('sign-flip p-value of %p ≈ %p', (differences, p, tolerance) => {
    const result = comparePairedScores(pairs(differences), { seed: 4, resamples: 20000 });
    expect(Math.abs(result.pValue - p)).toBeLessThan(tolerance);
  });

  it('gives p = 1 and a collapsed interval when nothing changed', () => {
    const result = comparePairedScores(
      [0.2, 0.5, 0.9].map((a) => ({ a, b: a })),
      { seed: 5 },
    );
    expect(result).toMatchObject({ difference: 0, pValue: 1, interval: { lower: 0, upper: 0 } });
  });

  it('is empty with no pairs', () => {
    expect(comparePairedScores([], { seed: 6 })).toEqual({
      n: 0,
      meanA: null,
      meanB: null,
      difference: null,
      interval: null,
      pValue: 1,
      test: 'paired_bootstrap',
    });
  });
});
