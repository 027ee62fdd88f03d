import { exampleLowRiskRecord } from '../ai-use-cases/example-record';
import { evaluateGate, type GateInput, type PilotEvidence } from '../gates/gate-evaluation';
import { type GateRule } from '../gates/gate-policy';
import {
  emptyLiveDay,
  type LiveDay,
  livePilotEvidence,
  liveWindowUntil,
  MAX_MEASURE_DAYS,
  measurePeriod,
  nearestRankPercentile,
  parseDay,
  rateMeasure,
  summariseLiveMeasures,
} from './live-measures';

/** P(X <= k) for X ~ Binomial(n, p), summed directly. */
function binomialCdf(k: number, n: number, p: number): number {
  let term = (1 - p) ** n; // P(X = 0)
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return sum;
}

/** The exact one-sided 95% upper bound found by bisection: the p at which P(X <= k) = 0.05. */
function bisectedUpper(k: number, n: number): number {
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(k, n, mid) > 0.05) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

function day(overrides: Partial<LiveDay> & { day: string }): LiveDay {
  return { ...emptyLiveDay(overrides.day), ...overrides };
}

describe('rateMeasure: a rate with its exact one-sided 95% upper bound', () => {
  it.each([
    // 0 events: the bound is 1 - 0.05^(1/n) (the "rule of three" 3/n for large n).
    [0, 50, 0, 1 - 0.05 ** (1 / 50)],
    [0, 100, 0, 1 - 0.05 ** (1 / 100)],
    [0, 300, 0, 1 - 0.05 ** (1 / 300)],
    // k events: the p at which P(X <= k) is 5%, bisected here from the binomial sum.
    [1, 100, 0.01, bisectedUpper(1, 100)],
    [2, 100, 0.02, bisectedUpper(2, 100)],
    [12, 400, 0.03, bisectedUpper(12, 400)],
    [30, 200, 0.15, bisectedUpper(30, 200)],
  ])('%d of %d: rate %d, upper95 %d', (events, cases, rate, upper) => {
    const measure = rateMeasure(events, cases);
    expect(measure.rate).toBeCloseTo(rate, 12);
    expect(measure.upper95).toBeCloseTo(upper, 6);
  });

  it('matches published values: 0 of 50 bounds the rate at 5.8%, 1 of 100 at 4.7%', () => {
    expect(rateMeasure(0, 50).upper95).toBeCloseTo(0.0582, 4);
    expect(rateMeasure(1, 100).upper95).toBeCloseTo(0.0466, 4);
  });

  it('every event bounds the rate at 1, and no case gives no rate and no bound', () => {
    expect(rateMeasure(7, 7)).toEqual({ events: 7, cases: 7, rate: 1, upper95: 1 });
    expect(rateMeasure(0, 0)).toEqual({ events: 0, cases: 0, rate: null, upper95: null });
  });

  it.each([
    [3, 2],
    [-1, 10],
    [1.5, 10],
    [0, -4],
  ])('refuses %d events of %d cases', (events, cases) => {
    expect(() => rateMeasure(events, cases)).toThrow(RangeError);
  });
});

describe('nearestRankPercentile (as percentile_disc)', () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.5, 7],
    [[7], 0.95, 7],
    [[1, 2], 0.5, 1],
    [[1, 2, 3], 0.5, 2],
    [[1, 2, 3, 4], 0.5, 2],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95, 100],
    [Array.from({ length: 20 }, (_, i) => i + 1), 0.95, 19],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.5, 50],
  ])('%j at %d → %j', (values, p, expected) => {
    expect(nearestRankPercentile(values, p)).toBe(expected);
  });

  it.each([0, -0.5, 1.5, Number.NaN])('refuses percentile %d', (p) => {
    expect(() => nearestRankPercentile([1], p)).toThrow(RangeError);
  });
});

describe('summariseLiveMeasures', () => {
  const days = [
    day({
      day: '2026-11-02',
      cases: 60,
      calls: 70,
      overrides: 3,
      undone: 1,
      unlinked: 4,
      // Three complaints and a positive remark named no stored trace.
      unlinkedAdverse: { overrides: 0, undone: 0, complaints: 3, incidents: 0 },
      costUsd: 0.5,
    }),
    day({ day: '2026-11-01', cases: 40, calls: 45, errored: 2, overrides: 1, complaints: 1, positive: 9 }),
  ];

  it('sums the days in order; rates are over cases, and unlinked adverse feedback counts against its rate as cases of its own', () => {
    const measures = summariseLiveMeasures('2026-11-01', '2026-11-02', days, []);
    expect(measures.days.map((d) => d.day)).toEqual(['2026-11-01', '2026-11-02']);
    expect(measures.totals).toMatchObject({
      cases: 100,
      calls: 115,
      errored: 2,
      unlinked: 4,
      positive: 9,
      costUsd: 0.5,
      overrideRate: { events: 4, cases: 100, rate: 0.04 },
      undoRate: { events: 1, cases: 100 },
      complaintRate: { events: 4, cases: 100 },
      incidentRate: { events: 0, cases: 100, rate: 0 },
    });
    expect(measures.totals.overrideRate.upper95).toBeCloseTo(bisectedUpper(4, 100), 6);
  });

  it('never counts more cases against a rate than there are cases', () => {
    const flooded = [
      day({
        day: '2026-11-01',
        cases: 5,
        overrides: 4,
        unlinked: 10,
        unlinkedAdverse: { overrides: 10, undone: 0, complaints: 0, incidents: 0 },
      }),
    ];
    const { totals } = summariseLiveMeasures('2026-11-01', '2026-11-01', flooded, []);
    expect(totals.overrideRate).toMatchObject({ events: 5, cases: 5, rate: 1, upper95: 1 });
    expect(totals.unlinked).toBe(10);
  });

  it('adds each scorer over the days, with its failure rate and bound; unscored verdicts are not in the rate', () => {
    const measures = summariseLiveMeasures('2026-11-01', '2026-11-02', days, [
      { day: '2026-11-01', scorer: 'pii', scorerType: 'pii_leakage', scored: 40, failed: 1, unscored: 2 },
      { day: '2026-11-02', scorer: 'pii', scorerType: 'pii_leakage', scored: 60, failed: 0, unscored: 1 },
      {
        day: '2026-11-02',
        scorer: 'advice',
        scorerType: 'out_of_scope_advice',
        scored: 10,
        failed: 0,
        unscored: 0,
      },
    ]);
    expect(measures.scorers).toEqual([
      {
        scorer: 'advice',
        scorerType: 'out_of_scope_advice',
        scored: 10,
        failed: 0,
        unscored: 0,
        failureRate: 0,
        upper95: expect.closeTo(1 - 0.05 ** (1 / 10), 10),
      },
      {
        scorer: 'pii',
        scorerType: 'pii_leakage',
        scored: 100,
        failed: 1,
        unscored: 3,
        failureRate: 0.01,
        upper95: expect.closeTo(bisectedUpper(1, 100), 6),
      },
    ]);
  });

  it('a period with no live use has no rate and no bound', () => {
    const measures = summariseLiveMeasures('2026-11-01', '2026-11-01', [], []);
    expect(measures.totals.overrideRate).toEqual({ events: 0, cases: 0, rate: null, upper95: null });
    expect(measures.scorers).toEqual([]);
  });
});

describe('liveWindowUntil: only closed UTC days are read', () => {
  it.each([
    ['2026-11-05T12:00:00Z', '2026-11-05T00:00:00.000Z'],
    ['2026-11-05T00:10:00Z', '2026-11-05T00:00:00.000Z'],
    // Within ten minutes of midnight the day before is still settling: the window ends a day earlier.
    ['2026-11-05T00:09:59Z', '2026-11-04T00:00:00.000Z'],
    ['2026-11-05T23:59:59Z', '2026-11-05T00:00:00.000Z'],
  ])('at %s the window ends at %s', (now, until) => {
    expect(liveWindowUntil(new Date(now)).toISOString()).toBe(until);
  });
});

describe('measurePeriod and parseDay', () => {
  it.each([
    ['2026-11-01', '2026-11-01', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z'],
    ['2025-10-01', '2026-11-04', '2025-10-01T00:00:00.000Z', '2026-11-05T00:00:00.000Z'],
  ])('%s to %s is [%s, %s)', (from, to, start, end) => {
    const period = measurePeriod(from, to);
    expect(period).toEqual({ start: new Date(start), end: new Date(end) });
  });

  it(`allows ${MAX_MEASURE_DAYS} days and refuses one more`, () => {
    // 2025-01-01 + 399 days = 2026-02-04: 400 days, both ends included.
    expect(measurePeriod('2025-01-01', '2026-02-04')).toHaveProperty('start');
    expect(measurePeriod('2025-01-01', '2026-02-05')).toEqual({
      field: 'to',
      message: 'the period may span at most 400 days (asked 401)',
    });
  });

  it.each([
    ['2026-13-01', '2026-11-01', 'from'],
    ['2026-02-30', '2026-03-01', 'from'],
    ['2026-11-01', 'tomorrow', 'to'],
    ['2026-11-1', '2026-11-02', 'from'],
    ['2026-11-01T00:00', '2026-11-02', 'from'],
    ['2026-11-05', '2026-11-04', 'to'],
  ])('refuses %s to %s (%s)', (from, to, field) => {
    expect(measurePeriod(from, to)).toMatchObject({ field });
  });

  it('reads only real calendar days', () => {
    expect(parseDay('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDay('2025-02-29')).toBeNull();
  });
});

describe('livePilotEvidence', () => {
  const window = { since: '2026-10-01T09:00:00.000Z', until: '2026-11-05T00:00:00.000Z' };
  const counts = {
    cases: 300,
    overrides: 3,
    undone: 1,
    complaints: 0,
    incidents: 0,
    unlinked: 2,
    scorers: { b: { scored: 30, failed: 1 }, a: { scored: 30, failed: 0 } },
  };

  it('is marked live and bound by hash to the window and every count (scorer order does not matter)', () => {
    const evidence = livePilotEvidence(window, counts);
    expect(evidence).toMatchObject({ source: 'live', cases: 300, overrides: 3, unlinked: 2, window });
    const reordered = livePilotEvidence(window, {
      ...counts,
      scorers: { a: { scored: 30, failed: 0 }, b: { scored: 30, failed: 1 } },
    });
    expect(reordered.hash).toBe(evidence.hash);
    for (const changed of [
      livePilotEvidence({ ...window, until: '2026-11-06T00:00:00.000Z' }, counts),
      livePilotEvidence(window, { ...counts, overrides: 4 }),
      livePilotEvidence(window, { ...counts, unlinked: 3 }),
      livePilotEvidence(window, { ...counts, scorers: { ...counts.scorers, a: { scored: 31, failed: 0 } } }),
    ]) {
      expect(changed.hash).not.toBe(evidence.hash);
    }
  });
});

describe('the scale gate on pilot evidence', () => {
  const input = (rule: GateRule, pilot: PilotEvidence | null): GateInput => ({
    useCase: {
      id: 'uc',
      revision: 3,
      stage: 'learn',
      tier: 'low',
      record: exampleLowRiskRecord(),
      targetHash: 't',
      transparencyPublished: true,
    },
    to: 'scale',
    policy: { id: 'p', version: 1, rules: [rule, { kind: 'approvals', count: 1, role: 'reviewer' }] },
    runs: [],
    baselines: {},
    comparisons: [],
    pilot,
    reviews: [],
    now: new Date('2026-11-05T12:00:00Z'),
  });
  const overrideRule: GateRule = {
    kind: 'pilot_metric',
    measure: 'override_rate',
    stat: 'upper95',
    op: '<=',
    threshold: 0.05,
    minCases: 100,
  };
  const guardrailRule: GateRule = {
    kind: 'pilot_metric',
    measure: 'guardrail_failure_rate',
    scorer: 'pii',
    stat: 'upper95',
    op: '<=',
    threshold: 0.05,
    minCases: 100,
  };
  const window = { since: '2026-10-01T09:00:00.000Z', until: '2026-11-05T00:00:00.000Z' };
  const live = (cases: number, overrides: number, scorers = {}, unlinked = 0) =>
    livePilotEvidence(window, {
      cases,
      overrides,
      undone: 0,
      complaints: 0,
      incidents: 0,
      unlinked,
      scorers,
    });
  const recorded = (cases: number, overrides: number): PilotEvidence => ({
    source: 'recorded',
    cases,
    overrides,
    undone: 0,
    complaints: 0,
    incidents: 0,
    hash: 'r',
  });
  const judged = (rule: GateRule, pilot: PilotEvidence | null) => evaluateGate(input(rule, pilot)).rules[0];

  it.each([
    [
      'live: 0 overrides in 100 cases (bound 3.0%)',
      overrideRule,
      live(100, 0),
      'pass',
      'measured from live use',
    ],
    [
      'live: 2 overrides in 100 cases (bound 6.2%)',
      overrideRule,
      live(100, 2),
      'fail',
      'measured from live use',
    ],
    ['live: 99 cases, fewer than the minimum', overrideRule, live(99, 0), 'missing', 'inconclusive'],
    ['live: no closed day yet', overrideRule, live(0, 0), 'missing', 'no live cases in closed days yet'],
    ['recorded: 0 in 100', overrideRule, recorded(100, 0), 'pass', 'recorded by the team'],
    ['recorded: nothing', overrideRule, null, 'missing', 'no pilot observations recorded'],
    [
      'guardrail, live: 0 of 100 scored',
      guardrailRule,
      live(100, 0, { pii: { scored: 100, failed: 0 } }),
      'pass',
      'pii failure rate',
    ],
    [
      'guardrail, live: 3 of 100 scored',
      guardrailRule,
      live(100, 0, { pii: { scored: 100, failed: 3 } }),
      'fail',
      'pii failure rate',
    ],
    [
      'guardrail, live: 60 scored',
      guardrailRule,
      live(100, 0, { pii: { scored: 60, failed: 0 } }),
      'missing',
      '60 live interactions scored by pii',
    ],
    [
      'guardrail, live: scorer never ran',
      guardrailRule,
      live(100, 0),
      'missing',
      'no live interaction scored by pii',
    ],
    ['guardrail, recorded', guardrailRule, recorded(100, 0), 'missing', 'never typed'],
  ] as const)('%s', (_name, rule, pilot, verdict, reason) => {
    const outcome = judged(rule, pilot);
    expect(outcome.verdict).toBe(verdict);
    expect(outcome.reason).toContain(reason);
  });

  it('says how much feedback named no stored trace (the measures already counted the adverse ones)', () => {
    const outcome = judged(overrideRule, live(100, 0, {}, 7));
    expect(outcome.verdict).toBe('pass');
    expect(outcome.reason).toContain(
      '7 feedback event(s) named no stored trace: the adverse ones count as cases of their own',
    );
    expect(outcome.actual).toBeCloseTo(1 - 0.05 ** (1 / 100), 10);
  });

  it('binds the evaluation to the live aggregates: other counts, another hash', () => {
    const a = evaluateGate(input(overrideRule, live(100, 0)));
    const b = evaluateGate(input(overrideRule, live(100, 0, {}, 1)));
    expect(a.verdict).toBe(b.verdict);
    expect(a.hash).not.toBe(b.hash);
  });
});
