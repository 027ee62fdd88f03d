import { traceSampled } from './sampling';

const ids = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(32, '0'));

describe('traceSampled', () => {
  it.each([
    [0, 0],
    [-1, 0],
    [Number.NaN, 0],
    [1, 20_000],
    [2, 20_000],
  ])('at rate %p samples %p of 20,000 traces', (rate, expected) => {
    expect(ids.filter((id) => traceSampled(id, rate, 'salt')).length).toBe(expected);
  });

  it('samples about the rate, and the same trace the same way with the same salt', () => {
    const sampled = ids.filter((id) => traceSampled(id, 0.1, 'a'));
    // 20,000 × 0.1 = 2,000; four standard deviations (4 × √1,800 ≈ 170) either way.
    expect(Math.abs(sampled.length - 2_000)).toBeLessThan(170);
    expect(ids.filter((id) => traceSampled(id, 0.1, 'a'))).toEqual(sampled);
  });

  it('a sender cannot choose ids that stay out of the sample: another salt samples other traces', () => {
    const outOfSample = ids.filter((id) => !traceSampled(id, 0.1, 'request-1'));
    const nowSampled = outOfSample.filter((id) => traceSampled(id, 0.1, 'request-2'));
    // About a tenth of the ids the sender kept out with one salt are sampled with the next.
    expect(Math.abs(nowSampled.length - outOfSample.length * 0.1)).toBeLessThan(170);
  });
});
