import { timeOrderedUuid } from './time-ordered-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 5, 12, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts ids of a later millisecond after those of an earlier one, as text', () => {
    const at = Date.UTC(2026, 11, 5);
    const earlier = Array.from({ length: 300 }, () => timeOrderedUuid(at));
    const later = Array.from({ length: 300 }, () => timeOrderedUuid(at + 1));
    const latest = earlier.reduce((a, b) => (a > b ? a : b));
    expect(later.every((id) => id > latest)).toBe(true);
    // 1,000 years on, the 48-bit time still leads (its hex is zero-padded).
    expect(timeOrderedUuid(at + 1000 * 365 * 86_400_000) > latest).toBe(true);
  });

  it('draws fresh random bits for every id (across refills of the random pool)', () => {
    const at = Date.UTC(2026, 11, 5);
    const ids = Array.from({ length: 5000 }, () => timeOrderedUuid(at));
    expect(new Set(ids).size).toBe(ids.length);
    ids.forEach((id) => expect(id).toMatch(UUID_V7));
    // The random tail is not constant: each of its hex digits takes several values over the ids.
    const tails = ids.map((id) => id.slice(-12));
    for (let i = 0; i < 12; i++) {
      expect(new Set(tails.map((t) => t[i])).size).toBeGreaterThan(8);
    }
  });
});
