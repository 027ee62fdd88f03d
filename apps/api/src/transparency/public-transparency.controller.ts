import { type PublishedTransparencyRecord, TransparencyService } from '@gatehouse/application';
import { DomainError, transparencyRecordSections } from '@gatehouse/domain';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { escapeMarkup } from '@gatehouse/evals';
import { IdParamDto } from '../http/common.dto';
import { WebRenderer } from '../web/web-renderer';
import { type WebRequest } from '../web/web-session';

/** The public register: no sign-in. JSON for programs, a readable page for browsers (Accept: text/html). */
@ApiTags('transparency')
@Public()
@Controller('public/transparency-records')
export class PublicTransparencyController {
  constructor(
    private readonly transparency: TransparencyService,
    private readonly renderer: WebRenderer,
  ) {}

  @Get()
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: 'Every published record (summary), newest change first.' })
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    const records = await this.transparency.listPublic();
    if (wantsHtml(req)) {
      this.renderer.send(res, req as WebRequest, 'public/register.njk', {
        title: 'Algorithmic transparency records',
        records,
      });
      return;
    }
    res.json({ items: records, total: records.length });
  }

  @Get(':id')
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: 'The ATRS-shaped record (Tier 1 summary and Tier 2 sections).' })
  async get(@Param() { id }: IdParamDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!wantsHtml(req)) {
      const published = await this.transparency.getPublic(id);
      res.setHeader('Last-Modified', new Date(published.updatedAt).toUTCString());
      res.json(published.record);
      return;
    }
    let published: PublishedTransparencyRecord;
    try {
      published = await this.transparency.getPublic(id);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') {
        this.renderer.send(
          res,
          req as WebRequest,
          'public/not-found.njk',
          { title: 'Record not found' },
          404,
        );
        return;
      }
      throw error;
    }
    res.setHeader('Last-Modified', new Date(published.updatedAt).toUTCString());
    this.renderer.send(res, req as WebRequest, 'public/record.njk', {
      title: published.record.tier1.name,
      published,
      sections: transparencyRecordSections(published.record).map((section, i) => ({
        id: `section-${i + 1}`,
        heading: section.heading,
        rows: section.rows.map((row) => ({
          key: { text: row.label },
          value: {
            // Values may run over several lines; the span keeps them (escaped here, as the macro would).
            html: `<span class="gh-record__text">${escapeMarkup(row.value)}</span>`,
            classes: row.value.startsWith('Withheld:') ? 'gh-record__withheld' : undefined,
          },
        })),
      })),
    });
  }
}

/** Browsers ask for HTML first; programs (and a missing Accept) get JSON. */
function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html' && !!req.headers.accept;
}
