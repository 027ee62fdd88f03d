import { daysUntil, evidenceExpiry, ruleReadsSuite } from './evidence-expiry';
import { type GateRule } from './gate-policy';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const suitePassed = (suite: string, maxAgeDays: number): GateRule => ({
  kind: 'suite_passed',
  suite,
  maxAgeDays,
});

describe('evidenceExpiry', () => {
  const completed: Record<string, Date> = {
    old: at('2026-01-01T00:00:00Z'),
    fresh: at('2026-01-20T00:00:00Z'),
  };
  const lookup = (id: string) => completed[id] ?? null;

  it.each([
    {
      name: 'one suite rule: completion plus maxAgeDays',
      rules: [{ rule: suitePassed('a', 30), runId: 'old' }],
      expected: { expiresAt: '2026-01-31T00:00:00.000Z', runId: 'old', suite: 'a', maxAgeDays: 30 },
    },
    {
      name: 'the earliest of several rules wins, whichever run is older',
      rules: [
        { rule: suitePassed('a', 90), runId: 'old' },
        { rule: suitePassed('b', 7), runId: 'fresh' },
      ],
      expected: { expiresAt: '2026-01-27T00:00:00.000Z', runId: 'fresh', suite: 'b', maxAgeDays: 7 },
    },
    {
      name: 'rules of other kinds and rules without a run are ignored',
      rules: [
        { rule: { kind: 'unscored_max', suite: 'a', max: 0.1 } as GateRule, runId: 'old' },
        { rule: suitePassed('a', 1), runId: null },
        { rule: suitePassed('c', 60), runId: 'fresh' },
      ],
      expected: { expiresAt: '2026-03-21T00:00:00.000Z', runId: 'fresh', suite: 'c', maxAgeDays: 60 },
    },
    {
      name: 'a run whose completion is unknown decides nothing',
      rules: [{ rule: suitePassed('a', 30), runId: 'gone' }],
      expected: null,
    },
    { name: 'no rules, no expiry', rules: [], expected: null },
  ])('$name', ({ rules, expected }) => {
    const result = evidenceExpiry(rules, lookup);
    expect(result === null ? null : { ...result, expiresAt: result.expiresAt.toISOString() }).toEqual(
      expected,
    );
  });
});

describe('evidenceExpiry with newer runs', () => {
  const completed = (id: string) => (id === 'used' ? at('2026-01-01T00:00:00Z') : null);
  const rules = [{ rule: suitePassed('a', 30), runId: 'used' }];

  it('a newer run of the suite renews the evidence, and names that run', () => {
    const result = evidenceExpiry(rules, completed, () => ({
      runId: 'rerun',
      completedAt: at('2026-01-20T00:00:00Z'),
    }));
    expect(result).toMatchObject({ runId: 'rerun', expiresAt: at('2026-02-19T00:00:00Z') });
  });

  it('an older one changes nothing', () => {
    const result = evidenceExpiry(rules, completed, () => ({
      runId: 'older',
      completedAt: at('2025-12-01T00:00:00Z'),
    }));
    expect(result).toMatchObject({ runId: 'used', expiresAt: at('2026-01-31T00:00:00Z') });
  });
});

describe('ruleReadsSuite', () => {
  it.each([
    { rule: suitePassed('a', 30), suite: 'a', version: 3, reads: true },
    { rule: suitePassed('a', 30), suite: 'b', version: 3, reads: false },
    { rule: { ...suitePassed('a', 30), version: 2 }, suite: 'a', version: 3, reads: false },
    { rule: { ...suitePassed('a', 30), version: 3 }, suite: 'a', version: 3, reads: true },
    { rule: { ...suitePassed('a', 30), minVersion: 4 }, suite: 'a', version: 3, reads: false },
    { rule: { ...suitePassed('a', 30), minVersion: 2 }, suite: 'a', version: 3, reads: true },
  ])('$suite@$version for $rule.suite: $reads', ({ rule, suite, version, reads }) => {
    expect(ruleReadsSuite(rule as Extract<GateRule, { kind: 'suite_passed' }>, suite, version)).toBe(reads);
  });
});

describe('daysUntil', () => {
  const expiresAt = at('2026-02-10T12:00:00Z');
  it.each([
    { now: expiresAt.getTime() - 14 * DAY, days: 14 },
    { now: expiresAt.getTime() - 13.5 * DAY, days: 13 },
    { now: expiresAt.getTime() - 1, days: 0 },
    { now: expiresAt.getTime(), days: 0 },
    { now: expiresAt.getTime() + 1, days: -1 },
    { now: expiresAt.getTime() + 3 * DAY, days: -3 },
  ])('$days days left', ({ now, days }) => {
    expect(daysUntil(expiresAt, new Date(now))).toBe(days);
  });
});
