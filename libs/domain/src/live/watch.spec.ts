import { type Actor } from '../identity/roles';
import { clopperPearsonInterval } from '../statistics/proportions';
import {
  assertCanResolveWatchAlert,
  configMismatchSummary,
  exactLowerBound,
  inputLength,
  killSwitchConsequence,
  lengthDrifted,
  median,
  mismatchedHashes,
  reapprovalOffered,
  rateDrift,
  reevaluationDue,
  regressionFindings,
  type SeenHashes,
  WATCH_LIMITS,
  type WatchAlertKind,
  watchMarksStage,
  withSeenHashes,
} from './watch';

const h = (c: string) => c.repeat(64);
const APPROVED = h('a');

describe('mismatchedHashes', () => {
  it.each([
    ['the approved hash alone', APPROVED, [APPROVED], []],
    ['another hash', APPROVED, [h('b')], [h('b')]],
    ['duplicates once, approved left out', APPROVED, [h('b'), APPROVED, h('b'), h('c')], [h('b'), h('c')]],
    ['upper case is the same hash', APPROVED, [APPROVED.toUpperCase()], []],
    ['malformed values are ignored', APPROVED, ['not-a-hash', 'b'.repeat(63), ''], []],
    ['no registered target: every hash', null, [APPROVED], [APPROVED]],
  ])('%s', (_name, target, reported, expected) => {
    expect(mismatchedHashes(target, reported)).toEqual(expected);
  });

  it('reads at most maxHashesPerCall values of one call', () => {
    const many = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(64, '0'));
    expect(mismatchedHashes(APPROVED, many)).toHaveLength(WATCH_LIMITS.maxHashesPerCall);
  });
});

describe('withSeenHashes', () => {
  const empty: SeenHashes = { hashes: [], distinct: 0, more: false };

  it('adds new hashes and says so; a known one changes nothing', () => {
    const first = withSeenHashes(empty, [h('b'), h('c')]);
    expect(first).toEqual({ seen: { hashes: [h('b'), h('c')], distinct: 2, more: false }, changed: true });
    expect(withSeenHashes(first.seen, [h('c')])).toEqual({ seen: first.seen, changed: false });
  });

  it('keeps at most maxListedHashes, then counts the overflow once and stops writing', () => {
    const hashes = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(64, '0'));
    const full = withSeenHashes(empty, hashes);
    expect(full.seen.hashes).toHaveLength(WATCH_LIMITS.maxListedHashes);
    expect(full.seen).toMatchObject({ distinct: WATCH_LIMITS.maxListedHashes + 1, more: true });
    expect(withSeenHashes(full.seen, [h('f')]).changed).toBe(false);
  });
});

describe('kill switch and the mismatch summary', () => {
  it.each([
    [{}, 'The record names no kill switch'],
    [{ operations: { killSwitch: '  ' } }, 'The record names no kill switch'],
    [
      { operations: { killSwitch: 'Caseworkers switch to the manual form' } },
      'Kill switch: Caseworkers switch',
    ],
  ])('%j', (record, expected) => {
    expect(killSwitchConsequence(record)).toContain(expected);
  });

  it.each([
    ['learn', APPROVED, 'under change at learn'],
    ['scale', APPROVED, 'under change at scale'],
    ['test', APPROVED, 'recorded, not marked'],
    ['learn', null, 'no target is registered'],
  ] as const)('at %s with target %s', (stage, target, expected) => {
    const summary = configMismatchSummary(stage, target, { operations: { killSwitch: 'x'.repeat(1000) } });
    expect(summary).toContain(expected);
    expect(summary.length).toBeLessThanOrEqual(500);
  });

  it.each([
    ['proposed', false],
    ['test', false],
    ['learn', true],
    ['scale', true],
    ['retired', false],
  ] as const)('%s marks: %s', (stage, marks) => {
    expect(watchMarksStage(stage)).toBe(marks);
  });
});

describe('reevaluationDue', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  it.each([
    ['no schedule', null, null, false],
    ['a schedule of 0 days', daysAgo(100), 0, false],
    ['never run', null, 7, true],
    ['ran 6 days ago, every 7', daysAgo(6), 7, false],
    ['ran exactly 7 days ago, every 7', daysAgo(7), 7, true],
    ['ran 30 days ago, every 7', daysAgo(30), 7, true],
  ])('%s', (_name, last, every, due) => {
    expect(reevaluationDue(last, every, now)).toBe(due);
  });
});

describe('regressionFindings', () => {
  const completed = (
    comparisons: { metric: string; difference: number | null; pValue: number }[],
    outcome = 'passed',
  ) => ({
    suite: 'yes-no@1',
    status: 'completed',
    outcome,
    comparisons,
  });
  it.each([
    ['no difference', [completed([{ metric: 'correct', difference: -0.05, pValue: 0.3 }])], 0],
    ['significantly better', [completed([{ metric: 'correct', difference: 0.3, pValue: 0.001 }])], 0],
    ['significantly worse', [completed([{ metric: 'correct', difference: -0.4, pValue: 0.001 }])], 1],
    [
      'p exactly alpha is not significant',
      [completed([{ metric: 'correct', difference: -0.4, pValue: 0.05 }])],
      0,
    ],
    ['no difference computable', [completed([{ metric: 'correct', difference: null, pValue: 0.001 }])], 0],
    ['failed its thresholds', [completed([], 'failed')], 1],
    ['the re-run failed', [{ suite: 'yes-no@1', status: 'failed', outcome: null, comparisons: [] }], 1],
  ])('%s', (_name, suites, count) => {
    expect(regressionFindings(suites)).toHaveLength(count);
  });

  it('names the metric and the difference', () => {
    const [finding] = regressionFindings([
      completed([{ metric: 'correct', difference: -0.4, pValue: 0.001 }]),
    ]);
    expect(finding).toContain('correct: -40.0 points');
  });
});

describe('exactLowerBound', () => {
  it.each([
    [0, 100],
    [1, 100],
    [10, 100],
    [50, 100],
    [99, 100],
    [100, 100],
    [3, 7],
  ])('%i of %i agrees with the 90%% two-sided Clopper-Pearson lower end', (failures, n) => {
    const expected = clopperPearsonInterval(failures, n, 0.9)?.lower ?? NaN;
    expect(exactLowerBound(failures, n)).toBeCloseTo(expected, 9);
  });

  it('is null with no cases', () => {
    expect(exactLowerBound(0, 0)).toBeNull();
  });
});

describe('rateDrift', () => {
  const policy = { minCases: 100, rateMargin: 0.02 };
  it.each([
    ['too few cases, however bad', { failures: 90, n: 99 }, 0.01, false],
    ['same as baseline', { failures: 2, n: 200 }, 0.01, false],
    ['high point rate but the lower bound within the margin', { failures: 6, n: 100 }, 0.02, false],
    ['well past the margin', { failures: 20, n: 200 }, 0.01, true],
  ])('%s', (_name, live, baseline, drifts) => {
    expect(rateDrift('pii', live, baseline, policy) !== null).toBe(drifts);
  });

  it('gives the numbers', () => {
    expect(rateDrift('pii', { failures: 20, n: 200 }, 0.01, policy)).toMatchObject({
      metric: 'pii',
      liveRate: 0.1,
      baselineRate: 0.01,
      limit: 0.03,
      n: 200,
    });
  });
});

describe('median, lengths', () => {
  it.each([
    [[], null],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])('median of %j', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it.each([
    [100, 100, 2, false],
    [201, 100, 2, true],
    [200, 100, 2, false],
    [49, 100, 2, true],
    [0, 0, 2, false],
    [0, 10, 2, true],
  ])('live %i vs %i at ratio %i drifted: %s', (live, base, ratio, drifted) => {
    expect(lengthDrifted(live, base, ratio)).toBe(drifted);
  });

  it.each([
    ['text', 'abcd', 4],
    [
      'messages',
      [
        { role: 'system', content: 'ab' },
        { role: 'user', content: 'cde' },
      ],
      5,
    ],
    ['null', null, 0],
    ['other', { a: 1 }, 7],
  ])('input length of %s', (_name, input, expected) => {
    expect(inputLength(input)).toBe(expected);
  });
});

describe('assertCanResolveWatchAlert', () => {
  const useCase = { ownerTeamId: 'team-a', stage: 'learn' as const };
  const actor = (roles: Actor['roles'], teamId: string | null): Actor => ({
    id: 'u',
    name: 'U',
    teamId,
    roles,
  });
  const reviewer = actor(['reviewer'], 'assurance');
  const teamReviewer = actor(['reviewer'], 'team-a');
  const owner = actor(['service_team'], 'team-a');
  const engineer = actor(['engineer'], 'team-a');
  const outsider = actor(['service_team'], 'team-b');
  const admin = actor(['admin'], null);

  it.each<[string, Actor, WatchAlertKind, string | null]>([
    ['reviewer, drift', reviewer, 'drift', null],
    ['reviewer, regression', reviewer, 'regression', null],
    ['reviewer, evidence', reviewer, 'evidence_expiring', null],
    ['reviewer, config mismatch', reviewer, 'config_mismatch', 'config_mismatch_resolved_by_reapproval'],
    ['owner, drift', owner, 'drift', null],
    ['engineer, evidence', engineer, 'evidence_expiring', null],
    ['owner, regression', owner, 'regression', 'watch_alert_resolved_by_reviewer_or_team'],
    ['owner, config mismatch', owner, 'config_mismatch', 'config_mismatch_resolved_by_reapproval'],
    [
      'reviewer in the owning team, regression',
      teamReviewer,
      'regression',
      'watch_alert_resolved_by_reviewer_or_team',
    ],
    ['another team, drift', outsider, 'drift', 'watch_alert_resolved_by_reviewer_or_team'],
    ['admin, drift', admin, 'drift', 'watch_alert_resolved_by_reviewer_or_team'],
  ])('%s', (_name, who, kind, rule) => {
    let refused: string | null = null;
    try {
      assertCanResolveWatchAlert(who, useCase, kind);
    } catch (error) {
      refused = (error as { rule?: string }).rule ?? 'no rule';
    }
    expect(refused).toBe(rule);
  });
});

describe('reapprovalOffered', () => {
  const at = new Date();
  it.each([
    [null, null, false],
    [at, null, true],
    [null, at, true],
    [at, at, true],
  ])('under change %s, under review %s', (change, review, offered) => {
    expect(reapprovalOffered({ underChangeSince: change, underReviewSince: review })).toBe(offered);
  });
});
