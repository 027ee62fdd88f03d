import { clopperPearsonInterval, exactUpperBound } from './proportions';
import {
  clopperPearsonBounds,
  kornGraubardBounds,
  SINGLETON_STRATUM_VARIANCE,
  stratifiedProportion,
} from './survey-proportion';

const ones = (count: number, of: number): number[] =>
  Array.from({ length: of }, (_, i) => (i < count ? 1 : 0));

describe('stratifiedProportion', () => {
  // Worked by hand with the textbook formulas (Cochran 1977, "Sampling Techniques", eqs. 5.1 and 5.6;
  // Lohr, "Sampling: Design and Analysis", §3.2): a run of 1,000 items, 100 the judge failed and 900 it
  // passed; 10 reviewed from each (failures over-sampled nine-fold). Reviewers find 5 of 10 and 1 of 10.
  //   W = (0.1, 0.9), ȳ = (0.5, 0.1): p = 0.05 + 0.09 = 0.14 (the unweighted 6/20 = 0.30 overstates it).
  //   s² = (10/9 · 0.25, 10/9 · 0.09) = (0.27778, 0.1); 1 − f = (0.9, 0.98889).
  //   v = 0.01 · 0.9 · 0.27778 / 10 + 0.81 · 0.98889 · 0.1 / 10 = 0.00025 + 0.00801 = 0.00826.
  it('weights stratum means by population share (a hand-worked two-stratum example)', () => {
    const estimate = stratifiedProportion([
      { population: 100, values: ones(5, 10) },
      { population: 900, values: ones(1, 10) },
    ]);
    expect(estimate).not.toBeNull();
    expect(estimate?.value).toBeCloseTo(0.14, 12);
    expect(estimate?.variance).toBeCloseTo(0.00826, 12);
    expect(estimate).toMatchObject({ n: 20, coverage: 1, strata: 2 });
  });

  it('gives the plain mean under proportional allocation, whatever the stratum sizes', () => {
    let state = 7;
    const next = () => {
      state = (state * 16807) % 2147483647;
      return state / 2147483647;
    };
    for (let trial = 0; trial < 200; trial++) {
      const strata = Array.from({ length: 1 + Math.floor(next() * 6) }, () => {
        const drawn = 1 + Math.floor(next() * 20);
        return {
          population: drawn * 25,
          values: Array.from({ length: drawn }, () => (next() < 0.3 ? 1 : 0)),
        };
      });
      const all = strata.flatMap((s) => s.values);
      const plain = all.reduce((a: number, b) => a + b, 0) / all.length;
      expect(stratifiedProportion(strata)?.value).toBeCloseTo(plain, 12);
    }
  });

  it('renormalises over strata with observations and reports the coverage', () => {
    const estimate = stratifiedProportion([
      { population: 300, values: ones(3, 6) },
      { population: 600, values: ones(0, 6) },
      { population: 100, values: [] },
    ]);
    // W over the covered 900: (1/3, 2/3) → p = 0.5/3 = 0.1667; coverage 0.9.
    expect(estimate?.value).toBeCloseTo(1 / 6, 12);
    expect(estimate).toMatchObject({ n: 12, strata: 2 });
    expect(estimate?.coverage).toBeCloseTo(0.9, 12);
  });

  it('gives a stratum of one observation the conservative variance 0.25', () => {
    const estimate = stratifiedProportion([
      { population: 50, values: [0] },
      { population: 50, values: ones(2, 4) },
    ]);
    // 0.25 · (1 − 1/50) · 0.25 / 1 + 0.25 · (1 − 4/50) · (4/3 · 0.25) / 4.
    expect(SINGLETON_STRATUM_VARIANCE).toBe(0.25);
    expect(estimate?.variance).toBeCloseTo(0.25 * 0.98 * 0.25 + (0.25 * 0.92 * (1 / 3)) / 4, 12);
  });

  it('has no variance from a stratum observed in full (finite population correction)', () => {
    const estimate = stratifiedProportion([
      { population: 4, values: [1, 0, 1, 0] },
      { population: 4, values: [1, 1, 1, 1] },
    ]);
    expect(estimate?.value).toBeCloseTo(0.75, 12);
    expect(estimate?.variance).toBe(0);
  });

  it('takes shares of raters (values between 0 and 1)', () => {
    const estimate = stratifiedProportion([{ population: 10, values: [0.5, 1, 0, 0.5] }]);
    expect(estimate?.value).toBe(0.5);
  });

  it('is null with no observation in a stratum with units', () => {
    expect(stratifiedProportion([])).toBeNull();
    expect(stratifiedProportion([{ population: 10, values: [] }])).toBeNull();
    expect(stratifiedProportion([{ population: 0, values: [1] }])).toBeNull();
  });

  it.each<[string, { population: number; values: number[] }]>([
    ['a negative population', { population: -1, values: [] }],
    ['a fractional population', { population: 1.5, values: [] }],
    ['a value above 1', { population: 10, values: [1.5] }],
    ['a NaN value', { population: 10, values: [Number.NaN] }],
  ])('rejects %s', (_, stratum) => {
    expect(() => stratifiedProportion([stratum])).toThrow(RangeError);
  });
});

describe('clopperPearsonBounds', () => {
  it.each([
    [0, 20],
    [1, 29],
    [20, 50],
    [81, 263],
    [10, 10],
  ])('equals the exact interval and bound for integer counts (%p of %p)', (x, n) => {
    const bounds = clopperPearsonBounds(x, n);
    const exact = clopperPearsonInterval(x, n);
    expect(bounds.interval.lower).toBeCloseTo(exact?.lower ?? Number.NaN, 12);
    expect(bounds.interval.upper).toBeCloseTo(exact?.upper ?? Number.NaN, 12);
    expect(bounds.upper).toBeCloseTo(exactUpperBound(x, n) ?? Number.NaN, 12);
    expect(bounds.interval.method).toBe('clopper_pearson');
  });

  it('lies between the neighbouring integer counts for a fractional count', () => {
    const below = clopperPearsonBounds(2, 14);
    const between = clopperPearsonBounds(2.5, 14);
    const above = clopperPearsonBounds(3, 14);
    for (const pick of [
      (b: typeof below) => b.upper,
      (b: typeof below) => b.interval.lower,
      (b: typeof below) => b.interval.upper,
    ]) {
      expect(pick(between)).toBeGreaterThan(pick(below));
      expect(pick(between)).toBeLessThan(pick(above));
    }
  });

  it.each([
    [-1, 10],
    [11, 10],
    [0, 0],
    [1, Number.POSITIVE_INFINITY],
  ])('rejects %p of %p', (x, n) => {
    expect(() => clopperPearsonBounds(x, n)).toThrow(RangeError);
  });
});

describe('kornGraubardBounds', () => {
  // The hand-worked example above: p = 0.14, v = 0.00826, n = 20 → n* = 0.14 · 0.86 / 0.00826 = 14.576,
  // x* = 2.0407. Beta quantiles from scipy.stats.beta.ppf: 0.025 of Beta(x*, n* − x* + 1) = 0.017992,
  // 0.975 of Beta(x* + 1, n* − x*) = 0.417572, 0.95 of the same = 0.375738.
  it('is Clopper–Pearson at the effective sample size of the design', () => {
    const bounds = kornGraubardBounds(0.14, 0.00826, 20);
    expect(bounds.effectiveN).toBeCloseTo(14.576271, 5);
    expect(bounds.interval.lower).toBeCloseTo(0.017992, 5);
    expect(bounds.interval.upper).toBeCloseTo(0.417572, 5);
    expect(bounds.upper).toBeCloseTo(0.375738, 5);
  });

  it('caps the effective n at n: a design never counts for more than its items', () => {
    const bounds = kornGraubardBounds(0.2, 0.0001, 50);
    expect(bounds.effectiveN).toBe(50);
    expect(bounds.upper).toBeCloseTo(exactUpperBound(10, 50) ?? Number.NaN, 12);
  });

  it.each([
    ['no failures', 0, 0],
    ['all failures', 1, 0],
    ['no variance', 0.3, 0],
  ])('uses n itself when the variance says nothing (%s)', (_, p, v) => {
    expect(kornGraubardBounds(p, v, 20).effectiveN).toBe(20);
  });

  it('gives the rule-of-three bound with no failures, and 1 with all', () => {
    expect(kornGraubardBounds(0, 0, 100).upper).toBeCloseTo(1 - 0.05 ** (1 / 100), 12);
    expect(kornGraubardBounds(1, 0, 100)).toMatchObject({ upper: 1, interval: { upper: 1 } });
  });

  it('widens as the variance grows', () => {
    const narrow = kornGraubardBounds(0.1, 0.001, 100);
    const wide = kornGraubardBounds(0.1, 0.004, 100);
    expect(wide.upper).toBeGreaterThan(narrow.upper);
    expect(wide.interval.lower).toBeLessThan(narrow.interval.lower);
  });

  it.each<[number, number, number]>([
    [1.5, 0.01, 10],
    [0.5, -1, 10],
    [0.5, Number.NaN, 10],
    [0.5, 0.01, 0],
    [0.5, 0.01, 2.5],
  ])('rejects p %p, v %p, n %p', (p, v, n) => {
    expect(() => kornGraubardBounds(p, v, n)).toThrow(RangeError);
  });
});
