import { DomainError, type FieldProblem } from '../errors/domain-error';
import { type Actor, hasRole, type Role } from './roles';

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
