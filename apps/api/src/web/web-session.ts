import { type RequestContext, type WebSession } from '@gatehouse/application';
import { DomainError } from '@gatehouse/domain';
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

/**
 * Cookie options: HttpOnly, SameSite=Lax, path /; Secure when the request came over HTTPS (directly, or
 * through a proxy trusted by GATEHOUSE_TRUST_PROXY) or the public URL is https.
 */
export function cookieOptions(req: Request, publicUrl: string, maxAgeMs?: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: req.secure || publicUrl.startsWith('https:'),
    path: '/',
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  };
}

/** Only same-site relative paths may be returned to after signing in. */
export function safeNext(value: unknown): string {
  // No `//` and no `.` or `..` segment (`%2e` is a dot to a browser) in the path: `/.//evil.example` and
  // `/%2e//evil.example` resolve to the path `//evil.example`.
  return typeof value === 'string' &&
    /^\/(?!\/)[\w\-./?=&%]*$/.test(value) &&
    !/^[^?]*(\/\/|\/(\.|%2e){1,2}(\/|\?|$))/i.test(value)
    ? value
    : '/ai-use-cases';
}

/** The request id pino-http assigned, for the audit log. */
export function requestIdOf(req: Request): string | null {
  return (req.id as string | number | undefined)?.toString() ?? null;
}

/** The signed-in user and the request id, for the services (the session guard ran before every handler). */
export function webContext(req: WebRequest): RequestContext {
  const session = req.webSession;
  if (!session) {
    throw new WebRedirect(`/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
  }
  return { actor: session.actor, requestId: requestIdOf(req) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Ids in page paths are UUIDs: anything else is a page that does not exist (and never reaches the database). */
export function pageId(id: string, what: string): string {
  if (!isUuid(id)) {
    throw DomainError.notFound(what);
  }
  return id;
}
