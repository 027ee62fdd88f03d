import { assertHasRole, assertSelfOrAdmin, checkUserRoles } from './identity-access';
import { type Actor } from './roles';

const admin: Actor = { id: 'a', name: 'A', teamId: null, roles: ['admin'] };
const sam: Actor = { id: 's', name: 'S', teamId: 't', roles: ['service_team'] };

describe('identity access', () => {
  it('checks roles and names the one needed', () => {
    expect(() => assertHasRole(admin, ['admin'], 'Creating a team')).not.toThrow();
    expect(() => assertHasRole(sam, ['admin'], 'Creating a team')).toThrow(
      'Creating a team needs the "admin" role.',
    );
  });

  it('lets owners and admins manage tokens', () => {
    expect(() => assertSelfOrAdmin(sam, 's', 'Revoking a token')).not.toThrow();
    expect(() => assertSelfOrAdmin(admin, 's', 'Revoking a token')).not.toThrow();
    expect(() => assertSelfOrAdmin(sam, 'other', 'Revoking a token')).toThrow(/owner or an admin/);
  });

  it.each<[string[], string | null, string[]]>([
    [['admin'], null, []],
    [['reviewer'], null, []],
    [['service_team'], 't', []],
    [[], 't', ['roles']],
    [['engineer', 'engineer'], 't', ['roles']],
    [['service_team', 'engineer'], null, ['teamId']],
  ])('roles %p with team %p → problems at %p', (roles, teamId, fields) => {
    expect(checkUserRoles(roles as never, teamId).map((p) => p.field)).toEqual(fields);
  });
});
