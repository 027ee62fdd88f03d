import { seededRandom } from './random';

const draws = (seed: number, count: number, maxExclusive: number): number[] => {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, () => rng.nextInt(maxExclusive));
};

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    expect(draws(42, 20, 1000)).toEqual(draws(42, 20, 1000));
    expect(draws(42, 20, 1000)).not.toEqual(draws(43, 20, 1000));
  });

  it('draws every value in range, roughly uniformly', () => {
    const counts = new Array<number>(10).fill(0);
    for (const v of draws(7, 10000, 10)) {
      counts[v] += 1;
    }
    // Each count is Bin(10000, 0.1): sd 30, so ±150 is 5 sd.
    for (const count of counts) {
      expect(Math.abs(count - 1000)).toBeLessThan(150);
    }
  });

  it('does not follow neighbouring seeds in its first draws', () => {
    const firsts = [1, 2, 3, 4].map((seed) => draws(seed, 1, 100)[0]);
    const steps = firsts.slice(1).map((v, i) => v - firsts[i]);
    expect(new Set(steps).size).toBeGreaterThan(1);
  });

  it.each([
    [1.5, 10],
    [Number.NaN, 10],
    [1, 0],
    [1, 2.5],
  ])('rejects seed %p or maxExclusive %p', (seed, maxExclusive) => {
    expect(() => seededRandom(seed).nextInt(maxExclusive)).toThrow(RangeError);
  });
});
