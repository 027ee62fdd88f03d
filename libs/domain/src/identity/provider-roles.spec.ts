import { rolesFromGroups, syncProviderRoles } from './provider-roles';
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
