import {
  InjectConfig,
  OidcSignInRefused,
  OidcSignInService,
  WebSessionsService,
} from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { WebExceptionFilter } from './web-exception.filter';
import { WebRenderer } from './web-renderer';
import { cookieOptions, requestIdOf, safeNext, SESSION_COOKIE, type WebRequest } from './web-session';

/** The pending sign-in's secret, sent back only to the callback's path. */
export const OIDC_COOKIE = 'gh_oidc';
const OIDC_COOKIE_PATH = '/sign-in/oidc';

/**
 * Sign-in through the organisation's identity provider (OpenID Connect): out to the provider with a
 * single-use pending sign-in, and back to the callback, which opens a page session (`via: oidc`).
 */
@ApiExcludeController()
@Public()
@UseFilters(WebExceptionFilter)
@Controller('sign-in/oidc')
export class OidcSignInController {
  constructor(
    private readonly oidc: OidcSignInService,
    private readonly sessions: WebSessionsService,
    private readonly renderer: WebRenderer,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  @Get()
  async start(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    this.assertEnabled();
    const next = safeNext(req.query['next']);
    try {
      const started = await this.oidc.start(next, requestIdOf(req));
      res.cookie(OIDC_COOKIE, started.cookieSecret, {
        ...cookieOptions(req, this.config.http.publicUrl, started.maxAgeMs),
        path: OIDC_COOKIE_PATH,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, started.redirectTo);
    } catch (error) {
      this.refused(req, res, error, next);
    }
  }

  @Get('callback')
  async callback(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    this.assertEnabled();
    const secret = req.cookies?.[OIDC_COOKIE];
    res.clearCookie(OIDC_COOKIE, {
      ...cookieOptions(req, this.config.http.publicUrl),
      path: OIDC_COOKIE_PATH,
    });
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    try {
      const done = await this.oidc.finish(secret, query, requestIdOf(req));
      // A session this browser already had (another person's, or a token session) ends: one browser, one
      // signed-in person, and no forgotten session left behind the new cookie.
      await this.sessions.signOut(req.cookies?.[SESSION_COOKIE], requestIdOf(req));
      res.cookie(
        SESSION_COOKIE,
        done.secret,
        cookieOptions(req, this.config.http.publicUrl, done.session.expiresAt.getTime() - Date.now()),
      );
      res.redirect(303, safeNext(done.returnTo));
    } catch (error) {
      this.refused(req, res, error, '/ai-use-cases');
    }
  }

  private assertEnabled(): void {
    if (!this.oidc.enabled) {
      throw DomainError.notFound('Sign-in through an identity provider');
    }
  }

  private refused(req: WebRequest, res: Response, error: unknown, next: string): void {
    if (!(error instanceof OidcSignInRefused)) {
      throw error;
    }
    this.renderer.send(
      res,
      req,
      'sign-in-refused.njk',
      {
        message: error.message,
        reason: error.reason,
        retryUrl: `/sign-in/oidc?next=${encodeURIComponent(next)}`,
        buttonText: this.oidc.buttonText,
      },
      error.status,
    );
  }
}
