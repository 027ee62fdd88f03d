import { clopperPearsonInterval, exactUpperBound, normalQuantile, wilsonInterval } from './proportions';

describe('normalQuantile', () => {
  // Reference values: sqrt(2)·erfinv(2p − 1) in mpmath at 30 digits; Acklam's approximation is good to ~1e-9.
  it.each([
    [0.5, 0],
    [0.975, 1.9599639845400543],
    [0.995, 2.575829303548901],
    [0.95, 1.6448536269514726],
    [0.3, -0.5244005127080408],
    [0.02425, -1.972961051311885],
    [0.01, -2.326347874040841],
    [0.001, -3.0902323061678136],
    [1e-6, -4.753424308822899],
    [0.999999, 4.753424308822899],
  ])('Φ⁻¹(%p) = %p', (p, z) => {
    expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8);
  });

  it.each([0, 1, -0.1, Number.NaN])('rejects p = %p', (p) => {
    expect(() => normalQuantile(p)).toThrow(RangeError);
  });
});

// Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven
// methods", Stat Med 17:857–872, Table II: method 3 (Wilson score) and method 5 (Clopper–Pearson exact),
// published to 4 decimals; the same values come out of an mpmath computation (regularised incomplete beta
// inverted by bisection), which also gives the extra rows.
describe('wilsonInterval', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [0, 10, 0, 0.2775],
    [10, 10, 0.7225, 1],
  ])('%p/%p → [%p, %p]', (x, n, lower, upper) => {
    const interval = wilsonInterval(x, n);
    expect(interval).toMatchObject({ level: 0.95, method: 'wilson' });
    expect(interval?.lower).toBeCloseTo(lower, 4);
    expect(interval?.upper).toBeCloseTo(upper, 4);
  });

  it('is exactly 0 or 1 at the boundaries and contains the estimate', () => {
    expect(wilsonInterval(0, 7)?.lower).toBe(0);
    expect(wilsonInterval(7, 7)?.upper).toBe(1);
    for (const [x, n] of [
      [0, 5],
      [1, 5],
      [3, 5],
      [5, 5],
      [81, 263],
    ]) {
      const interval = wilsonInterval(x, n);
      expect(interval?.lower).toBeLessThanOrEqual(x / n);
      expect(interval?.upper).toBeGreaterThanOrEqual(x / n);
    }
  });

  it('uses the level (99%: mpmath gives 0.24014, 0.38528 for 81/263)', () => {
    expect(wilsonInterval(81, 263, 0.99)).toMatchObject({ level: 0.99 });
    expect(wilsonInterval(81, 263, 0.99)?.lower).toBeCloseTo(0.2401369, 5);
    expect(wilsonInterval(81, 263, 0.99)?.upper).toBeCloseTo(0.3852825, 5);
  });

  it('is null for n = 0', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it.each([
    [-1, 10, 0.95],
    [11, 10, 0.95],
    [1.5, 10, 0.95],
    [1, 10.5, 0.95],
    [1, -1, 0.95],
    [1, 10, 0],
    [1, 10, 1],
    [Number.NaN, 10, 0.95],
  ])('rejects successes %p, n %p, level %p', (x, n, level) => {
    expect(() => wilsonInterval(x, n, level)).toThrow(RangeError);
    expect(() => clopperPearsonInterval(x, n, level)).toThrow(RangeError);
    expect(() => exactUpperBound(x, n, level)).toThrow(RangeError);
  });
});

describe('clopperPearsonInterval', () => {
  it.each([
    [81, 263, 0.2527, 0.3676],
    [15, 148, 0.0578, 0.1617],
    [0, 20, 0, 0.1684],
    [1, 29, 0.0009, 0.1776],
    [0, 10, 0, 0.3085],
    [5, 5, 0.4782, 1],
  ])('%p/%p → [%p, %p]', (x, n, lower, upper) => {
    const interval = clopperPearsonInterval(x, n);
    expect(interval).toMatchObject({ level: 0.95, method: 'clopper_pearson' });
    expect(interval?.lower).toBeCloseTo(lower, 4);
    expect(interval?.upper).toBeCloseTo(upper, 4);
  });

  it('uses the level (99%: mpmath gives 0.23684, 0.38626 for 81/263)', () => {
    expect(clopperPearsonInterval(81, 263, 0.99)?.lower).toBeCloseTo(0.2368374, 5);
    expect(clopperPearsonInterval(81, 263, 0.99)?.upper).toBeCloseTo(0.3862583, 5);
  });

  it('is at least as wide as Wilson and null for n = 0', () => {
    const exact = clopperPearsonInterval(15, 148);
    const score = wilsonInterval(15, 148);
    expect(exact?.lower).toBeLessThan(score?.lower ?? 0);
    expect(exact?.upper).toBeGreaterThan(score?.upper ?? 1);
    expect(clopperPearsonInterval(0, 0)).toBeNull();
  });
});

describe('exactUpperBound', () => {
  // With no failures the bound solves (1 − u)^n = 1 − level, so u = 1 − (1 − level)^(1/n) ≈ −ln(0.05)/n ≈ 3/n.
  it.each([1, 10, 30, 100, 1000])('0 failures in %p: 1 − 0.05^(1/n)', (n) => {
    expect(exactUpperBound(0, n)).toBeCloseTo(1 - 0.05 ** (1 / n), 10);
  });

  it.each([100, 1000, 10000])('0 failures in %p: about 3/n (the rule of three)', (n) => {
    expect(Math.abs((exactUpperBound(0, n) ?? 0) * n - 3)).toBeLessThan(0.05);
  });

  // The Beta(f + 1, n − f) quantile at 0.95, from mpmath (bisection on the regularised incomplete beta).
  it.each([
    [1, 20, 0.2161061642068473],
    [3, 50, 0.14783717636418123],
    [5, 5, 1],
  ])('%p failures in %p → %p', (failures, n, bound) => {
    expect(exactUpperBound(failures, n)).toBeCloseTo(bound, 6);
  });

  it('equals the upper limit of a two-sided interval at twice the tail', () => {
    expect(exactUpperBound(3, 50, 0.975)).toBeCloseTo(clopperPearsonInterval(3, 50, 0.95)?.upper ?? 0, 12);
  });

  it('is null for n = 0', () => {
    expect(exactUpperBound(0, 0)).toBeNull();
  });
});
