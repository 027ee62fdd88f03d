import { type EpochReducer, parseEpochReducer, reduceEpochs } from './epochs';

/** C(n, k) by exact small-integer arithmetic, to check the product form of pass@k. */
const choose = (n: number, k: number): number => {
  let result = 1;
  for (let i = 1; i <= k; i++) {
    result = (result * (n - k + i)) / i;
  }
  return k > n ? 0 : result;
};

describe('reduceEpochs', () => {
  it.each<[number[], EpochReducer, number]>([
    [[0.2, 0.8, 0.5], 'mean', 0.5],
    [[3, 1, 2, 10], 'median', 2.5],
    [[5], 'median', 5],
    [[0.2, 0.8, 0.5], 'max', 0.8],
    [[0.2, 0.8, 0.5], 'min', 0.2],
    [[1, 1, 0], 'majority', 1],
    [[1, 0, 0], 'majority', 0],
    [[1, 1, 0, 0], 'majority', 0],
    [[1, 1, 1], 'all', 1],
    [[1, 1, 0], 'all', 0],
    // Chen et al. (2021), the unbiased pass@k estimator; values checked with Python's math.comb.
    [[1, 1, 0, 0, 0], 'pass_at_1', 0.4],
    [[1, 1, 0, 0, 0], 'pass_at_2', 0.7],
    [[1, 1, 0, 0, 0, 0], 'pass_at_3', 0.8],
    [[1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 'pass_at_5', 1 - 21 / 252],
    [[0, 0, 0, 0, 0], 'pass_at_3', 0],
    [[1, 1, 1, 0, 0], 'pass_at_3', 1],
    [[0, 0, 1], 'pass_at_3', 1],
  ])('%p by %p → %p', (values, reducer, expected) => {
    expect(reduceEpochs(values, reducer)).toBeCloseTo(expected, 12);
  });

  it('pass@k equals 1 − C(n−c, k)/C(n, k) for every n ≤ 12', () => {
    for (let n = 1; n <= 12; n++) {
      for (let c = 0; c <= n; c++) {
        const values = Array.from({ length: n }, (_, i) => (i < c ? 1 : 0));
        for (let k = 1; k <= n; k++) {
          expect(reduceEpochs(values, `pass_at_${k}`)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 12);
        }
      }
    }
  });

  it.each<[number[], EpochReducer]>([
    [[], 'mean'],
    [[1, 0], 'pass_at_3'],
    [[1, 0], 'pass_at_0'],
    [[1, 0], 'pass_at_1.5'],
    [[0.5, 1], 'majority'],
    [[2, 1], 'all'],
    [[0.5, 1], 'pass_at_1'],
  ])('rejects %p by %p', (values, reducer) => {
    expect(() => reduceEpochs(values, reducer)).toThrow(RangeError);
  });
});

describe('parseEpochReducer', () => {
  it.each<[string, EpochReducer | null]>([
    ['mean', 'mean'],
    ['median', 'median'],
    ['max', 'max'],
    ['min', 'min'],
    ['majority', 'majority'],
    ['all', 'all'],
    ['pass_at_1', 'pass_at_1'],
    ['pass_at_10', 'pass_at_10'],
    ['pass_at_0', null],
    ['pass_at_01', null],
    ['pass_at_1.5', null],
    ['pass_at_', null],
    ['Mean', null],
    ['sum', null],
    ['', null],
  ])('%p → %p', (s, expected) => {
    expect(parseEpochReducer(s)).toBe(expected);
  });
});
