import { cohensKappa, cohensKappaBinary } from './kappa';

describe('cohensKappa', () => {
  it.each<[string, number[][], number, number]>([
    // Wikipedia, "Cohen's kappa", the worked example (50 grant proposals, two readers, from the standard
    // texts): a = 20, b = 5, c = 10, d = 15; p_o = 0.70, p_e = 0.5·0.6 + 0.5·0.4 = 0.50, κ = 0.40.
    [
      'Wikipedia worked example',
      [
        [20, 5],
        [10, 15],
      ],
      0.7,
      0.4,
    ],
    // easycalculation.com, "Cohen's kappa index" (20 patients, doctors A and B): p_o = 0.70,
    // p_e = 0.7·0.8 + 0.3·0.2 = 0.62, κ = 0.08 / 0.38 = 0.21 (0.2105 unrounded).
    [
      'easycalculation 20 patients',
      [
        [12, 2],
        [4, 2],
      ],
      0.7,
      0.2105263157894737,
    ],
    // Calcugator, chi2_kappa tutorial (two judges, 12 items, "very good" / "just OK"): κ = 0.5.
    [
      'Calcugator two judges',
      [
        [4, 1],
        [2, 5],
      ],
      0.75,
      0.5,
    ],
    // Wikipedia's "same agreement, different kappa" pair: p_o = 0.60 both, p_e 0.54 and 0.46.
    [
      'balanced marginals',
      [
        [45, 15],
        [25, 15],
      ],
      0.6,
      0.06 / 0.46,
    ],
    [
      'unbalanced marginals',
      [
        [25, 35],
        [5, 35],
      ],
      0.6,
      0.14 / 0.54,
    ],
  ])('%s', (_, table, observed, kappa) => {
    const n = table.flat().reduce((a, b) => a + b, 0);
    expect((table[0][0] + table[1][1]) / n).toBeCloseTo(observed, 12);
    expect(cohensKappa(table)).toBeCloseTo(kappa, 12);
    expect(cohensKappaBinary(table[0][0], table[0][1], table[1][0], table[1][1])).toBeCloseTo(kappa, 12);
  });

  it('takes more than two categories (by hand: p_o = 0.89, p_e = 0.8·0.8 + 0.1·0.05 + 0.1·0.15 = 0.66)', () => {
    const table = [
      [75, 1, 4],
      [5, 4, 1],
      [0, 0, 10],
    ];
    expect(cohensKappa(table)).toBeCloseTo(0.23 / 0.34, 12);
  });

  it('is symmetric in the raters and 1 for perfect agreement, negative for systematic disagreement', () => {
    // p_o = 0.8, p_e = 0.5 · 0.4 + 0.5 · 0.6 = 0.5 either way round.
    expect(cohensKappaBinary(7, 3, 1, 9)).toBeCloseTo(0.6, 12);
    expect(cohensKappaBinary(7, 1, 3, 9)).toBeCloseTo(0.6, 12);
    expect(cohensKappaBinary(6, 0, 0, 4)).toBe(1);
    // p_o = 0, p_e = 0.5: κ = −1.
    expect(cohensKappaBinary(0, 5, 5, 0)).toBe(-1);
  });

  it.each<[string, number[][]]>([
    [
      'no units',
      [
        [0, 0],
        [0, 0],
      ],
    ],
    [
      'both raters in one category (p_e = 1)',
      [
        [12, 0],
        [0, 0],
      ],
    ],
    [
      'both raters always fail',
      [
        [0, 0],
        [0, 7],
      ],
    ],
  ])('is null when undefined: %s', (_, table) => {
    expect(cohensKappa(table)).toBeNull();
    expect(cohensKappaBinary(table[0][0], table[0][1], table[1][0], table[1][1])).toBeNull();
  });

  it('is 0, not null, when one rater uses one category and the other both (chance explains it all)', () => {
    // Rater 1 always passes; p_o = 0.6 = p_e.
    expect(cohensKappaBinary(6, 4, 0, 0)).toBeCloseTo(0, 12);
  });

  it.each<[string, number[][], RegExp]>([
    ['a ragged table', [[1, 2], [3]], /square table/],
    [
      'a negative count',
      [
        [1, -2],
        [3, 4],
      ],
      /non-negative/,
    ],
    [
      'a NaN count',
      [
        [1, Number.NaN],
        [3, 4],
      ],
      /non-negative/,
    ],
  ])('rejects %s', (_, table, message) => {
    expect(() => cohensKappa(table)).toThrow(message);
  });
});
