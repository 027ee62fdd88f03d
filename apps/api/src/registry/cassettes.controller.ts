import { RegistryService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { CassetteDto, CassetteListDto, UploadCassetteQueryDto } from './registry.dto';
import { TextUpload, uploadedText } from './upload-body';

const JSONL = ['application/x-ndjson', 'application/jsonl', 'text/plain'];

/** Recorded model responses that replay targets and judges answer from, so runs need no network. */
@ApiTags('cassettes')
@Authenticated()
@Controller('v1/cassettes')
export class CassettesController {
  constructor(private readonly registry: RegistryService) {}

  @Post()
  @Roles('engineer')
  @TextUpload(JSONL, 'A cassette as recorded by `gatehouse eval run --record`: one JSON entry per line.')
  @ZodResponse({
    status: 201,
    type: CassetteDto,
    description: 'The stored cassette (200 when identical content was already there).',
  })
  async upload(
    @Ctx() ctx: RequestContext,
    @Query() { name }: UploadCassetteQueryDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { created, ...cassette } = await this.registry.createCassette(ctx, name, uploadedText(body, JSONL));
    res.status(created ? 201 : 200);
    return cassette;
  }

  @Get()
  @ZodResponse({ type: CassetteListDto })
  list() {
    return this.registry.listCassettes();
  }
}
