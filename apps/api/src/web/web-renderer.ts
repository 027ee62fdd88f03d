import { hasRole } from '@gatehouse/domain';
import { Injectable } from '@nestjs/common';
import { type Response } from 'express';
import { type Environment } from 'nunjucks';
import { createTemplates } from './templates';
import { type WebRequest } from './web-session';

/** Renders the Nunjucks views with what every page needs: the user, the CSRF token, the navigation. */
@Injectable()
export class WebRenderer {
  private readonly env: Environment = createTemplates();

  render(req: WebRequest, template: string, context: Record<string, unknown> = {}): string {
    const session = req.webSession;
    const actor = session?.actor;
    const path = req.path;
    const navigation = actor
      ? [
          { href: '/work', text: 'Waiting for me', active: path.startsWith('/work') },
          { href: '/ai-use-cases', text: 'AI use cases', active: path.startsWith('/ai-use-cases') },
          ...(hasRole(actor, 'reviewer', 'admin')
            ? [{ href: '/audit', text: 'Audit log', active: path.startsWith('/audit') }]
            : []),
          {
            href: '/public/transparency-records',
            text: 'Public register',
            active: path.startsWith('/public'),
          },
        ]
      : [
          {
            href: '/public/transparency-records',
            text: 'Public register',
            active: path.startsWith('/public'),
          },
        ];
    return this.env.render(template, {
      ...context,
      user: actor ? { id: actor.id, name: actor.name, roles: actor.roles, teamId: actor.teamId } : null,
      csrfToken: session?.csrfToken ?? context['csrfToken'] ?? null,
      navigation,
      currentPath: req.originalUrl,
    });
  }

  send(
    res: Response,
    req: WebRequest,
    template: string,
    context: Record<string, unknown> = {},
    status = 200,
  ): void {
    res.status(status).type('html').setHeader('Cache-Control', 'no-store');
    res.send(this.render(req, template, context));
  }
}
