import { IdentityService } from '@gatehouse/application';
import { DomainError, hasRole, type Role } from '@gatehouse/domain';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type AuthenticatedRequest, IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';

/**
 * Global guard: every route needs `Authorization: Bearer <token>` unless marked @Public(). Unknown,
 * revoked and expired tokens and disabled users all get the same 401; a missing role is a 403 naming it.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new DomainError('unauthenticated', 'Send an API token as "Authorization: Bearer <token>".');
    }
    const actor = await this.identity.authenticate(match[1]);
    if (!actor) {
      throw new DomainError(
        'unauthenticated',
        'The API token is not valid: it may be unknown, expired or revoked.',
      );
    }
    request.actor = actor;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !hasRole(actor, ...roles)) {
      throw DomainError.forbidden(
        `This needs the ${roles.map((r) => `"${r}"`).join(' or ')} role; you have ${actor.roles.length ? actor.roles.map((r) => `"${r}"`).join(', ') : 'none'}.`,
        'role_required',
      );
    }
    return true;
  }
}
