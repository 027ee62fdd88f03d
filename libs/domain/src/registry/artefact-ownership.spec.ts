import { type DomainError } from '../errors/domain-error';
import { type Actor } from '../identity/roles';
import { assertMayPublish, decidePublish, mayPinFrom, type NameHolder } from './artefact-ownership';

const engineer = (teamId: string | null): Actor => ({ id: 'u1', name: 'E', teamId, roles: ['engineer'] });
const admin = (teamId: string | null): Actor => ({
  id: 'a1',
  name: 'A',
  teamId,
  roles: ['admin', 'engineer'],
});
const system: Actor = { id: 'system', name: 'Gatehouse', teamId: null, roles: ['engineer'] };
const unclaimed: NameHolder = { kind: 'unclaimed' };
const teamA: NameHolder = { kind: 'team', teamId: 'A' };
const platform: NameHolder = { kind: 'platform' };

describe('decidePublish', () => {
  it.each([
    [
      'an engineer claims an unclaimed name for their team',
      engineer('A'),
      unclaimed,
      { allowed: true, ownerTeamId: 'A' },
    ],
    [
      'a user without a team claims an unclaimed name for the platform',
      engineer(null),
      unclaimed,
      { allowed: true, ownerTeamId: null },
    ],
    ['the owning team publishes again', engineer('A'), teamA, { allowed: true, ownerTeamId: 'A' }],
    ['another team is refused', engineer('B'), teamA, { allowed: false, reason: 'owned_by_another_team' }],
    [
      'a user without a team is refused a team name',
      engineer(null),
      teamA,
      { allowed: false, reason: 'owned_by_another_team' },
    ],
    [
      'an admin of another team is refused a team name',
      admin('B'),
      teamA,
      { allowed: false, reason: 'owned_by_another_team' },
    ],
    [
      'an admin without a team is refused a team name',
      admin(null),
      teamA,
      { allowed: false, reason: 'owned_by_another_team' },
    ],
    ['an admin publishes under a platform name', admin('B'), platform, { allowed: true, ownerTeamId: null }],
    [
      'Gatehouse (the examples) publishes under a platform name',
      system,
      platform,
      { allowed: true, ownerTeamId: null },
    ],
    [
      'a team engineer is refused a platform name',
      engineer('A'),
      platform,
      { allowed: false, reason: 'owned_by_the_platform' },
    ],
    [
      'a user without a team is refused a platform name',
      engineer(null),
      platform,
      { allowed: false, reason: 'owned_by_the_platform' },
    ],
  ])('%s', (_case, actor, holder, expected) => {
    expect(decidePublish(actor, holder)).toEqual(expected);
  });

  it('answers a refusal as a 409 naming the field, not the owning team', () => {
    const refusal = (() => {
      try {
        assertMayPublish(engineer('B'), 'cassette', 'triage', teamA);
      } catch (error) {
        return error as DomainError;
      }
      throw new Error('not refused');
    })();
    expect(refusal.code).toBe('conflict');
    expect(refusal.problems).toEqual([
      { field: 'name', message: 'belongs to another team', code: 'owned_by_another_team' },
    ]);
    expect(refusal.message).not.toContain('A ');
  });
});

describe('mayPinFrom', () => {
  it.each([
    [teamA, ['A'], true],
    [teamA, ['B', null], false],
    [platform, ['B'], true],
    [unclaimed, ['A'], false],
  ] as const)('%j for %j: %s', (holder, teams, expected) => {
    expect(mayPinFrom(holder, teams)).toBe(expected);
  });
});
