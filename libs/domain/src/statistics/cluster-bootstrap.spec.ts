import { bootstrapMeanInterval } from './bootstrap';
import { clusterBootstrapInterval } from './cluster-bootstrap';

const mean = (sums: Float64Array) => sums[0] / sums[1];

/** Clusters of (failures, items) rows. */
const rows = (...clusters: [number, number][]) => Float64Array.from(clusters.flat());

describe('clusterBootstrapInterval', () => {
  it('is deterministic for the seed and changes with it', () => {
    const totals = rows(
      ...Array.from({ length: 40 }, (_, i): [number, number] => [(i * 7) % 11, 10 + (i % 4)]),
    );
    const a = clusterBootstrapInterval(totals, 2, mean, { seed: 5 });
    expect(clusterBootstrapInterval(totals, 2, mean, { seed: 5 })).toEqual(a);
    expect(clusterBootstrapInterval(totals, 2, mean, { seed: 6 })).not.toEqual(a);
    expect(a).toMatchObject({ level: 0.95, method: 'bootstrap' });
  });

  it('with one value per cluster, is the bootstrap of the mean from the same stream', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.55, 0.05, 0.6, 0.3];
    const totals = Float64Array.from(values.flatMap((v) => [v, 1]));
    const clustered = clusterBootstrapInterval(totals, 2, mean, { seed: 11, resamples: 999 });
    const plain = bootstrapMeanInterval(values, { seed: 11, resamples: 999 });
    expect(clustered?.lower).toBeCloseTo(plain?.lower ?? Number.NaN, 12);
    expect(clustered?.upper).toBeCloseTo(plain?.upper ?? Number.NaN, 12);
  });

  it('is wider when the units of a cluster move together than when they are independent', () => {
    // The same 60 failures of 200 units: in 20 clusters of 10 alike, or spread evenly over 20 clusters.
    const together = rows(...Array.from({ length: 20 }, (_, i): [number, number] => [i < 6 ? 10 : 0, 10]));
    const spread = rows(...Array.from({ length: 20 }, (): [number, number] => [3, 10]));
    const wide = clusterBootstrapInterval(together, 2, mean, { seed: 1 });
    const narrow = clusterBootstrapInterval(spread, 2, mean, { seed: 1 });
    expect(narrow).toMatchObject({ lower: 0.3, upper: 0.3 });
    const { lower = Number.NaN, upper = Number.NaN } = wide ?? {};
    expect(upper - lower).toBeGreaterThan(0.3);
    expect(lower).toBeLessThan(0.3);
    expect(upper).toBeGreaterThan(0.3);
  });

  it('drops undefined replicates, and gives null when fewer than half are defined', () => {
    // One cluster of 5 with the statistic defined, 1 without: a replicate is undefined only when it never
    // draws the first cluster, (1/2)^2 = 25% of the time with two clusters.
    const mostlyDefined = clusterBootstrapInterval(
      rows([1, 1], [0, 0]),
      2,
      (s) => (s[1] === 0 ? null : s[0] / s[1]),
      {
        seed: 3,
      },
    );
    expect(mostlyDefined).toMatchObject({ lower: 1, upper: 1 });
    // Defined only when every draw is the first of 4 clusters: (1/4)^4 of the time.
    const rarelyDefined = clusterBootstrapInterval(
      rows([1, 1], [0, 0], [0, 0], [0, 0]),
      2,
      (s) => (s[1] === 4 ? 1 : null),
      { seed: 3 },
    );
    expect(rarelyDefined).toBeNull();
    expect(clusterBootstrapInterval(rows([1, 1]), 2, () => Number.NaN, { seed: 3 })).toBeNull();
  });

  it('is null with no clusters', () => {
    expect(clusterBootstrapInterval(new Float64Array(0), 2, mean, { seed: 1 })).toBeNull();
  });

  it('passes exactly `width` sums to the statistic', () => {
    const seen = new Set<number>();
    clusterBootstrapInterval(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, (s) => (seen.add(s.length), s[2]), {
      seed: 1,
      resamples: 10,
    });
    expect([...seen]).toEqual([3]);
  });

  it.each<[string, Float64Array, number, object, RegExp]>([
    ['a width of 0', rows([1, 1]), 0, {}, /^width must be an integer from 1 to 4/],
    ['a width above 4', new Float64Array(5), 5, {}, /^width must be/],
    ['totals not in whole rows', Float64Array.from([1, 2, 3]), 2, {}, /whole rows of 2/],
    ['no resamples', rows([1, 1]), 2, { resamples: 0 }, /^resamples must be a positive integer/],
    ['a level of 1', rows([1, 1]), 2, { level: 1 }, /^level must be between 0 and 1/],
    ['a fractional seed', rows([1, 1]), 2, { seed: 0.5 }, /^seed must be an integer/],
  ])('rejects %s', (_, totals, width, options, message) => {
    expect(() => clusterBootstrapInterval(totals, width, mean, { seed: 1, ...options })).toThrow(message);
  });
});
