import {
  assertHasRole,
  assertIssuingForSelf,
  assertNotOwnRoleChange,
  assertSelfOrAdmin,
  changeRoleGrants,
  checkUserRoles,
} from './identity-access';
import { type DomainError } from '../errors/domain-error';
import { type Actor, type Role, type RoleGrants } from './roles';

const admin: Actor = { id: 'a', name: 'A', teamId: null, roles: ['admin'] };
const sam: Actor = { id: 's', name: 'S', teamId: 't', roles: ['service_team'] };

function refusalOf(attempt: () => void): DomainError | null {
  try {
    attempt();
    return null;
  } catch (error) {
    return error as DomainError;
  }
}

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

  it.each<[string, Actor, string, Role[], Role[] | undefined, string | null]>([
    ['an admin changing another user', admin, 's', ['service_team'], ['service_team', 'reviewer'], null],
    [
      'an admin adding reviewer to itself',
      admin,
      'a',
      ['admin'],
      ['admin', 'reviewer'],
      'no_own_role_change',
    ],
    ['an admin dropping its admin role', admin, 'a', ['admin'], ['reviewer'], 'no_own_role_change'],
    [
      'an admin sending its roles unchanged, reordered',
      admin,
      'a',
      ['admin', 'reviewer'],
      ['reviewer', 'admin'],
      null,
    ],
    ['an admin changing only its name', admin, 'a', ['admin'], undefined, null],
  ])('%s → %s', (_name, actor, userId, current, requested, rule) => {
    const refusal = refusalOf(() => assertNotOwnRoleChange(actor, userId, current, requested));
    expect(refusal && { rule: refusal.rule, fields: refusal.problems.map((p) => p.field) }).toEqual(
      rule && { rule, fields: ['roles'] },
    );
  });

  it.each<[Actor, string, boolean]>([
    [sam, 's', true],
    [admin, 'a', true],
    [admin, 's', false],
    [sam, 'a', false],
  ])('%o issuing a token for %s → allowed %p', (actor, userId, allowed) => {
    expect(refusalOf(() => assertIssuingForSelf(actor, userId))?.rule ?? null).toBe(
      allowed ? null : 'tokens_only_for_self',
    );
  });

  it.each<[string, RoleGrants | null, Role[], Role[], RoleGrants, Role[], Role[]]>([
    ['a new user', null, [], ['reviewer'], { reviewer: 'a' }, ['reviewer'], []],
    [
      'a kept role keeps its grantor',
      { reviewer: 'b' },
      ['reviewer'],
      ['reviewer', 'admin'],
      { reviewer: 'b', admin: 'a' },
      ['admin'],
      [],
    ],
    [
      'a removed role drops out',
      { reviewer: 'b', admin: 'c' },
      ['reviewer', 'admin'],
      ['admin'],
      { admin: 'c' },
      [],
      ['reviewer'],
    ],
    ['an unknown grant stays unknown', {}, ['reviewer'], ['reviewer'], {}, [], []],
    [
      'removed then granted again: the new grantor',
      { admin: 'c' },
      ['admin'],
      ['reviewer', 'admin'],
      { reviewer: 'a', admin: 'c' },
      ['reviewer'],
      [],
    ],
  ])('role grants: %s', (_name, grants, before, after, expected, granted, removed) => {
    expect(changeRoleGrants(grants, before, after, 'a')).toEqual({ grants: expected, granted, removed });
  });
});
