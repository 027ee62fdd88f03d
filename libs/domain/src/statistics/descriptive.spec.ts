import { mean, percentiles, quantileOfSorted } from './descriptive';

describe('mean', () => {
  it.each<[number[], number | null]>([
    [[], null],
    [[4], 4],
    [[1, 2, 3, 4], 2.5],
    [[-1, 1], 0],
    [[0.1, 0.1, 0.1], 0.1],
  ])('mean(%p) = %p', (values, expected) => {
    expect(mean(values)).toBe(expected);
  });
});

describe('percentiles', () => {
  // Expected values from numpy.percentile(values, [50, 95, 99]) (linear method, the default).
  it.each<[number[], number, number, number, number]>([
    [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], 4, 7.5, 8.7, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 50.5, 95.05, 99.01, 50.5],
    [[10, 20], 15, 19.5, 19.9, 15],
    [[7], 7, 7, 7, 7],
  ])('%p', (values, p50, p95, p99, m) => {
    const result = percentiles(values);
    expect(result.p50).toBeCloseTo(p50, 10);
    expect(result.p95).toBeCloseTo(p95, 10);
    expect(result.p99).toBeCloseTo(p99, 10);
    expect(result.mean).toBeCloseTo(m, 10);
  });

  it('is all null for no values and leaves its input unsorted', () => {
    expect(percentiles([])).toEqual({ p50: null, p95: null, p99: null, mean: null });
    const values = [3, 1, 2];
    percentiles(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('quantileOfSorted refuses no values', () => {
    expect(() => quantileOfSorted([], 0.5)).toThrow(RangeError);
  });
});
