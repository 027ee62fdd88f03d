import { csrfMatches, WebSessionsService } from '@gatehouse/application';
import { DomainError } from '@gatehouse/domain';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { type AuthenticatedRequest } from '../auth/auth.decorators';
import { SESSION_COOKIE, type WebRequest, WebRedirect } from './web-session';

/**
 * Pages need a signed-in browser: the session cookie resolves to the user (re-checking their token), or
 * the browser is sent to sign in. Every POST must carry the session's CSRF token in `_csrf`.
 */
@Injectable()
export class WebSessionGuard implements CanActivate {
  constructor(private readonly sessions: WebSessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebRequest & AuthenticatedRequest>();
    const session = await this.sessions.resolve(req.cookies?.[SESSION_COOKIE]);
    if (!session) {
      throw new WebRedirect(`/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
    }
    if (req.method === 'POST' && !csrfMatches(session.csrfToken, req.body?._csrf)) {
      throw DomainError.forbidden(
        'This form has expired or did not come from Gatehouse. Go back, reload the page and try again.',
        'csrf_token_matches',
      );
    }
    req.webSession = session;
    req.actor = session.actor;
    return true;
  }
}
