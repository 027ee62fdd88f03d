import { type Role, type RoleGrants, ROLES } from './roles';

/** The grantor recorded for a role the identity provider's groups grant (see RoleGrants). */
export const OIDC_GRANTOR = 'oidc';

/**
 * The roles and team a person's identity-provider groups give them, read again at every sign-in.
 * `roleMap` and `teamMap` come from the operator's configuration (group → roles, group → team name).
 */
export function rolesFromGroups(
  groups: readonly string[],
  roleMap: Readonly<Record<string, readonly Role[]>>,
  teamMap: Readonly<Record<string, string>>,
): { roles: Role[]; teamNames: string[] } {
  const granted = new Set<Role>();
  const teams = new Set<string>();
  for (const group of groups) {
    // Own entries only: a group called `constructor` or `__proto__` must not read Object.prototype.
    for (const role of Object.hasOwn(roleMap, group) ? roleMap[group] : []) {
      granted.add(role);
    }
    if (Object.hasOwn(teamMap, group)) {
      teams.add(teamMap[group]);
    }
  }
  return { roles: ROLES.filter((role) => granted.has(role)), teamNames: [...teams].sort() };
}

/**
 * Brings a user's roles in line with what the provider's groups grant now: a mapped role the user lacks is
 * added, granted by `oidc`; a role granted by `oidc` that the groups no longer grant is removed; a role an
 * admin granted by hand in Gatehouse (any other grantor, or unknown) is left alone, mapped or not.
 */
export function syncProviderRoles(
  current: readonly Role[],
  grants: RoleGrants | null,
  mapped: readonly Role[],
): { roles: Role[]; grants: RoleGrants; granted: Role[]; removed: Role[] } {
  const next: RoleGrants = {};
  const roles: Role[] = [];
  const granted: Role[] = [];
  const removed: Role[] = [];
  for (const role of ROLES) {
    const held = current.includes(role);
    const byProvider = grants?.[role] === OIDC_GRANTOR;
    if (held && (!byProvider || mapped.includes(role))) {
      roles.push(role);
      if (grants?.[role] !== undefined) {
        next[role] = grants[role];
      }
    } else if (held) {
      removed.push(role);
    } else if (mapped.includes(role)) {
      roles.push(role);
      next[role] = OIDC_GRANTOR;
      granted.push(role);
    }
  }
  return { roles, grants: next, granted, removed };
}

/**
 * The team a person has after signing in: the team their groups map to now (recorded as set by `oidc`);
 * none when the provider set their team and no group maps one any more (they left the team's group); else
 * the team as it was (set by hand by an admin, or before this was recorded), which the provider leaves alone.
 */
export function syncProviderTeam(
  current: { teamId: string | null; teamSetBy: string | null },
  mappedTeamId: string | null,
): { teamId: string | null; teamSetBy: string | null } {
  if (mappedTeamId !== null) {
    return mappedTeamId === current.teamId && current.teamSetBy !== OIDC_GRANTOR
      ? current
      : { teamId: mappedTeamId, teamSetBy: OIDC_GRANTOR };
  }
  return current.teamSetBy === OIDC_GRANTOR ? { teamId: null, teamSetBy: null } : current;
}
