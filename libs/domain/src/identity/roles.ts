export const ROLES = ['service_team', 'engineer', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: the authenticated user behind a request, a CLI operator, or the system itself. */
export interface Actor {
  /** User id, or `system` for actions Gatehouse takes on its own (bootstrap, seeding, reconciling). */
  id: string;
  name: string;
  teamId: string | null;
  roles: readonly Role[];
  /**
   * How the person proved who they are on this request: `oidc` for a page session opened through the
   * identity provider, `api_token` for a bearer token or a page session opened with one. Absent for the
   * CLI and the system.
   */
  signedInVia?: 'oidc' | 'api_token';
}

/**
 * Who granted each role a user holds: a user id, `system` (first start, seeding) or `cli` (an operator on
 * the server). A role missing from the map was granted before grants were recorded: unknown.
 */
export type RoleGrants = Partial<Record<Role, string>>;

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'Gatehouse', teamId: null, roles: [] };

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((role) => actor.roles.includes(role));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
