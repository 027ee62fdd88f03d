import { DomainError, type FieldProblem } from '../errors/domain-error';
import { type Actor, hasRole, type Role, type RoleGrants } from './roles';

export function assertHasRole(actor: Actor, roles: Role[], action: string): void {
  if (!hasRole(actor, ...roles)) {
    throw DomainError.forbidden(
      `${action} needs the ${roles.map((r) => `"${r}"`).join(' or ')} role.`,
      `role_${roles.join('_or_')}`,
    );
  }
}

/** People manage their own tokens; admins manage everyone's. */
export function assertSelfOrAdmin(actor: Actor, userId: string, action: string): void {
  if (actor.id !== userId && !hasRole(actor, 'admin')) {
    throw DomainError.forbidden(`${action} is only for the token's owner or an admin.`, 'self_or_admin');
  }
}

/**
 * API tokens are issued by their owner only: an admin who could mint a token for someone else could act as
 * them (a reviewer, say) unseen. Admins revoke tokens and re-issue enrolments instead.
 */
export function assertIssuingForSelf(actor: Actor, userId: string): void {
  if (actor.id !== userId) {
    throw DomainError.forbidden(
      'API tokens are issued only by their owner, for themselves: an admin may revoke tokens or re-issue an enrolment instead.',
      'tokens_only_for_self',
    );
  }
}

/** Nobody changes their own roles, admins included: a grant always has a second person behind it. */
export function assertNotOwnRoleChange(
  actor: Actor,
  userId: string,
  current: readonly Role[],
  requested: readonly Role[] | undefined,
): void {
  if (actor.id !== userId || requested === undefined || sameRoles(current, requested)) {
    return;
  }
  throw new DomainError(
    'forbidden',
    'You cannot change your own roles: another admin must grant or remove them.',
    [{ field: 'roles', message: 'cannot be changed by the user themselves', code: 'own_roles' }],
    'no_own_role_change',
  );
}

export function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}

/**
 * The grants after a role change: kept roles keep their grantor, new roles are granted by `grantor`,
 * removed roles drop out. `granted` and `removed` say what changed, for the audit log.
 */
export function changeRoleGrants(
  grants: RoleGrants | null,
  before: readonly Role[],
  after: readonly Role[],
  grantor: string,
): { grants: RoleGrants; granted: Role[]; removed: Role[] } {
  const granted = after.filter((role) => !before.includes(role));
  const removed = before.filter((role) => !after.includes(role));
  const next: RoleGrants = {};
  for (const role of after) {
    const kept = before.includes(role) ? grants?.[role] : grantor;
    if (kept !== undefined) {
      next[role] = kept;
    }
  }
  return { grants: next, granted, removed };
}

/** Roles that act for a team (register, run, own use cases) need one; reviewers and admins may stand apart. */
export function checkUserRoles(roles: readonly Role[], teamId: string | null): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (roles.length === 0) {
    problems.push({ field: 'roles', message: 'must have at least one role', code: 'required' });
  }
  if (new Set(roles).size !== roles.length) {
    problems.push({ field: 'roles', message: 'must not repeat a role', code: 'duplicate' });
  }
  const teamRoles = roles.filter((r) => r === 'service_team' || r === 'engineer');
  if (teamRoles.length > 0 && !teamId) {
    problems.push({
      field: 'teamId',
      message: `is required for the ${teamRoles.map((r) => `"${r}"`).join(' and ')} role${teamRoles.length > 1 ? 's' : ''}`,
      code: 'required',
    });
  }
  return problems;
}
