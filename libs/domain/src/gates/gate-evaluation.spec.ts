import { exampleLowRiskRecord } from '../ai-use-cases/example-record';
import { type AiUseCaseRecord } from '../ai-use-cases/ai-use-case-record';
import { type MetricSummary, type RunSummary } from '../evaluation/run-summary';
import { approvalRefusal, approvalState } from './gate-approvals';
import { evaluateGate, type GateInput, type RunEvidence } from './gate-evaluation';
import { type GateRule, nextGate } from './gate-policy';

const NOW = new Date('2026-06-30T12:00:00Z');
const TARGET = 'target-hash-1';

function metric(overrides: Partial<MetricSummary> = {}): MetricSummary {
  return {
    name: 'accuracy',
    scorer: 'equals',
    kind: 'pass_rate',
    guardrail: false,
    value: 0.9,
    interval: { lower: 0.86, upper: 0.93, level: 0.95, method: 'wilson' },
    upper95: null,
    n: 400,
    passed: 360,
    failed: 40,
    unscored: 0,
    errored: 0,
    groups: [],
    classification: null,
    agreement: null,
    ...overrides,
  };
}

function summary(metrics: MetricSummary[], items: Partial<RunSummary['items']> = {}): RunSummary {
  return {
    items: { total: 400, scored: 400, errored: 0, epochs: 1, ...items },
    metrics,
    weightedScore: null,
    operational: {
      providerLatencyMs: { p50: null, p95: null, p99: null, mean: null },
      itemDurationMs: { p50: null, p95: null, p99: null, mean: null },
      inputTokens: 0,
      outputTokens: 0,
      costUsd: null,
      retries: 0,
      errorsByKind: {},
    },
  };
}

function run(overrides: Partial<RunEvidence> = {}): RunEvidence {
  return {
    id: 'run-1',
    suite: { name: 'quality', version: 2, authorId: 'eve' },
    startedBy: 'eve',
    outcome: 'passed',
    completedAt: '2026-06-25T12:00:00Z',
    targetHash: TARGET,
    resultsHash: 'results-1',
    summary: summary([metric()]),
    ...overrides,
  };
}

function input(
  rules: GateRule[],
  overrides: Partial<GateInput> = {},
  record: Partial<AiUseCaseRecord> = {},
): GateInput {
  return {
    useCase: {
      id: 'uc-1',
      revision: 3,
      stage: 'test',
      tier: 'medium',
      record: { ...exampleLowRiskRecord(), ...record },
      targetHash: TARGET,
      transparencyPublished: false,
    },
    to: 'learn',
    policy: { id: 'policy-1', version: 1, rules },
    runs: [run()],
    baselines: {},
    comparisons: [],
    pilot: null,
    reviews: [],
    now: NOW,
    ...overrides,
  };
}

const only = (rule: GateRule, overrides: Partial<GateInput> = {}, record: Partial<AiUseCaseRecord> = {}) =>
  evaluateGate(input([rule], overrides, record)).rules[0];

describe('gate evaluation', () => {
  describe('suite_passed', () => {
    const rule: GateRule = { kind: 'suite_passed', suite: 'quality', minVersion: 2, maxAgeDays: 30 };
    it.each([
      ['a passing run 5 days old', {}, 'pass'],
      ['a run exactly 30 days old', { runs: [run({ completedAt: '2026-05-31T12:00:00Z' })] }, 'pass'],
      ['a run 30 days and a minute old', { runs: [run({ completedAt: '2026-05-31T11:59:00Z' })] }, 'fail'],
      ['a run whose thresholds failed', { runs: [run({ outcome: 'failed' })] }, 'fail'],
      [
        'a run of an older suite version',
        { runs: [run({ suite: { name: 'quality', version: 1, authorId: 'eve' } })] },
        'missing',
      ],
      ['no run', { runs: [] }, 'missing'],
      ['a run against another target', { runs: [run({ targetHash: 'old' })] }, 'missing'],
    ] as const)('%s → %s', (_name, overrides, expected) => {
      expect(only(rule, overrides as Partial<GateInput>).verdict).toBe(expected);
    });

    it('reads the most recent run on the registered target', () => {
      const verdict = only(rule, {
        runs: [
          run({ id: 'old', outcome: 'failed', completedAt: '2026-06-20T00:00:00Z' }),
          run({ id: 'new', completedAt: '2026-06-28T00:00:00Z' }),
          run({ id: 'other-target', targetHash: 'x', completedAt: '2026-06-29T00:00:00Z' }),
        ],
      });
      expect(verdict).toMatchObject({ verdict: 'pass', runId: 'new' });
    });

    it('needs a registered target', () => {
      const verdict = evaluateGate({
        ...input([rule]),
        useCase: { ...input([rule]).useCase, targetHash: null },
      }).rules[0];
      expect(verdict.verdict).toBe('missing');
      expect(verdict.reason).toContain('no registered target');
    });
  });

  describe('metric', () => {
    const rule = (
      stat: 'ci_lower' | 'upper95' | 'max_group_gap_upper95',
      op: '>=' | '<=',
      threshold: number,
      extra: Partial<GateRule> = {},
    ): GateRule =>
      ({ kind: 'metric', suite: 'quality', metric: 'accuracy', stat, op, threshold, ...extra }) as GateRule;
    it.each([
      ['ci_lower 0.86 >= 0.86 (at the boundary)', rule('ci_lower', '>=', 0.86), 'pass', 0.86],
      ['ci_lower 0.86 >= 0.8601', rule('ci_lower', '>=', 0.8601), 'fail', 0.86],
      ['minN met', rule('ci_lower', '>=', 0.8, { minN: 400 }), 'pass', 0.86],
      ['minN not met: inconclusive', rule('ci_lower', '>=', 0.8, { minN: 401 }), 'missing', null],
    ] as const)('%s → %s', (_name, r, expected, actual) => {
      expect(only(r)).toMatchObject({ verdict: expected, actual });
    });

    it('reads a guardrail failure rate by its exact upper bound', () => {
      const guardrail = metric({
        name: 'pii',
        guardrail: true,
        kind: 'failure_rate',
        value: 0,
        upper95: 0.0075,
        interval: null,
      });
      const runs = [run({ summary: summary([guardrail]) })];
      const at = (threshold: number) =>
        only(
          { kind: 'metric', suite: 'quality', metric: 'pii', stat: 'upper95', op: '<=', threshold },
          { runs },
        ).verdict;
      expect(at(0.0075)).toBe('pass');
      expect(at(0.0074)).toBe('fail');
    });

    it('judges group gaps only when every group is large enough', () => {
      const grouped = (n: number) =>
        metric({
          groups: [
            {
              key: 'age_band',
              groups: [
                {
                  group: '16-64',
                  n: 300,
                  value: 0.9,
                  interval: { lower: 0.86, upper: 0.93, level: 0.95, method: 'wilson' },
                },
                {
                  group: '65+',
                  n,
                  value: 0.85,
                  interval: { lower: 0.75, upper: 0.92, level: 0.95, method: 'wilson' },
                },
              ],
              smallGroups: [],
              maxGap: {
                value: 0.05,
                between: ['16-64', '65+'],
                interval: { lower: -0.02, upper: 0.14, level: 0.95, method: 'bootstrap' },
              },
            },
          ],
        });
      const gap = rule('max_group_gap_upper95', '<=', 0.15, { minGroupSize: 100 });
      expect(only(gap, { runs: [run({ summary: summary([grouped(100)]) })] })).toMatchObject({
        verdict: 'pass',
        actual: 0.14,
      });
      const small = only(gap, { runs: [run({ summary: summary([grouped(99)]) })] });
      expect(small).toMatchObject({ verdict: 'missing' });
      expect(small.reason).toContain('age_band=65+ (n=99)');
      expect(only(gap).verdict).toBe('missing'); // no breakdown at all
    });

    it('is missing when the run lacks the metric', () => {
      expect(
        only({ kind: 'metric', suite: 'quality', metric: 'nope', stat: 'value', op: '>=', threshold: 0 })
          .reason,
      ).toContain('no metric nope');
    });
  });

  describe('no_regression', () => {
    const rule: GateRule = { kind: 'no_regression', suite: 'quality', metric: 'accuracy', alpha: 0.05 };
    const comparison = (difference: number, pValue: number) => ({
      baselineRunId: 'approved',
      candidateRunId: 'run-1',
      metric: 'accuracy',
      difference,
      pValue,
      test: 'mcnemar_exact',
    });
    it.each([
      ['no approved run yet', {}, 'pass'],
      [
        'a significant drop',
        { baselines: { quality: 'approved' }, comparisons: [comparison(-0.05, 0.01)] },
        'fail',
      ],
      [
        'a drop at exactly alpha (not significant)',
        { baselines: { quality: 'approved' }, comparisons: [comparison(-0.05, 0.05)] },
        'pass',
      ],
      [
        'a significant gain',
        { baselines: { quality: 'approved' }, comparisons: [comparison(0.05, 0.001)] },
        'pass',
      ],
      ['no comparison available', { baselines: { quality: 'approved' } }, 'missing'],
    ] as const)('%s → %s', (_name, overrides, expected) => {
      expect(only(rule, overrides as Partial<GateInput>).verdict).toBe(expected);
    });
  });

  describe('unscored_max', () => {
    const rule: GateRule = { kind: 'unscored_max', suite: 'quality', max: 0.05 };
    it.each([
      [10, 10, 'pass'], // 20 of 400 = 5%
      [11, 10, 'fail'],
      [0, 0, 'pass'],
    ] as const)('%i errored + %i unscored of 400 → %s', (errored, unscored, expected) => {
      const runs = [run({ summary: summary([metric({ unscored })], { errored }) })];
      expect(only(rule, { runs }).verdict).toBe(expected);
    });
  });

  describe('evidence', () => {
    const dpia = { kind: 'evidence', requirement: 'dpia_approved' } as const;
    const personal = { data: { personalData: true, specialCategoryData: false, sources: [] } };
    it.each([
      ['no personal data: not applicable', {}, 'pass'],
      ['personal data, no DPIA', personal, 'missing'],
      [
        'personal data, DPIA in progress',
        { ...personal, impactAssessments: [{ kind: 'dpia', status: 'in_progress' }] },
        'fail',
      ],
      [
        'personal data, DPIA approved',
        { ...personal, impactAssessments: [{ kind: 'dpia', status: 'approved', date: '2026-05-01' }] },
        'pass',
      ],
      [
        'personal data, DPIA marked not required',
        { ...personal, impactAssessments: [{ kind: 'dpia', status: 'not_required' }] },
        'fail',
      ],
    ] as const)('%s → %s', (_name, record, expected) => {
      expect(only(dpia, {}, record as Partial<AiUseCaseRecord>).verdict).toBe(expected);
    });

    it('needs the kill switch described, and the transparency record published', () => {
      expect(only({ kind: 'evidence', requirement: 'kill_switch_described' }).verdict).toBe('missing');
      expect(
        only(
          { kind: 'evidence', requirement: 'kill_switch_described' },
          {},
          { operations: { killSwitch: 'The SRO disables the feature flag.' } },
        ).verdict,
      ).toBe('pass');
      const published = evaluateGate({
        ...input([{ kind: 'evidence', requirement: 'transparency_record_published' }]),
        useCase: { ...input([]).useCase, transparencyPublished: true },
      });
      expect(published.rules[0].verdict).toBe('pass');
    });
  });

  describe('pilot_metric', () => {
    const rule: GateRule = {
      kind: 'pilot_metric',
      measure: 'override_rate',
      stat: 'upper95',
      op: '<=',
      threshold: 0.05,
      minCases: 100,
    };
    const pilot = (cases: number, overrides: number) => ({
      cases,
      overrides,
      undone: 0,
      complaints: 0,
      incidents: 0,
      hash: 'p',
    });
    it.each([
      ['no observations', null, 'missing'],
      ['99 cases (fewer than the minimum)', pilot(99, 0), 'missing'],
      ['0 overrides in 100 cases (upper bound about 3%)', pilot(100, 0), 'pass'],
      ['2 overrides in 100 cases (upper bound about 6.2%)', pilot(100, 2), 'fail'],
      ['2 overrides in 200 cases (upper bound about 3.1%)', pilot(200, 2), 'pass'],
    ] as const)('%s → %s', (_name, observed, expected) => {
      expect(only(rule, { pilot: observed }).verdict).toBe(expected);
    });
  });

  describe('the evaluation as a whole', () => {
    const rules: GateRule[] = [
      { kind: 'suite_passed', suite: 'quality', maxAgeDays: 30 },
      { kind: 'metric', suite: 'quality', metric: 'accuracy', stat: 'ci_lower', op: '>=', threshold: 0.85 },
      { kind: 'approvals', count: 2, role: 'reviewer' },
    ];

    it('passes when every evidence rule passes, and carries the approvals the gate needs', () => {
      const verdict = evaluateGate(input(rules));
      expect(verdict).toMatchObject({
        verdict: 'pass',
        from: 'test',
        to: 'learn',
        approvals: { count: 2, role: 'reviewer' },
      });
      expect(verdict.rules.map((r) => r.rule.kind)).toEqual(['suite_passed', 'metric']);
      expect(verdict.runsUsed).toEqual([
        {
          id: 'run-1',
          suite: 'quality',
          version: 2,
          resultsHash: 'results-1',
          startedBy: 'eve',
          suiteAuthorId: 'eve',
        },
      ]);
    });

    it('fails when any rule is missing its evidence', () => {
      expect(evaluateGate(input(rules, { runs: [] })).verdict).toBe('fail');
    });

    it('hashes the same inputs to the same hash, and different evidence to a different one', () => {
      const a = evaluateGate(input(rules));
      expect(evaluateGate(input(rules)).hash).toBe(a.hash);
      expect(evaluateGate(input(rules, { now: new Date('2026-07-01T12:00:00Z') })).hash).toBe(a.hash); // a day later, still fresh
      expect(evaluateGate(input(rules, { runs: [run({ resultsHash: 'results-2' })] })).hash).not.toBe(a.hash);
      expect(
        evaluateGate({ ...input(rules), useCase: { ...input(rules).useCase, revision: 4 } }).hash,
      ).not.toBe(a.hash);
      expect(evaluateGate({ ...input(rules), policy: { id: 'policy-1', version: 2, rules } }).hash).not.toBe(
        a.hash,
      );
    });

    // Equal hashes are how a re-check finds the standing evaluation (and keeps its approvals): every input
    // that should void an evaluation must move the hash, and nothing else may.
    it.each([
      ['the registered target', (i: GateInput) => ({ ...i, useCase: { ...i.useCase, targetHash: 'other' } })],
      ['the transition', (i: GateInput) => ({ ...i, to: 'scale' as const })],
      [
        'a newer run on the target',
        (i: GateInput) => ({
          ...i,
          runs: [...i.runs, run({ id: 'run-2', completedAt: '2026-06-29T12:00:00Z' })],
        }),
      ],
      [
        'a pilot observation',
        (i: GateInput) => ({
          ...i,
          pilot: { cases: 10, overrides: 0, undone: 0, complaints: 0, incidents: 0, hash: 'p-2' },
        }),
      ],
      [
        'a verdict (the run aged past maxAgeDays)',
        (i: GateInput) => ({ ...i, now: new Date('2026-07-30T12:00:00Z') }),
      ],
    ] as const)('a change of %s gives another hash', (_name, change) => {
      const base = input(rules, {
        pilot: { cases: 5, overrides: 0, undone: 0, complaints: 0, incidents: 0, hash: 'p-1' },
      });
      expect(evaluateGate(change(base)).hash).not.toBe(evaluateGate(base).hash);
    });

    it('keeps the hash of a stale run within a day, and moves it with each further day of age', () => {
      const stale = (now: string) =>
        evaluateGate(
          input(rules, { runs: [run({ completedAt: '2026-05-01T00:00:00Z' })], now: new Date(now) }),
        );
      const morning = stale('2026-06-30T09:00:00Z');
      expect(morning.rules[0]).toMatchObject({ verdict: 'fail', actual: 60 });
      expect(stale('2026-06-30T23:00:00Z').hash).toBe(morning.hash);
      expect(stale('2026-07-01T09:00:00Z').hash).not.toBe(morning.hash);
    });

    it('does not move the hash for runs no rule reads, nor for how the reasons word elapsed time', () => {
      const a = evaluateGate(input(rules));
      const unread = run({ id: 'run-9', suite: { name: 'other-suite', version: 1, authorId: 'olu' } });
      expect(evaluateGate(input(rules, { runs: [run(), unread] })).hash).toBe(a.hash);
      const later = evaluateGate(input(rules, { now: new Date('2026-07-03T12:00:00Z') }));
      expect(later.rules[0].reason).not.toBe(a.rules[0].reason); // "passed its thresholds 8 day(s) ago"
      expect(later.hash).toBe(a.hash);
    });
  });
});

describe('the gate after each stage', () => {
  it.each([
    ['proposed', 'test'],
    ['test', 'learn'],
    ['learn', 'scale'],
    ['scale', null],
    ['retired', null],
  ] as const)('%s → %s', (stage, gate) => {
    expect(nextGate(stage)).toBe(gate);
  });
});

describe('separation of duties for approvals', () => {
  const context = { ownerTeamId: 'benefits', proposedBy: 'sam', runStarters: ['eve'], suiteAuthors: ['olu'] };
  const reviewer = (
    id: string,
    teamId: string | null = 'assurance',
    roles: ('reviewer' | 'admin' | 'engineer')[] = ['reviewer'],
  ) => ({ id, name: id, teamId, roles });
  it.each([
    ['an independent reviewer', reviewer('rita'), null],
    [
      'an admin who is not a reviewer',
      reviewer('ada', 'platform', ['admin']),
      'approver_needs_reviewer_role',
    ],
    ['a reviewer in the owning team', reviewer('rob', 'benefits'), 'approver_in_owning_team'],
    ['the proposer', reviewer('sam'), 'approver_proposed_transition'],
    ['a reviewer who started a run used', reviewer('eve'), 'approver_started_evidence_run'],
    ['a reviewer who authored a suite used', reviewer('olu'), 'approver_authored_suite'],
  ] as const)('%s → %s', (_name, actor, rule) => {
    expect(approvalRefusal(actor, context)?.rule ?? null).toBe(rule);
  });

  it.each([
    [[], 1, 'pending'],
    [[{ approverId: 'a', decision: 'approve' }], 1, 'approved'],
    [[{ approverId: 'a', decision: 'approve' }], 2, 'pending'],
    [
      [
        { approverId: 'a', decision: 'approve' },
        { approverId: 'a', decision: 'approve' },
      ],
      2,
      'pending',
    ],
    [
      [
        { approverId: 'a', decision: 'approve' },
        { approverId: 'b', decision: 'reject' },
      ],
      1,
      'rejected',
    ],
  ] as const)('approvals %j needing %i → %s', (approvals, required, state) => {
    expect(approvalState([...approvals], required)).toBe(state);
  });
});
