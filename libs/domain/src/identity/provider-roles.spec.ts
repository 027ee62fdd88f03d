import { rolesFromGroups, syncProviderRoles, syncProviderTeam } from './provider-roles';
import { type Role, type RoleGrants } from './roles';

describe('roles from the identity provider', () => {
  const roleMap: Record<string, Role[]> = {
    'ai-assurance': ['reviewer'],
    'ml-engineers': ['engineer', 'service_team'],
    'benefits-team': ['service_team'],
  };
  const teamMap = { 'grp-benefits': 'Benefits', 'grp-tax': 'Tax' };

  it('maps groups to roles (in the usual order, once each) and to team names; unknown groups grant nothing', () => {
    expect(
      rolesFromGroups(['benefits-team', 'ml-engineers', 'grp-benefits', 'other'], roleMap, teamMap),
    ).toEqual({
      roles: ['service_team', 'engineer'],
      teamNames: ['Benefits'],
    });
    expect(rolesFromGroups([], roleMap, teamMap)).toEqual({ roles: [], teamNames: [] });
    expect(rolesFromGroups(['grp-tax', 'grp-benefits'], roleMap, teamMap).teamNames).toEqual([
      'Benefits',
      'Tax',
    ]);
  });

  it.each<[string, Role[], RoleGrants | null, Role[], Role[], RoleGrants, Role[], Role[]]>([
    [
      'first sign-in: every mapped role, granted by oidc',
      [],
      null,
      ['reviewer'],
      ['reviewer'],
      { reviewer: 'oidc' },
      ['reviewer'],
      [],
    ],
    [
      'same groups: nothing changes',
      ['reviewer'],
      { reviewer: 'oidc' },
      ['reviewer'],
      ['reviewer'],
      { reviewer: 'oidc' },
      [],
      [],
    ],
    [
      'group removed: the role granted by oidc goes',
      ['reviewer'],
      { reviewer: 'oidc' },
      [],
      [],
      {},
      [],
      ['reviewer'],
    ],
    [
      'group removed: a role an admin granted by hand stays',
      ['reviewer', 'admin'],
      { reviewer: 'oidc', admin: 'u-ada' },
      [],
      ['admin'],
      { admin: 'u-ada' },
      [],
      ['reviewer'],
    ],
    [
      'a mapped role an admin already granted keeps its grantor',
      ['reviewer'],
      { reviewer: 'u-ada' },
      ['reviewer'],
      ['reviewer'],
      { reviewer: 'u-ada' },
      [],
      [],
    ],
    ['a role of unknown grant is left alone', ['engineer'], null, [], ['engineer'], {}, [], []],
  ])('%s', (_name, current, grants, mapped, roles, nextGrants, granted, removed) => {
    expect(syncProviderRoles(current, grants, mapped)).toEqual({
      roles,
      grants: nextGrants,
      granted,
      removed,
    });
  });
});

describe('syncProviderTeam', () => {
  const byAdmin = { teamId: 'team-a', teamSetBy: 'admin-1' };
  const byProvider = { teamId: 'team-a', teamSetBy: 'oidc' };

  it('sets the mapped team, recorded as set by the provider', () => {
    expect(syncProviderTeam({ teamId: null, teamSetBy: null }, 'team-b')).toEqual({
      teamId: 'team-b',
      teamSetBy: 'oidc',
    });
    expect(syncProviderTeam(byAdmin, 'team-b')).toEqual({ teamId: 'team-b', teamSetBy: 'oidc' });
    expect(syncProviderTeam(byProvider, 'team-a')).toEqual(byProvider);
  });

  it('takes away a team the provider set when no group maps one any more', () => {
    expect(syncProviderTeam(byProvider, null)).toEqual({ teamId: null, teamSetBy: null });
  });

  it('leaves a team an admin set (or set before this was recorded), mapped to the same team or not mapped', () => {
    expect(syncProviderTeam(byAdmin, null)).toEqual(byAdmin);
    expect(syncProviderTeam(byAdmin, 'team-a')).toEqual(byAdmin);
    expect(syncProviderTeam({ teamId: 'team-a', teamSetBy: null }, null)).toEqual({
      teamId: 'team-a',
      teamSetBy: null,
    });
  });
});
