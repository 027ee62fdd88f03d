import {
  allocateSample,
  type DrawnSample,
  drawReviewSample,
  MAX_OVERSAMPLE_WEIGHT,
  MAX_SAMPLE_SIZE,
  NO_GROUP,
  reviewSampleHash,
  type SampleCandidate,
  type SampleDesign,
} from './review-sample';

const design = (overrides: Partial<SampleDesign> = {}): SampleDesign => ({
  size: 50,
  seed: 7,
  groupKey: null,
  failureWeight: 1,
  judgedWeight: 1,
  ...overrides,
});

/** `count` candidates item-0…; every `failEvery`-th failed, every `judgeEvery`-th judged, groups by `group`. */
const candidates = (
  count: number,
  options: {
    failEvery?: number;
    judgeEvery?: number;
    group?: (i: number) => Record<string, string>;
  } = {},
): SampleCandidate[] =>
  Array.from({ length: count }, (_, i) => ({
    itemId: `item-${i}`,
    epoch: 1,
    failed: options.failEvery !== undefined && i % options.failEvery === 0,
    judged: options.judgeEvery !== undefined && i % options.judgeEvery === 0,
    groups: options.group?.(i) ?? {},
  }));

const drawnPer = (sample: DrawnSample): Record<string, number> =>
  Object.fromEntries(sample.strata.map((s) => [s.key, s.drawn]));

const countBy = <T>(values: readonly T[], key: (value: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) {
    counts[key(value)] = (counts[key(value)] ?? 0) + 1;
  }
  return counts;
};

describe('drawReviewSample', () => {
  it('draws a simple random sample from one stratum `all` when nothing is stratified', () => {
    const sample = drawReviewSample(candidates(1000, { failEvery: 10, judgeEvery: 2 }), design({ size: 50 }));
    expect(sample.population).toBe(1000);
    expect(sample.strata).toEqual([
      { key: 'all', failed: null, judged: null, group: null, population: 1000, drawn: 50 },
    ]);
    expect(sample.items).toHaveLength(50);
    expect(new Set(sample.items.map((item) => item.itemId)).size).toBe(50);
    expect(sample.items.every((item) => item.stratum === 'all' && item.weight === 20)).toBe(true);
  });

  it('is deterministic: the same candidates, design and seed give the same items in the same order', () => {
    const population = candidates(5000, {
      failEvery: 7,
      judgeEvery: 3,
      group: (i) => ({ band: `b${i % 4}` }),
    });
    const chosen = design({ size: 300, failureWeight: 4, judgedWeight: 2, groupKey: 'band' });
    const first = drawReviewSample(population, chosen);
    const second = drawReviewSample(
      population.map((c) => ({ ...c })),
      { ...chosen },
    );
    expect(second).toEqual(first);
    expect(reviewSampleHash('run-1', chosen, second)).toBe(reviewSampleHash('run-1', chosen, first));
  });

  it('draws other items, in another order, for another seed', () => {
    const population = candidates(5000);
    const a = drawReviewSample(population, design({ size: 100, seed: 1 }));
    const b = drawReviewSample(population, design({ size: 100, seed: 2 }));
    const inA = new Set(a.items.map((item) => item.itemId));
    // Two independent draws of 100 of 5,000 share about 2 items.
    expect(b.items.filter((item) => inA.has(item.itemId)).length).toBeLessThan(15);
  });

  it('numbers the review order 1..n, a permutation, and does not put the failures first', () => {
    const sample = drawReviewSample(
      candidates(2000, { failEvery: 4 }),
      design({ size: 200, failureWeight: 5 }),
    );
    expect(sample.items.map((item) => item.position)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const failedPositions = sample.items
      .filter((item) => item.stratum === 'failed')
      .map((item) => item.position);
    // 125 of 200 drawn are failed (see the over-weighting test); in strata order they would fill 1..125.
    expect(failedPositions).toHaveLength(125);
    expect(Math.max(...failedPositions)).toBeGreaterThan(180);
    const meanPosition = failedPositions.reduce((sum, p) => sum + p, 0) / failedPositions.length;
    expect(meanPosition).toBeGreaterThan(85);
    expect(meanPosition).toBeLessThan(116);
  });

  it('over-weights failures: n_h ∝ N_h × weight_h, and weights N_h / n_h', () => {
    // 500 failed and 1,500 passed; weight 5 → shares 2,500 : 1,500 → 125 : 75 of 200.
    const sample = drawReviewSample(
      candidates(2000, { failEvery: 4 }),
      design({ size: 200, failureWeight: 5 }),
    );
    expect(sample.strata).toEqual([
      { key: 'failed', failed: true, judged: null, group: null, population: 500, drawn: 125 },
      { key: 'passed', failed: false, judged: null, group: null, population: 1500, drawn: 75 },
    ]);
    const weights = Object.fromEntries(sample.items.map((item) => [item.stratum, item.weight]));
    expect(weights).toEqual({ failed: 4, passed: 20 });
    // Failed items are 25% of the run but 62.5% of the sample.
    expect(countBy(sample.items, (item) => item.stratum)).toEqual({ failed: 125, passed: 75 });
  });

  it('draws only failed items as failed: the strata hold what their key says', () => {
    const population = candidates(1000, { failEvery: 3, judgeEvery: 5 });
    const byId = new Map(population.map((c) => [c.itemId, c]));
    const sample = drawReviewSample(population, design({ size: 120, failureWeight: 3, judgedWeight: 2 }));
    for (const item of sample.items) {
      const candidate = byId.get(item.itemId);
      const [verdict, judged] = item.stratum.split('|');
      expect(verdict).toBe(candidate?.failed ? 'failed' : 'passed');
      expect(judged).toBe(candidate?.judged ? 'judged' : 'unjudged');
    }
  });

  it('stratifies by judged only when some but not all candidates were judged', () => {
    const none = drawReviewSample(candidates(100), design({ size: 10, judgedWeight: 3 }));
    expect(none.strata.map((s) => s.key)).toEqual(['all']);
    const all = drawReviewSample(candidates(100, { judgeEvery: 1 }), design({ size: 10, judgedWeight: 3 }));
    expect(all.strata.map((s) => s.key)).toEqual(['all']);
    const some = drawReviewSample(candidates(100, { judgeEvery: 4 }), design({ size: 20, judgedWeight: 3 }));
    // 25 judged × 3 = 75 : 75 unjudged → 10 : 10.
    expect(drawnPer(some)).toEqual({ judged: 10, unjudged: 10 });
    expect(some.strata.map((s) => s.judged)).toEqual([true, false]);
  });

  it('stratifies by a group key, a missing value being the group (none), keys in a stable order', () => {
    const population = candidates(400, {
      failEvery: 2,
      group: (i): Record<string, string> =>
        i % 4 === 3 ? {} : { age_band: ['65+', '18-34', '35-64'][i % 4] },
    });
    const sample = drawReviewSample(population, design({ size: 40, failureWeight: 2, groupKey: 'age_band' }));
    expect(sample.strata.map((s) => s.key)).toEqual([
      'failed|age_band=35-64',
      'failed|age_band=65+',
      'passed|age_band=(none)',
      'passed|age_band=18-34',
    ]);
    expect(sample.strata.find((s) => s.key === 'passed|age_band=(none)')).toMatchObject({
      failed: false,
      judged: null,
      group: NO_GROUP,
      population: 100,
    });
    // Shares: failed strata 100 × 2 each, passed 100 × 1 each → 40 × 200/600 and 40 × 100/600.
    expect(sample.strata.map((s) => s.drawn)).toEqual([13, 13, 7, 7]);
  });

  it('reads only true as failed or judged (a missing flag from a stored row is false)', () => {
    const population = candidates(6).map((c, i) =>
      Object.assign(c, { failed: [true, 'yes', undefined][i % 3], judged: [true, 1, null][i % 3] }),
    ) as unknown as SampleCandidate[];
    const sample = drawReviewSample(population, design({ size: 6, failureWeight: 2, judgedWeight: 2 }));
    expect(sample.strata.map((s) => [s.key, s.failed, s.judged, s.population])).toEqual([
      ['failed|judged', true, true, 2],
      ['passed|unjudged', false, false, 4],
    ]);
  });

  it('never reads a group from Object.prototype (a group key named __proto__ or toString)', () => {
    const population = candidates(20, { group: (i) => (i < 5 ? JSON.parse('{"__proto__": "x"}') : {}) });
    const proto = drawReviewSample(population, design({ size: 20, groupKey: '__proto__' }));
    expect(proto.strata.map((s) => [s.key, s.population])).toEqual([
      ['__proto__=(none)', 15],
      ['__proto__=x', 5],
    ]);
    const inherited = drawReviewSample(candidates(10), design({ size: 5, groupKey: 'toString' }));
    expect(inherited.strata.map((s) => s.key)).toEqual(['toString=(none)']);
  });

  it('takes at least one item from every stratum when the size allows, even a tiny one', () => {
    // 1 failed among 10,000: proportional allocation would give it 0.005 of 50.
    const population = candidates(10_000).map((c, i) => ({ ...c, failed: i === 9_999 }));
    const sample = drawReviewSample(population, design({ size: 50, failureWeight: 1.5 }));
    expect(drawnPer(sample)).toEqual({ failed: 1, passed: 49 });
    expect(sample.items.find((item) => item.stratum === 'failed')).toMatchObject({
      itemId: 'item-9999',
      weight: 1,
    });
  });

  it('represents every stratum of many small groups when the size covers them', () => {
    const population = candidates(3000, { group: (i) => ({ g: `g${String(i % 97).padStart(2, '0')}` }) });
    const sample = drawReviewSample(population, design({ size: 200, groupKey: 'g' }));
    expect(sample.strata).toHaveLength(97);
    expect(sample.strata.every((s) => s.drawn >= 2 && s.drawn <= 3)).toBe(true);
    expect(sample.items).toHaveLength(200);
  });

  it('leaves strata out when the size is smaller than the number of strata', () => {
    const population = candidates(100, { group: (i) => ({ g: `g${i % 10}` }) });
    const sample = drawReviewSample(population, design({ size: 4, groupKey: 'g' }));
    expect(sample.items).toHaveLength(4);
    expect(sample.strata.filter((s) => s.drawn === 1)).toHaveLength(4);
    expect(sample.strata.filter((s) => s.drawn === 0)).toHaveLength(6);
  });

  it('picks at random which of more strata than items are represented, not by their names', () => {
    // 300 groups of 3 items and a sample of 100: each group's quota is 1/3, all remainders equal.
    const population = candidates(900, { group: (i) => ({ g: `g${String(i % 300).padStart(3, '0')}` }) });
    const represented = [1, 2, 3].map(
      (seed) =>
        new Set(
          drawReviewSample(population, design({ size: 100, groupKey: 'g', seed }))
            .strata.filter((s) => s.drawn > 0)
            .map((s) => s.group),
        ),
    );
    for (const groups of represented) {
      expect(groups.size).toBe(100);
      // By name, g000–g099 would always be the ones; at random about a third of the last 200 are in.
      const late = [...groups].filter((g) => (g ?? '') >= 'g100').length;
      expect(late).toBeGreaterThan(45);
    }
    expect(represented[1]).not.toEqual(represented[0]);
  });

  it('caps a stratum at its population and gives the rest to the others', () => {
    // 10 failed × 20 = 200 : 990 passed → the failed quota 200/1190 × 100 = 16.8 exceeds 10.
    const population = candidates(1000).map((c, i) => ({ ...c, failed: i < 10 }));
    const sample = drawReviewSample(population, design({ size: 100, failureWeight: MAX_OVERSAMPLE_WEIGHT }));
    expect(drawnPer(sample)).toEqual({ failed: 10, passed: 90 });
    expect(sample.items.filter((item) => item.stratum === 'failed').every((item) => item.weight === 1)).toBe(
      true,
    );
    expect(sample.items).toHaveLength(100);
  });

  it('weights add up to each stratum population', () => {
    const population = candidates(7919, { failEvery: 13, judgeEvery: 3, group: (i) => ({ k: `${i % 5}` }) });
    const sample = drawReviewSample(
      population,
      design({ size: 777, failureWeight: 6.5, judgedWeight: 2.25, groupKey: 'k', seed: 99 }),
    );
    expect(sample.items).toHaveLength(777);
    expect(sample.strata.reduce((sum, s) => sum + s.population, 0)).toBe(7919);
    for (const stratum of sample.strata) {
      const items = sample.items.filter((item) => item.stratum === stratum.key);
      expect(items).toHaveLength(stratum.drawn);
      expect(items.reduce((sum, item) => sum + item.weight, 0)).toBeCloseTo(stratum.population, 9);
    }
  });

  it('takes everything, with weight 1, when the size is at least the population', () => {
    const population = candidates(30, { failEvery: 3 });
    const sample = drawReviewSample(population, design({ size: 31, failureWeight: 3 }));
    expect(sample.items).toHaveLength(30);
    expect(new Set(sample.items.map((item) => item.itemId)).size).toBe(30);
    expect(sample.items.every((item) => item.weight === 1)).toBe(true);
    expect(drawnPer(sample)).toEqual({ failed: 10, passed: 20 });
  });

  it('keeps epochs apart: the same item in two epochs is two candidates', () => {
    const population = [1, 2].flatMap((epoch) => candidates(3).map((c) => ({ ...c, epoch })));
    const sample = drawReviewSample(population, design({ size: 6 }));
    expect(new Set(sample.items.map((item) => `${item.itemId}/${item.epoch}`)).size).toBe(6);
  });

  it('gives no items and no strata for an empty population', () => {
    expect(drawReviewSample([], design({ failureWeight: 5, groupKey: 'band' }))).toEqual({
      population: 0,
      strata: [],
      items: [],
    });
  });

  it('draws from 100,000 candidates in linear time', () => {
    const population = candidates(100_000, {
      failEvery: 9,
      judgeEvery: 2,
      group: (i) => ({ g: `${i % 50}` }),
    });
    const started = performance.now();
    const sample = drawReviewSample(
      population,
      design({ size: MAX_SAMPLE_SIZE, failureWeight: 4, judgedWeight: 2, groupKey: 'g' }),
    );
    const elapsed = performance.now() - started;
    expect(sample.items).toHaveLength(MAX_SAMPLE_SIZE);
    expect(sample.strata).toHaveLength(2 * 2 * 25);
    // About 40 ms here; generous for a loaded box, but a quadratic draw would take minutes.
    expect(elapsed).toBeLessThan(2000);
  });

  it.each<[string, Partial<SampleDesign>, RegExp]>([
    ['size 0', { size: 0 }, /^size must be an integer from 1 to 2000/],
    ['size above the maximum', { size: MAX_SAMPLE_SIZE + 1 }, /^size must be/],
    ['a fractional size', { size: 2.5 }, /^size must be/],
    ['a NaN size', { size: Number.NaN }, /^size must be/],
    ['a fractional seed', { seed: 1.5 }, /^seed must be a safe integer/],
    ['an unsafe seed', { seed: 2 ** 60 }, /^seed must be a safe integer/],
    ['a failure weight below 1', { failureWeight: 0.5 }, /^failureWeight must be a number from 1 to 20/],
    ['an infinite failure weight', { failureWeight: Number.POSITIVE_INFINITY }, /^failureWeight must be/],
    [
      'a judged weight above the maximum',
      { judgedWeight: MAX_OVERSAMPLE_WEIGHT + 0.1 },
      /^judgedWeight must be/,
    ],
    ['a NaN judged weight', { judgedWeight: Number.NaN }, /^judgedWeight must be/],
    ['an empty group key', { groupKey: '' }, /^groupKey must be/],
  ])('rejects %s with a RangeError naming the field', (_, overrides, message) => {
    expect(() => drawReviewSample(candidates(10), design(overrides))).toThrow(RangeError);
    expect(() => drawReviewSample(candidates(10), design(overrides))).toThrow(message);
  });
});

describe('allocateSample', () => {
  it.each<[string, number, number[], number[], number[]]>([
    ['proportional', 100, [600, 300, 100], [1, 1, 1], [60, 30, 10]],
    ['largest remainder', 10, [5, 3, 3], [1, 1, 1], [4, 3, 3]],
    ['weighted', 60, [100, 100, 100], [4, 1, 1], [40, 10, 10]],
    ['capped, the rest redistributed', 30, [5, 100, 200], [20, 1, 1], [5, 8, 17]],
    ['minimum one per stratum', 10, [1000, 1, 1], [1, 1, 1], [8, 1, 1]],
    ['fewer items than strata: no minimum', 2, [50, 30, 20], [1, 1, 1], [1, 1, 0]],
    ['everything', 50, [5, 3], [1, 9], [5, 3]],
  ])('%s', (_, size, populations, weights, expected) => {
    const counts = allocateSample(size, populations, weights);
    expect(counts).toEqual(expected);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(
      Math.min(
        size,
        populations.reduce((a, b) => a + b, 0),
      ),
    );
  });

  it('breaks ties between equal remainders in the order given', () => {
    expect(allocateSample(2, [5, 5, 5, 5], [1, 1, 1, 1])).toEqual([1, 1, 0, 0]);
    expect(allocateSample(2, [5, 5, 5, 5], [1, 1, 1, 1], [3, 2, 0, 1])).toEqual([0, 0, 1, 1]);
    // 9 × 5/11 = 4.09… and 9 × 3/11 = 2.45… twice: the one missing item goes to the better-ranked tie.
    expect(allocateSample(9, [5, 3, 3], [1, 1, 1], [0, 2, 1])).toEqual([4, 2, 3]);
  });

  it('always places exactly the size within 0 ≤ n_h ≤ N_h over many random designs', () => {
    let state = 12345;
    const next = (below: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % below;
    };
    for (let trial = 0; trial < 500; trial++) {
      const strata = 1 + next(12);
      const populations = Array.from({ length: strata }, () => 1 + next(300));
      const weights = Array.from({ length: strata }, () => 1 + next(20) / 2);
      const total = populations.reduce((a, b) => a + b, 0);
      const size = 1 + next(total + 20);
      const counts = allocateSample(size, populations, weights);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(Math.min(size, total));
      counts.forEach((n, h) => {
        expect(n).toBeGreaterThanOrEqual(size >= strata ? 1 : 0);
        expect(n).toBeLessThanOrEqual(populations[h]);
      });
    }
  });
});
