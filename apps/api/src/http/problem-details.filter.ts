import { zodProblems } from '@gatehouse/application';
import { DomainError, type DomainErrorCode, type FieldProblem } from '@gatehouse/domain';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { ZodValidationException } from 'nestjs-zod';
import { randomUUID } from 'node:crypto';
import { ZodError } from 'zod';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  rule?: string;
  errors: FieldProblem[];
  requestId?: string;
  errorId?: string;
}

const STATUS: Record<DomainErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  separation_of_duties: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
};

const TITLE: Record<string, string> = {
  validation_failed: 'The request is not valid',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  separation_of_duties: 'Not allowed: separation of duties',
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid_state: 'Not allowed in the current state',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
};

/**
 * The one place errors become HTTP responses: application/problem+json (RFC 9457) with the field-level
 * problems. Unknown errors become a 500 with an error id that is logged with the stack, never echoed.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const response = context.getResponse<Response>();
    const request = context.getRequest<Request & { id?: string | number }>();
    const problem = this.toProblem(exception);
    if (request.id !== undefined) {
      problem.requestId = String(request.id);
    }
    if (problem.status >= 500) {
      problem.errorId = randomUUID();
      this.logger.error(
        { errorId: problem.errorId, requestId: problem.requestId, err: exception },
        'Unhandled error',
      );
    }
    if (problem.status === 401) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
    }
    if (response.headersSent) {
      return;
    }
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainError) {
      return problem(
        STATUS[exception.code],
        exception.code,
        exception.message,
        exception.problems,
        exception.rule,
      );
    }
    if (exception instanceof ZodValidationException) {
      const error = exception.getZodError();
      const problems = error instanceof ZodError ? zodProblems(error) : [];
      return problem(400, 'validation_failed', summarise(problems), problems);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code =
        status === 404
          ? 'not_found'
          : status === 413
            ? 'payload_too_large'
            : status === 429
              ? 'rate_limited'
              : status < 500
                ? 'bad_request'
                : 'internal_error';
      return problem(status, code, status < 500 ? exception.message : 'Something went wrong on our side.');
    }
    return problem(
      500,
      'internal_error',
      'Something went wrong on our side. Quote the error id if you report it.',
    );
  }
}

function problem(
  status: number,
  code: string,
  detail: string,
  errors: FieldProblem[] = [],
  rule?: string,
): ProblemDetails {
  return {
    type: `urn:gatehouse:problem:${code}`,
    title: TITLE[code] ?? 'Request failed',
    status,
    detail,
    code,
    ...(rule ? { rule } : {}),
    errors,
  };
}

function summarise(problems: FieldProblem[]): string {
  if (problems.length === 0) {
    return 'The request is not valid.';
  }
  const shown = problems.slice(0, 3).map((p) => `${p.field} ${p.message}`);
  return `${shown.join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}.`;
}
