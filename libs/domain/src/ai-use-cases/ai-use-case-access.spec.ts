import { type Actor, type Role } from '../identity/roles';
import {
  assertCanEditAiUseCase,
  assertCanOverrideRiskTier,
  assertCanRegisterAiUseCase,
  canViewAiUseCase,
} from './ai-use-case-access';
import { type Stage } from './stage';

const actor = (teamId: string | null, ...roles: Role[]): Actor => ({ id: 'u', name: 'U', teamId, roles });
const draft = { ownerTeamId: 'team-a', stage: 'proposed' as Stage };
const testing = { ownerTeamId: 'team-a', stage: 'test' as Stage };

const outcome = (fn: () => void) => {
  try {
    fn();
    return 'allowed';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('AI use case access', () => {
  it.each<[string, Actor, boolean, boolean]>([
    ['owning service team', actor('team-a', 'service_team'), true, true],
    ['owning engineer', actor('team-a', 'engineer'), true, true],
    ['other team service team', actor('team-b', 'service_team'), false, true],
    ['other team engineer', actor('team-b', 'engineer'), false, true],
    ['reviewer', actor('team-r', 'reviewer'), true, true],
    ['admin without team', actor(null, 'admin'), true, true],
  ])('%s sees drafts: %s, sees later stages: %s', (_n, who, seesDraft, seesLater) => {
    expect(canViewAiUseCase(who, draft)).toBe(seesDraft);
    expect(canViewAiUseCase(who, testing)).toBe(seesLater);
  });

  it.each<[string, Actor, string]>([
    ['service team for own team', actor('team-a', 'service_team'), 'allowed'],
    ['service team for another team', actor('team-b', 'service_team'), 'forbidden'],
    ['engineer', actor('team-a', 'engineer'), 'forbidden'],
    ['admin', actor(null, 'admin'), 'forbidden'],
  ])('registering: %s → %s', (_n, who, expected) => {
    expect(outcome(() => assertCanRegisterAiUseCase(who, 'team-a'))).toBe(expected);
  });

  it.each<[string, Actor, object, string]>([
    ['owning service team', actor('team-a', 'service_team'), draft, 'allowed'],
    ['owning engineer', actor('team-a', 'engineer'), draft, 'forbidden'],
    ['other team on a draft (hidden)', actor('team-b', 'service_team'), draft, 'not_found'],
    ['other team at test', actor('team-b', 'service_team'), testing, 'forbidden'],
    ['reviewer', actor('team-r', 'reviewer'), draft, 'forbidden'],
    [
      'owning team, retired',
      actor('team-a', 'service_team'),
      { ownerTeamId: 'team-a', stage: 'retired' },
      'invalid_state',
    ],
  ])('editing: %s → %s', (_n, who, useCase, expected) => {
    expect(outcome(() => assertCanEditAiUseCase(who, useCase as typeof draft))).toBe(expected);
  });

  it.each<[string, Actor, string]>([
    ['independent reviewer', actor('team-r', 'reviewer'), 'allowed'],
    ['reviewer in the owning team', actor('team-a', 'reviewer', 'service_team'), 'separation_of_duties'],
    ['service team', actor('team-a', 'service_team'), 'forbidden'],
    ['admin', actor(null, 'admin'), 'forbidden'],
  ])('overriding the risk tier: %s → %s', (_n, who, expected) => {
    expect(outcome(() => assertCanOverrideRiskTier(who, draft))).toBe(expected);
  });

  it.each<[Stage, string]>([
    ['proposed', 'allowed'],
    ['test', 'allowed'],
    ['scale', 'allowed'],
    ['retired', 'invalid_state'],
  ])('overriding the risk tier of a use case at %s → %s', (stage, expected) => {
    const reviewer = actor('team-r', 'reviewer');
    expect(outcome(() => assertCanOverrideRiskTier(reviewer, { ownerTeamId: 'team-a', stage }))).toBe(
      expected,
    );
  });
});
