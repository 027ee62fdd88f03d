import { type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { type Actor, type Role } from '../identity/roles';
import {
  allowedLiveActions,
  assertCanChangeLiveSettings,
  assertCanMintIngestToken,
  assertCanReadLive,
  assertCanRevokeIngestToken,
} from './live-access';

const actor = (roles: Role[], teamId: string | null = 'team-a'): Actor => ({
  id: `user-${roles.join('-')}-${teamId}`,
  name: 'Someone',
  teamId,
  roles,
});
const useCase = (stage: Stage = 'learn') => ({ ownerTeamId: 'team-a', stage });

/** The rule (or the code, for "not found") a refusal names, or 'allowed'. */
function ruleOf(action: () => unknown): string {
  try {
    action();
    return 'allowed';
  } catch (error) {
    if (error instanceof DomainError) {
      return error.code === 'not_found' ? 'not_found' : (error.rule ?? error.code);
    }
    throw error;
  }
}

const WHO = {
  ownerServiceTeam: actor(['service_team']),
  ownerEngineer: actor(['engineer']),
  ownerReviewer: actor(['reviewer']),
  otherServiceTeam: actor(['service_team'], 'team-b'),
  otherEngineer: actor(['engineer'], 'team-b'),
  reviewer: actor(['reviewer'], 'assurance'),
  admin: actor(['admin'], null),
  adminAndEngineerElsewhere: actor(['admin', 'engineer'], 'platform'),
  noTeam: actor(['engineer'], null),
};
type Who = keyof typeof WHO;

describe('who may do what with live use', () => {
  it.each<[Who, string]>([
    ['ownerServiceTeam', 'allowed'],
    ['ownerEngineer', 'allowed'],
    ['ownerReviewer', 'allowed'],
    ['otherServiceTeam', 'live_read_by_owning_team_or_reviewer'],
    ['otherEngineer', 'live_read_by_owning_team_or_reviewer'],
    ['reviewer', 'allowed'],
    ['admin', 'allowed'],
    ['noTeam', 'live_read_by_owning_team_or_reviewer'],
  ])('reading the settings and tokens: %s → %s', (who, expected) => {
    expect(ruleOf(() => assertCanReadLive(WHO[who], useCase()))).toBe(expected);
  });

  it.each<[Who, string]>([
    ['ownerServiceTeam', 'allowed'],
    ['ownerEngineer', 'allowed'],
    ['ownerReviewer', 'ingest_token_by_owning_team'],
    ['otherServiceTeam', 'ingest_token_by_owning_team'],
    ['reviewer', 'ingest_token_by_owning_team'],
    ['admin', 'ingest_token_by_owning_team'],
    ['adminAndEngineerElsewhere', 'ingest_token_by_owning_team'],
    ['noTeam', 'ingest_token_by_owning_team'],
  ])('minting a token: %s → %s', (who, expected) => {
    expect(ruleOf(() => assertCanMintIngestToken(WHO[who], useCase()))).toBe(expected);
  });

  it.each<[Who, string]>([
    ['ownerServiceTeam', 'allowed'],
    ['ownerEngineer', 'allowed'],
    ['ownerReviewer', 'ingest_token_revoked_by_owning_team_or_admin'],
    ['otherEngineer', 'ingest_token_revoked_by_owning_team_or_admin'],
    ['reviewer', 'ingest_token_revoked_by_owning_team_or_admin'],
    ['admin', 'allowed'],
  ])('revoking a token: %s → %s', (who, expected) => {
    expect(ruleOf(() => assertCanRevokeIngestToken(WHO[who], useCase()))).toBe(expected);
  });

  it.each<[Who, string]>([
    ['ownerServiceTeam', 'allowed'],
    ['ownerEngineer', 'allowed'],
    ['ownerReviewer', 'live_settings_by_owning_team'],
    ['otherServiceTeam', 'live_settings_by_owning_team'],
    ['reviewer', 'live_settings_by_owning_team'],
    ['admin', 'live_settings_by_owning_team'],
  ])('changing the settings: %s → %s', (who, expected) => {
    expect(ruleOf(() => assertCanChangeLiveSettings(WHO[who], useCase()))).toBe(expected);
  });

  it.each<[Stage, string, string, string]>([
    ['proposed', 'ingest_token_from_test', 'allowed', 'allowed'],
    ['test', 'allowed', 'allowed', 'allowed'],
    ['learn', 'allowed', 'allowed', 'allowed'],
    ['scale', 'allowed', 'allowed', 'allowed'],
    ['retired', 'retired_is_final', 'retired_is_final', 'allowed'],
  ])('at %s: mint → %s, settings → %s, revoke → %s', (stage, mint, settings, revoke) => {
    const owner = WHO.ownerEngineer;
    expect(ruleOf(() => assertCanMintIngestToken(owner, useCase(stage)))).toBe(mint);
    expect(ruleOf(() => assertCanChangeLiveSettings(owner, useCase(stage)))).toBe(settings);
    expect(ruleOf(() => assertCanRevokeIngestToken(owner, useCase(stage)))).toBe(revoke);
  });

  it('refuses with 409-kind errors for the stage, 403-kind for the person', () => {
    const stageError = (() => {
      try {
        assertCanMintIngestToken(WHO.ownerEngineer, useCase('proposed'));
      } catch (error) {
        return error as DomainError;
      }
    })();
    expect(stageError?.code).toBe('invalid_state');
    expect(() => assertCanMintIngestToken(WHO.reviewer, useCase('proposed'))).toThrow(
      expect.objectContaining({ code: 'forbidden' }),
    );
  });

  it("hides another team's draft altogether (not found, not forbidden)", () => {
    const draft = useCase('proposed');
    expect(ruleOf(() => assertCanReadLive(WHO.otherServiceTeam, draft))).toBe('not_found');
    expect(ruleOf(() => assertCanMintIngestToken(WHO.otherEngineer, draft))).toBe('not_found');
    expect(ruleOf(() => assertCanRevokeIngestToken(WHO.otherEngineer, draft))).toBe('not_found');
    expect(ruleOf(() => assertCanChangeLiveSettings(WHO.otherEngineer, draft))).toBe('not_found');
    expect(ruleOf(() => assertCanReadLive(WHO.reviewer, draft))).toBe('allowed');
  });

  it('offers on pages exactly what the asserts allow', () => {
    expect(allowedLiveActions(WHO.ownerEngineer, useCase('learn'))).toEqual({
      read: true,
      mintToken: true,
      revokeToken: true,
      changeSettings: true,
    });
    expect(allowedLiveActions(WHO.admin, useCase('learn'))).toEqual({
      read: true,
      mintToken: false,
      revokeToken: true,
      changeSettings: false,
    });
    expect(allowedLiveActions(WHO.reviewer, useCase('learn'))).toEqual({
      read: true,
      mintToken: false,
      revokeToken: false,
      changeSettings: false,
    });
    expect(allowedLiveActions(WHO.ownerServiceTeam, useCase('proposed'))).toMatchObject({
      mintToken: false,
      changeSettings: true,
    });
  });
});
