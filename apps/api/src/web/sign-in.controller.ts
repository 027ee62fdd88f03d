import { InjectConfig, OidcSignInService, WebSessionsService } from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { Public } from '../auth/auth.decorators';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import {
  cookieOptions,
  requestIdOf,
  safeNext,
  SESSION_COOKIE,
  SIGN_IN_CSRF_COOKIE,
  type WebRequest,
} from './web-session';
import { csrfMatches } from '@gatehouse/application';

/**
 * The `state` sent to the provider's end-session endpoint, kept in a cookie only /signed-out reads: the
 * landing page says "signed out of the provider too" only to the browser that was sent there.
 */
export const SIGN_OUT_STATE_COOKIE = 'gh_signout';
const SIGN_OUT_STATE_PATH = '/signed-out';
/** How long a browser has to come back from the provider's sign-out (its confirmation page included). */
const SIGN_OUT_STATE_MS = 10 * 60_000;

/** What the sign-in page says after a sign-out. */
type SignedOutNotice = 'gatehouse_only' | 'provider_too';

/** Signing in with an API token opens a browser session (cookie: HttpOnly, SameSite=Lax, Secure over HTTPS). */
@ApiExcludeController()
@Public()
@UseFilters(WebExceptionFilter)
@Controller()
export class SignInController {
  constructor(
    private readonly sessions: WebSessionsService,
    private readonly oidc: OidcSignInService,
    private readonly renderer: WebRenderer,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  @Get()
  async home(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const session = await this.sessions.resolve(req.cookies?.[SESSION_COOKIE]);
    res.redirect(303, session ? '/ai-use-cases' : '/sign-in');
  }

  @Get('sign-in')
  signInPage(@Req() req: WebRequest, @Res() res: Response): void {
    this.showSignIn(req, res, {});
  }

  @Post('sign-in')
  async signIn(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = req.body ?? {};
    if (!this.config.webTokenSignIn) {
      throw DomainError.forbidden(
        'Signing in to the pages with an API token is turned off here: use the button to sign in through your organisation’s identity provider. API tokens still work for the API and the command line.',
        'web_token_sign_in_off',
      );
    }
    if (!csrfMatches(req.cookies?.[SIGN_IN_CSRF_COOKIE] ?? '', body['_csrf'])) {
      this.showSignIn(req, res, { error: 'The sign-in form expired. Enter your API token again.' }, 400);
      return;
    }
    const token = typeof body['token'] === 'string' ? body['token'] : '';
    if (!token.trim()) {
      this.showSignIn(req, res, { error: 'Enter your API token' }, 400);
      return;
    }
    const opened = await this.sessions.signIn(token, requestIdOf(req));
    if (!opened) {
      this.showSignIn(
        req,
        res,
        { error: 'The API token is not valid: it may be mistyped, expired or revoked' },
        401,
      );
      return;
    }
    res.clearCookie(SIGN_IN_CSRF_COOKIE, cookieOptions(req, this.config.http.publicUrl));
    res.cookie(
      SESSION_COOKIE,
      opened.secret,
      cookieOptions(req, this.config.http.publicUrl, opened.session.expiresAt.getTime() - Date.now()),
    );
    res.redirect(303, safeNext(body['next']));
  }

  /**
   * Sign out: a POST with the session's CSRF token (a link could be forged by another site). Without it the
   * browser stays signed in: neither the session nor the cookie is touched. The Gatehouse session always
   * ends here; a session that came from the identity provider is then sent (303) to the provider's
   * end-session endpoint to end the provider's session too (OpenID Connect RP-initiated logout), which
   * sends the browser back to /signed-out. Without that (no end_session_endpoint, discovery failing,
   * GATEHOUSE_OIDC_END_SESSION=false, a token session) the sign-in page says what is left to do.
   */
  @Post('sign-out')
  async signOut(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const secret = req.cookies?.[SESSION_COOKIE];
    const session = await this.sessions.resolve(secret);
    let ended: Awaited<ReturnType<WebSessionsService['signOut']>> = null;
    if (session) {
      if (!csrfMatches(session.csrfToken, req.body?.['_csrf'])) {
        throw DomainError.forbidden(
          'This sign-out request did not come from a Gatehouse page, so you are still signed in. Use the Sign out button at the top of a page.',
          'csrf_token_matches',
        );
      }
      ended = await this.sessions.signOut(secret, requestIdOf(req));
    } else if (secret) {
      // A cookie whose session no longer counts: its row goes too (see WebSessionsService.signOut).
      await this.sessions.signOut(secret, requestIdOf(req));
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req, this.config.http.publicUrl));
    res.setHeader('Cache-Control', 'no-store');
    if (ended?.via === 'oidc' && this.oidc.enabled) {
      const state = randomBytes(24).toString('base64url');
      const endSession = await this.oidc.endSessionUrl(ended.idToken, state, requestIdOf(req));
      if (endSession) {
        res.cookie(SIGN_OUT_STATE_COOKIE, state, {
          ...cookieOptions(req, this.config.http.publicUrl, SIGN_OUT_STATE_MS),
          path: SIGN_OUT_STATE_PATH,
        });
        // No body: Express's redirect() would repeat the URL, and with it the ID token, in the body.
        res.status(303).setHeader('Location', endSession.href).end();
        return;
      }
    }
    res.redirect(303, '/sign-in?signedOut=1');
  }

  /**
   * Where the identity provider sends the browser back after signing out there (the post-logout redirect
   * URI registered at the provider). The provider's session counts as ended only when the `state` matches
   * the one this browser left with; anything else is told its provider session may still be open.
   */
  @Get('signed-out')
  signedOut(@Req() req: WebRequest, @Res() res: Response): void {
    const expected = req.cookies?.[SIGN_OUT_STATE_COOKIE] ?? '';
    res.clearCookie(SIGN_OUT_STATE_COOKIE, {
      ...cookieOptions(req, this.config.http.publicUrl),
      path: SIGN_OUT_STATE_PATH,
    });
    const cameBack = expected !== '' && csrfMatches(expected, req.query['state']);
    this.showSignIn(req, res, { signedOutNotice: cameBack ? 'provider_too' : 'gatehouse_only' });
  }

  private showSignIn(
    req: WebRequest,
    res: Response,
    context: { error?: string; signedOutNotice?: SignedOutNotice },
    status = 200,
  ): void {
    const csrf = randomBytes(32).toString('base64url');
    res.cookie(SIGN_IN_CSRF_COOKIE, csrf, cookieOptions(req, this.config.http.publicUrl, 30 * 60_000));
    this.renderer.send(
      res,
      req,
      'sign-in.njk',
      {
        ...context,
        csrfToken: csrf,
        next: safeNext(req.query['next'] ?? req.body?.['next']),
        signedOut: context.signedOutNotice ?? (req.query['signedOut'] === '1' ? 'gatehouse_only' : null),
        oidcButtonText: this.config.oidc?.buttonText ?? null,
        tokenSignIn: this.config.webTokenSignIn,
      },
      status,
    );
  }
}
