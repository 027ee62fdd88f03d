import { DomainError } from '../errors/domain-error';
import { permits } from '../errors/permits';
import { type Actor, type Role } from '../identity/roles';
import {
  allowedRunActions,
  assertCanCancelRun,
  CANCELLABLE_RUN_STATUSES,
  canTransitionRun,
  isLiveRunStatus,
  isRunStatus,
  isTerminalRunStatus,
  RUN_STATUSES,
  type RunStatus,
  TERMINAL_RUN_STATUSES,
} from './run-lifecycle';

const actor = (id: string, roles: Role[], teamId: string | null = 'team-a'): Actor => ({
  id,
  name: id,
  teamId,
  roles,
});

/** The rule a DomainError names, or 'allowed' when nothing is thrown. */
function ruleOf(action: () => unknown): string {
  try {
    action();
    return 'allowed';
  } catch (error) {
    if (error instanceof DomainError) {
      return `${error.code}/${error.rule}`;
    }
    throw error;
  }
}

describe('the run lifecycle', () => {
  it.each<[RunStatus, RunStatus[]]>([
    ['queued', ['running', 'cancelled']],
    ['running', ['aggregating', 'cancelled', 'failed']],
    ['aggregating', ['completed', 'failed']],
    ['completed', []],
    ['cancelled', []],
    ['failed', []],
  ])('%s may move to %j and nowhere else', (from, allowed) => {
    for (const to of RUN_STATUSES) {
      expect([to, canTransitionRun(from, to)]).toEqual([to, allowed.includes(to)]);
    }
  });

  it('has completed, cancelled and failed as its final statuses, and cancels only queued or running runs', () => {
    expect(TERMINAL_RUN_STATUSES).toEqual(['completed', 'cancelled', 'failed']);
    expect(CANCELLABLE_RUN_STATUSES).toEqual(['queued', 'running']);
    expect(RUN_STATUSES.filter(isLiveRunStatus)).toEqual(['queued', 'running', 'aggregating']);
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual(['completed', 'cancelled', 'failed']);
  });

  it.each([
    ['running', true],
    ['cancelled', true],
    ['paused', false],
    ['', false],
    [null, false],
    [3, false],
  ])('isRunStatus(%j) is %s', (value, expected) => {
    expect(isRunStatus(value)).toBe(expected);
  });
});

describe('who may cancel a run', () => {
  const run = (status: RunStatus = 'running') => ({ createdBy: 'starter', status });
  const teamA = { ownerTeamId: 'team-a' };
  const REFUSED = 'forbidden/cancel_own_runs';

  it.each<[string, string, Actor, { ownerTeamId: string } | null]>([
    ['the person who started it', 'allowed', actor('starter', ['engineer']), null],
    ['the starter, moved to another team since', 'allowed', actor('starter', ['engineer'], 'team-b'), teamA],
    ['an admin of no team', 'allowed', actor('admin', ['admin'], null), null],
    ['an engineer of the owning team', 'allowed', actor('eng-a', ['engineer']), teamA],
    ['a service-team member of the owning team', 'allowed', actor('svc-a', ['service_team']), teamA],
    [
      'an engineer of the same team, but the run has no use case',
      REFUSED,
      actor('eng-a', ['engineer']),
      null,
    ],
    ['a service-team member, the run has no use case', REFUSED, actor('svc-a', ['service_team']), null],
    ['an engineer of another team', REFUSED, actor('eng-b', ['engineer'], 'team-b'), teamA],
    ['a reviewer of the owning team', REFUSED, actor('rev-a', ['reviewer']), teamA],
    ['a reviewer of no team', REFUSED, actor('rev', ['reviewer'], null), teamA],
    ['a user of no team, the use case has an owner', REFUSED, actor('eng', ['engineer'], null), teamA],
  ])('%s: %s', (_who, expected, who, useCase) => {
    expect(ruleOf(() => assertCanCancelRun(who, run(), useCase))).toBe(expected);
    expect(allowedRunActions(who, run(), useCase)).toEqual({ cancel: expected === 'allowed' });
  });

  it.each<[RunStatus, string]>([
    ['queued', 'allowed'],
    ['running', 'allowed'],
    ['aggregating', 'invalid_state/cancel_running_runs'],
    ['completed', 'invalid_state/cancel_running_runs'],
    ['cancelled', 'invalid_state/cancel_running_runs'],
    ['failed', 'invalid_state/cancel_running_runs'],
  ])('its starter and a %s run: %s', (status, expected) => {
    const starter = actor('starter', ['engineer']);
    expect(ruleOf(() => assertCanCancelRun(starter, run(status), null))).toBe(expected);
    expect(allowedRunActions(starter, run(status), null).cancel).toBe(expected === 'allowed');
  });

  it('refuses someone without the permission before saying anything about the state', () => {
    const other = actor('eng-b', ['engineer'], 'team-b');
    expect(ruleOf(() => assertCanCancelRun(other, run('completed'), teamA))).toBe(
      'forbidden/cancel_own_runs',
    );
  });
});

describe('permits', () => {
  it('is true when the rule passes, false when it refuses, and rethrows anything else', () => {
    expect(permits(() => undefined)).toBe(true);
    expect(
      permits(() => {
        throw DomainError.forbidden('no', 'rule');
      }),
    ).toBe(false);
    expect(() =>
      permits(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});
