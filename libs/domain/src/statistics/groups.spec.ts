import { groupBreakdown } from './groups';
import { wilsonInterval } from './proportions';

/** `passes` ones then zeros, `n` observations in all, for one group. */
const binaryGroup = (group: string, passes: number, n: number): { group: string; value: number }[] =>
  Array.from({ length: n }, (_, i) => ({ group, value: i < passes ? 1 : 0 }));

const ageBands = [
  ...binaryGroup('65+', 5, 10),
  ...binaryGroup('18-24', 8, 10),
  ...binaryGroup('25-44', 2, 3),
];

describe('groupBreakdown', () => {
  it('gives pass rates with Wilson intervals, sorted by group, small groups out of the gap', () => {
    const breakdown = groupBreakdown('age_band', ageBands, { binary: true, minGroupSize: 5, seed: 1 });
    expect(breakdown.key).toBe('age_band');
    expect(breakdown.groups).toEqual([
      { group: '18-24', n: 10, value: 0.8, interval: wilsonInterval(8, 10) },
      { group: '25-44', n: 3, value: 2 / 3, interval: wilsonInterval(2, 3) },
      { group: '65+', n: 10, value: 0.5, interval: wilsonInterval(5, 10) },
    ]);
    expect(breakdown.smallGroups).toEqual(['25-44']);
    expect(breakdown.maxGap).toMatchObject({
      between: ['18-24', '65+'],
      interval: { level: 0.95, method: 'bootstrap' },
    });
    expect(breakdown.maxGap?.value).toBeCloseTo(0.3, 12);
    expect(breakdown.maxGap?.interval.lower).toBeLessThan(0.3);
    expect(breakdown.maxGap?.interval.upper).toBeGreaterThan(0.3);
  });

  it('is deterministic for a seed and depends on it', () => {
    // Scores rather than pass/fail: small binary groups put the percentiles on a coarse lattice, where two
    // seeds easily agree.
    const scores = [0.91, 0.35, 0.62, 0.18, 0.77, 0.44, 0.59, 0.83, 0.27].flatMap((value, i) => [
      { group: 'a', value },
      { group: 'b', value: value / 2 + i / 20 },
    ]);
    const options = { binary: false, minGroupSize: 5 };
    const first = groupBreakdown('k', scores, { ...options, seed: 1 });
    expect(groupBreakdown('k', scores, { ...options, seed: 1 })).toEqual(first);
    const other = groupBreakdown('k', scores, { ...options, seed: 2 });
    expect(other.maxGap?.interval).not.toEqual(first.maxGap?.interval);
    expect(other.groups[0].interval).not.toEqual(first.groups[0].interval);
  });

  it('resamples within groups: two large, clearly different groups give the two-sample interval', () => {
    // 0.8 vs 0.5 with 400 each: the gap is almost always A − B, so its interval is about
    // 0.3 ± 1.96·√(0.8·0.2/400 + 0.5·0.5/400) = 0.3 ± 0.0628.
    const observations = [...binaryGroup('a', 320, 400), ...binaryGroup('b', 200, 400)];
    const gap = groupBreakdown('k', observations, { binary: true, minGroupSize: 30, seed: 3 }).maxGap;
    expect(Math.abs((gap?.interval.lower ?? 0) - 0.2372)).toBeLessThan(0.01);
    expect(Math.abs((gap?.interval.upper ?? 0) - 0.3628)).toBeLessThan(0.01);
  });

  it('uses bootstrap intervals for scores, collapsed for equal values', () => {
    const observations = [
      { group: 'b', value: 0.4 },
      { group: 'b', value: 0.4 },
      { group: 'a', value: 0.9 },
      { group: 'a', value: 0.1 },
      { group: 'a', value: 0.5 },
    ];
    const breakdown = groupBreakdown('k', observations, {
      binary: false,
      minGroupSize: 2,
      seed: 4,
      level: 0.9,
    });
    expect(breakdown.groups.map((g) => [g.group, g.n, g.interval.method, g.interval.level])).toEqual([
      ['a', 3, 'bootstrap', 0.9],
      ['b', 2, 'bootstrap', 0.9],
    ]);
    expect(breakdown.groups[0].value).toBeCloseTo(0.5, 12);
    expect(breakdown.groups[1]).toMatchObject({ value: 0.4, interval: { lower: 0.4, upper: 0.4 } });
    expect(breakdown.maxGap?.between).toEqual(['a', 'b']);
    expect(breakdown.maxGap?.value).toBeCloseTo(0.1, 12);
  });

  it('names two different groups when all values tie', () => {
    const observations = [...binaryGroup('x', 3, 3), ...binaryGroup('y', 3, 3), ...binaryGroup('z', 3, 3)];
    const gap = groupBreakdown('k', observations, { binary: true, minGroupSize: 1, seed: 5 }).maxGap;
    expect(gap).toEqual({
      value: 0,
      between: ['x', 'z'],
      interval: { lower: 0, upper: 0, level: 0.95, method: 'bootstrap' },
    });
  });

  it.each([
    ['no observations', []],
    ['one group', binaryGroup('a', 3, 10)],
    ['one large enough group', [...binaryGroup('a', 3, 10), ...binaryGroup('b', 1, 2)]],
  ])('has no gap with %s', (_, observations) => {
    expect(groupBreakdown('k', observations, { binary: true, minGroupSize: 5, seed: 6 }).maxGap).toBeNull();
  });

  it('rejects non-binary values when binary, and a bad level', () => {
    expect(() =>
      groupBreakdown('k', [{ group: 'a', value: 0.5 }], { binary: true, minGroupSize: 1, seed: 7 }),
    ).toThrow(RangeError);
    expect(() => groupBreakdown('k', [], { binary: true, minGroupSize: 1, seed: 7, level: 95 })).toThrow(
      RangeError,
    );
  });
});

describe('group gaps of large groups', () => {
  it('draws binary groups binomially and score groups normally, matching the small-sample bootstrap', () => {
    const binary = [
      ...Array.from({ length: 5000 }, (_, i) => ({ group: 'a', value: i % 10 < 8 ? 1 : 0 })),
      ...Array.from({ length: 5000 }, (_, i) => ({ group: 'b', value: i % 10 < 7 ? 1 : 0 })),
    ];
    const gap = groupBreakdown('k', binary, { binary: true, minGroupSize: 10, seed: 5 }).maxGap;
    // Difference of two proportions, 0.8 and 0.7, n = 5,000 each: standard error ≈ 0.0086.
    expect(gap?.value).toBeCloseTo(0.1, 10);
    expect(gap?.interval.lower).toBeCloseTo(0.1 - 1.96 * 0.00866, 2);
    expect(gap?.interval.upper).toBeCloseTo(0.1 + 1.96 * 0.00866, 2);
    const scores = binary.map((o, i) => ({ group: o.group, value: o.value * 0.5 + (i % 3) * 0.1 }));
    const scoreGap = groupBreakdown('k', scores, { binary: false, minGroupSize: 10, seed: 5 });
    expect(scoreGap.groups.map((g) => g.interval.method)).toEqual(['normal', 'normal']);
    expect(scoreGap.maxGap?.interval.lower).toBeLessThan(scoreGap.maxGap?.value ?? 0);
    expect(scoreGap.maxGap?.interval.upper).toBeGreaterThan(scoreGap.maxGap?.value ?? 0);
  });
});
