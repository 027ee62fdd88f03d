import { DomainError } from '../errors/domain-error';
import { type Actor, type Role } from '../identity/roles';
import {
  type AiUseCaseActions,
  allowedAiUseCaseActions,
  assertCanReadAiUseCaseAuditTrail,
  mayRegisterAiUseCases,
} from './ai-use-case-actions';
import { type Stage } from './stage';

const actor = (roles: Role[], teamId: string | null = 'team-a'): Actor => ({
  id: `user-${roles.join('-')}-${teamId}`,
  name: 'Someone',
  teamId,
  roles,
});
const useCase = (stage: Stage) => ({ ownerTeamId: 'team-a', stage });

/** The actions allowed, as a short list of names (the rest are refused). */
const allowed = (actions: AiUseCaseActions) =>
  (Object.keys(actions) as (keyof AiUseCaseActions)[]).filter((name) => actions[name]).sort();

describe('what a user may do with an AI use case', () => {
  it.each<[string, Actor, Stage, string[]]>([
    [
      'the owning service team, at test',
      actor(['service_team']),
      'test',
      ['edit', 'promote', 'proposeGate', 'readAuditTrail', 'registerTarget', 'stepBack'],
    ],
    [
      'the owning service team, at learn',
      actor(['service_team']),
      'learn',
      ['edit', 'promote', 'proposeGate', 'readAuditTrail', 'recordPilot', 'registerTarget', 'stepBack'],
    ],
    [
      'the owning service team, once retired',
      actor(['service_team']),
      'retired',
      ['promote', 'proposeGate', 'readAuditTrail', 'stepBack'],
    ],
    [
      'an engineer of the owning team, at learn',
      actor(['engineer']),
      'learn',
      ['proposeGate', 'readAuditTrail', 'recordPilot', 'registerTarget'],
    ],
    ['an engineer of another team, at learn', actor(['engineer'], 'team-b'), 'learn', []],
    [
      'an engineer of another team, on a draft (which they cannot see)',
      actor(['engineer'], 'team-b'),
      'proposed',
      [],
    ],
    [
      'a reviewer of no team, at learn',
      actor(['reviewer'], null),
      'learn',
      ['overrideRiskTier', 'readAuditTrail', 'stepBack'],
    ],
    [
      'a reviewer of no team, once retired',
      actor(['reviewer'], null),
      'retired',
      ['readAuditTrail', 'stepBack'],
    ],
    ['a reviewer of the owning team, at learn', actor(['reviewer']), 'learn', ['readAuditTrail']],
    [
      'an admin of no team, at learn',
      actor(['admin'], null),
      'learn',
      ['promote', 'proposeGate', 'readAuditTrail', 'stepBack'],
    ],
  ])('%s', (_who, who, stage, expected) => {
    expect(allowed(allowedAiUseCaseActions(who, useCase(stage)))).toEqual(expected);
  });

  it('refuses the audit trail to another team with a 403 once it can see the use case, and a 404 before', () => {
    const other = actor(['service_team'], 'team-b');
    const codeOf = (stage: Stage) => {
      try {
        assertCanReadAiUseCaseAuditTrail(other, useCase(stage));
        return 'allowed';
      } catch (error) {
        return error instanceof DomainError ? `${error.code}/${error.rule ?? ''}` : 'bug';
      }
    };
    expect(codeOf('learn')).toBe('forbidden/audit_trail_by_owning_team_or_reviewer');
    expect(codeOf('proposed')).toBe('not_found/');
  });

  it.each<[string, boolean, Actor]>([
    ['a service-team member', true, actor(['service_team'])],
    ['an engineer', false, actor(['engineer'])],
    ['a reviewer', false, actor(['reviewer'], null)],
    ['an admin', false, actor(['admin'], null)],
  ])('%s may register AI use cases: %s', (_who, expected, who) => {
    expect(mayRegisterAiUseCases(who)).toBe(expected);
  });
});
