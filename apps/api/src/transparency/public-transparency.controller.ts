import { TransparencyService } from '@gatehouse/application';
import { transparencyRecordSections } from '@gatehouse/domain';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { renderRecordPage, renderRegisterPage } from './transparency-html';

/** The public register: no sign-in. JSON for programs, a readable page for browsers (Accept: text/html). */
@ApiTags('transparency')
@Public()
@Controller('public/transparency-records')
export class PublicTransparencyController {
  constructor(private readonly transparency: TransparencyService) {}

  @Get()
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: 'Every published record (summary), newest change first.' })
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    const records = await this.transparency.listPublic();
    if (wantsHtml(req)) {
      res.type('html').send(renderRegisterPage(records));
      return;
    }
    res.json({ items: records, total: records.length });
  }

  @Get(':id')
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: 'The ATRS-shaped record (Tier 1 summary and Tier 2 sections).' })
  async get(@Param() { id }: IdParamDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const published = await this.transparency.getPublic(id);
    res.setHeader('Last-Modified', new Date(published.updatedAt).toUTCString());
    if (wantsHtml(req)) {
      res
        .type('html')
        .send(renderRecordPage(published.record.tier1.name, transparencyRecordSections(published.record)));
      return;
    }
    res.json(published.record);
  }
}

/** Browsers ask for HTML first; programs (and a missing Accept) get JSON. */
function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html' && !!req.headers.accept;
}
