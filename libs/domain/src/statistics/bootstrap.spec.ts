import { bootstrapMeanInterval } from './bootstrap';
import { mean } from './descriptive';

const skewed = [0.2, 0.9, 0.4, 0.95, 0.1, 0.6, 0.75, 0.3, 0.85, 0.5, 0.05, 0.7];

describe('bootstrapMeanInterval', () => {
  it('is deterministic for a seed and depends on it', () => {
    const first = bootstrapMeanInterval(skewed, { seed: 1 });
    expect(bootstrapMeanInterval(skewed, { seed: 1 })).toEqual(first);
    expect(bootstrapMeanInterval(skewed, { seed: 2 })).not.toEqual(first);
  });

  it('contains the mean and has the requested level', () => {
    const interval = bootstrapMeanInterval(skewed, { seed: 3, level: 0.9 });
    const m = mean(skewed) ?? Number.NaN;
    expect(interval).toMatchObject({ level: 0.9, method: 'bootstrap' });
    expect(interval?.lower).toBeLessThan(m);
    expect(interval?.upper).toBeGreaterThan(m);
  });

  it('is close to the normal-theory interval for a large symmetric sample', () => {
    // 0..99: mean 49.5, sample sd 29.01, so mean ± 1.96·sd/√n is about 49.5 ± 5.69 (the bootstrap uses the
    // n-denominator sd, 28.87, so ±5.66).
    const values = Array.from({ length: 100 }, (_, i) => i);
    const interval = bootstrapMeanInterval(values, { seed: 4, resamples: 4000 });
    expect(Math.abs((interval?.lower ?? 0) - (49.5 - 5.66))).toBeLessThan(0.5);
    expect(Math.abs((interval?.upper ?? 0) - (49.5 + 5.66))).toBeLessThan(0.5);
  });

  it.each<[string, number[], number]>([
    ['a single value', [0.7], 0.7],
    ['equal values', [0.1, 0.1, 0.1], 0.1],
  ])('collapses to the value for %s', (_, values, value) => {
    expect(bootstrapMeanInterval(values, { seed: 5 })).toEqual({
      lower: value,
      upper: value,
      level: 0.95,
      method: 'bootstrap',
    });
  });

  it('is null for no values', () => {
    expect(bootstrapMeanInterval([], { seed: 6 })).toBeNull();
  });

  it.each([{ resamples: 0 }, { resamples: 2.5 }, { level: 1 }, { level: 0 }])('rejects %p', (options) => {
    expect(() => bootstrapMeanInterval(skewed, { seed: 7, ...options })).toThrow(RangeError);
  });
});

describe('large samples', () => {
  it('use the normal-theory interval above LARGE_SAMPLE values, close to what the bootstrap gives', () => {
    const values = Array.from({ length: 2500 }, (_, i) => (i * 7919) % 5);
    const large = bootstrapMeanInterval(values, { seed: 3 });
    expect(large?.method).toBe('normal');
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - 2) ** 2, 0) / (values.length - 1));
    expect(large?.lower).toBeCloseTo(2 - 1.959964 * (sd / Math.sqrt(2500)), 6);
    const small = bootstrapMeanInterval(values.slice(0, 2000), { seed: 3 });
    expect(small?.method).toBe('bootstrap');
    expect(
      Math.abs(
        (small?.upper ?? 0) -
          (small?.lower ?? 0) -
          ((large?.upper ?? 0) - (large?.lower ?? 0)) * Math.sqrt(2500 / 2000),
      ),
    ).toBeLessThan(0.02);
  });
});
