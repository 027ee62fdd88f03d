import { AiUseCasesService, RefusalAudit, zodProblems } from '@gatehouse/application';
import { type Actor, DomainError } from '@gatehouse/domain';
import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ZodValidationException } from 'nestjs-zod';
import { catchError, from, mergeMap, type Observable, of, throwError } from 'rxjs';
import { ZodError } from 'zod';
import { type AuthenticatedRequest } from '../auth/auth.decorators';

const AUDITED_REFUSAL = 'gatehouse:audited-refusal';

interface AuditedRoute {
  attempted: string;
  subjectType: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A gate action whose request body the DTO checks further than its shape (a stage name, say): a body the
 * validation pipe refuses is audited as a refused attempt on the `:id` in the path, as the service audits
 * the refusals of its own rules. A malformed id names no subject and is not audited, nor is an id of a use case
 * the caller may not see (another team's draft, or none): the service refuses those as not found, unaudited.
 */
export const AuditRefusals = (attempted: string, subjectType: string) =>
  applyDecorators(
    SetMetadata(AUDITED_REFUSAL, { attempted, subjectType } satisfies AuditedRoute),
    UseInterceptors(AuditRefusalsInterceptor),
  );

@Injectable()
export class AuditRefusalsInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly refusals: RefusalAudit,
    private readonly aiUseCases: AiUseCasesService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED_REFUSAL, context.getHandler());
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        const id: unknown = request.params['id'];
        const subjectId = typeof id === 'string' && UUID.test(id) ? id : null;
        const zodError = error instanceof ZodValidationException ? error.getZodError() : null;
        if (!route || !request.actor || !subjectId || !(zodError instanceof ZodError)) {
          return throwError(() => error);
        }
        const refused = DomainError.validation(zodProblems(zodError));
        const requestId = (request.id as string | number | undefined)?.toString() ?? null;
        const actor = request.actor;
        return from(this.visible(route, actor, subjectId)).pipe(
          mergeMap((visible) =>
            visible
              ? from(this.refusals.record({ actor, requestId }, { ...route, subjectId }, refused))
              : of(null),
          ),
          mergeMap(() => throwError(() => error)),
        );
      }),
    );
  }

  /** Whether the refusal names a subject the caller may see (only use cases are looked up). */
  private visible(route: AuditedRoute, actor: Actor, id: string): Promise<boolean> {
    if (route.subjectType !== 'ai_use_case') {
      return Promise.resolve(true);
    }
    return this.aiUseCases.get(actor, id).then(
      () => true,
      () => false,
    );
  }
}
