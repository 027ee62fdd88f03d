import { InjectConfig, WebSessionsService } from '@gatehouse/application';
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

/** Signing in with an API token opens a browser session (cookie: HttpOnly, SameSite=Lax, Secure over HTTPS). */
@ApiExcludeController()
@Public()
@UseFilters(WebExceptionFilter)
@Controller()
export class SignInController {
  constructor(
    private readonly sessions: WebSessionsService,
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
   * browser stays signed in: neither the session nor the cookie is touched.
   */
  @Post('sign-out')
  async signOut(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const secret = req.cookies?.[SESSION_COOKIE];
    const session = await this.sessions.resolve(secret);
    if (session) {
      if (!csrfMatches(session.csrfToken, req.body?.['_csrf'])) {
        throw DomainError.forbidden(
          'This sign-out request did not come from a Gatehouse page, so you are still signed in. Use the Sign out button at the top of a page.',
          'csrf_token_matches',
        );
      }
      await this.sessions.signOut(secret, requestIdOf(req));
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req, this.config.http.publicUrl));
    res.redirect(303, '/sign-in?signedOut=1');
  }

  private showSignIn(req: WebRequest, res: Response, context: { error?: string }, status = 200): void {
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
        signedOut: req.query['signedOut'] === '1',
        oidcButtonText: this.config.oidc?.buttonText ?? null,
        tokenSignIn: this.config.webTokenSignIn,
      },
      status,
    );
  }
}
