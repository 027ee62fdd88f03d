import { krippendorffAlphaNominal } from './agreement';

/** Units from one row of values per observer ('.' = missing), as the reliability data matrices are printed. */
const byObserver = (...rows: string[][]): (string | null)[][] =>
  rows[0].map((_, unit) => rows.map((row) => (row[unit] === '.' ? null : row[unit])));

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", Annenberg School for Communication
// Departmental Papers 43: example A (binary, two observers), B (nominal, two observers) and C (nominal,
// four observers with missing values). Published alphas 0.095, 0.692 and 0.743; the exact fractions are
// those of an independent Python computation.
describe('krippendorffAlphaNominal', () => {
  it.each<[string, (string | null)[][], number]>([
    ['A: binary, two observers', byObserver('0100000010'.split(''), '1110010000'.split('')), 0.095238095238],
    [
      'B: nominal, two observers',
      byObserver('aabbdcccedda'.split(''), 'babbbccceddd'.split('')),
      0.691964285714,
    ],
    [
      'C: nominal, four observers, missing values',
      byObserver(
        '1 2 3 3 2 1 4 1 2 . . .'.split(' '),
        '1 2 3 3 2 2 4 1 2 5 . 3'.split(' '),
        '. 3 3 3 2 3 4 2 2 5 1 .'.split(' '),
        '1 2 3 3 2 4 4 1 2 5 1 .'.split(' '),
      ),
      0.743421052632,
    ],
  ])('%s', (_, units, alpha) => {
    expect(krippendorffAlphaNominal(units)).toBeCloseTo(alpha, 9);
  });

  it.each<[string, (string | null)[][], number | null]>([
    [
      'perfect agreement',
      [
        ['a', 'a', 'a'],
        ['b', 'b', null],
        ['c', 'c', 'c'],
      ],
      1,
    ],
    // n = 4 pairable values, none agreeing, n_a = n_b = 2: 1 − 3·4/(16 − 8).
    [
      'systematic disagreement',
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
      -0.5,
    ],
    [
      'one category only',
      [
        ['a', 'a'],
        ['a', 'a'],
      ],
      null,
    ],
    [
      'no unit with two values',
      [
        ['a', null],
        [null, 'b'],
      ],
      null,
    ],
    ['no units', [], null],
  ])('%s → %p', (_, units, alpha) => {
    expect(krippendorffAlphaNominal(units)).toBe(alpha);
  });

  it('ignores units with a single value', () => {
    const units = [
      ['a', 'a'],
      ['b', 'a'],
      ['b', 'b'],
    ];
    expect(krippendorffAlphaNominal([...units, ['c', null, null]])).toBe(krippendorffAlphaNominal(units));
  });
});
