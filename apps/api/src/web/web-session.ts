import { type WebSession } from '@gatehouse/application';
import { type Request } from 'express';

export const SESSION_COOKIE = 'gh_session';
/** Double-submit cookie for the sign-in form, which has no session yet. */
export const SIGN_IN_CSRF_COOKIE = 'gh_signin_csrf';

export interface WebRequest extends Request {
  webSession?: WebSession;
  cookies: Record<string, string | undefined>;
  body: Record<string, unknown> | undefined;
}

/** Thrown by web handlers and guards; the web exception filter answers with a 303 to `location`. */
export class WebRedirect extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

/** Cookie options: HttpOnly, SameSite=Lax, Secure when served over HTTPS, path /. */
export function cookieOptions(req: Request, maxAgeMs?: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: req.secure,
    path: '/',
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  };
}

/** Only same-site relative paths may be returned to after signing in. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(value) ? value : '/ai-use-cases';
}
