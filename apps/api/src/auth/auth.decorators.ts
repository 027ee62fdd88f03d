import { type RequestContext } from '@gatehouse/application';
import { type Actor, type Role } from '@gatehouse/domain';
import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type Request } from 'express';

export const IS_PUBLIC = 'gatehouse:public';
export const REQUIRED_ROLES = 'gatehouse:roles';

/** A route anyone may call: health, metrics and the public transparency register. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Any of these roles may call the route; the guard refuses everyone else with 403. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLES, roles),
    ApiForbiddenResponse({ description: `Needs the role ${roles.join(' or ')}.` }),
  );

/** Marks a controller as needing a bearer token (the guard applies to every non-public route). */
export const Authenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No, unknown, expired or revoked token.' }),
  );

/** pino-http sets `id` on every request; the guard sets `actor` on authenticated ones. */
export interface AuthenticatedRequest extends Request {
  actor?: Actor;
}

/** The acting user and the request id, for service calls that change state. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.actor) {
    throw new Error('Ctx used on a route without an authenticated actor');
  }
  return { actor: request.actor, requestId: (request.id as string | number | undefined)?.toString() ?? null };
});
