import { DomainError } from '@gatehouse/domain';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type Response } from 'express';
import { WebRenderer } from './web-renderer';
import { type WebRequest, WebRedirect } from './web-session';

const TITLES: Record<number, string> = {
  400: 'There is a problem with your request',
  403: 'You cannot do this',
  404: 'Page not found',
  409: 'This cannot be done now',
  412: 'Someone changed this first',
  500: 'Sorry, there is a problem with the service',
};

/** Errors on pages become pages: a redirect, or an error page in plain English (never a stack trace). */
@Catch()
export class WebExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WebPages');

  constructor(private readonly renderer: WebRenderer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<WebRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof WebRedirect) {
      res.redirect(303, exception.location);
      return;
    }
    let status = 500;
    let message = 'Try again later.';
    let rule: string | null = null;
    if (exception instanceof DomainError) {
      status =
        {
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
        }[exception.code] ?? 500;
      message = withProblems(exception);
      rule = exception.rule ?? null;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = status === 404 ? 'If you typed the web address, check it is correct.' : exception.message;
    } else {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    this.renderer.send(
      res,
      req,
      'error.njk',
      { status, title: TITLES[status] ?? TITLES[400], message, rule },
      status,
    );
  }
}

/** The error's message, followed by the fields it names (the first three) so the person can fix them. */
function withProblems(error: DomainError): string {
  if (error.problems.length === 0) {
    return error.message;
  }
  const named = error.problems.slice(0, 3).map((p) => `${p.field} ${p.message}`);
  const more = error.problems.length > 3 ? `; and ${error.problems.length - 3} more` : '';
  return `${error.message} ${named.join('; ')}${more}.`;
}
