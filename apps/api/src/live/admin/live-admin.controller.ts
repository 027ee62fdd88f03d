import { IngestTokensService, LiveSettingsService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiTags,
} from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx } from '../../auth/auth.decorators';
import { IdParamDto } from '../../http/common.dto';
import {
  IngestTokenListDto,
  IngestTokenParamDto,
  IssuedIngestTokenDto,
  LiveSettingsDto,
  MintIngestTokenDto,
  PutLiveSettingsDto,
  RevokeIngestTokenDto,
} from './live-admin.dto';

/**
 * A use case's live use, administered: its ingest tokens (what the live service authenticates with) and
 * its live settings (sampling, capture, redaction, retention, judge budget, re-evaluation, drift). Who may
 * is the services' (owning team's service team or engineers change; reviewers and admins read; admins may
 * also revoke).
 */
@ApiTags('live')
@Authenticated()
@Controller('v1/ai-use-cases')
export class LiveAdminController {
  constructor(
    private readonly tokens: IngestTokensService,
    private readonly settings: LiveSettingsService,
  ) {}

  @Post(':id/ingest-tokens')
  @ApiBody({ type: MintIngestTokenDto })
  @ApiForbiddenResponse({ description: "Not the owning team's service team or engineers." })
  @ApiConflictResponse({
    description: 'The use case is not at test, learn or scale, or already has the most active tokens.',
  })
  @ZodResponse({ status: 201, type: IssuedIngestTokenDto, description: 'The token, shown this once.' })
  async mint(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const issued = await this.tokens.mint(ctx, id, body);
    res.setHeader('Cache-Control', 'no-store');
    return issued;
  }

  @Get(':id/ingest-tokens')
  @ApiForbiddenResponse({ description: 'Not the owning team, a reviewer or an admin.' })
  @ZodResponse({ type: IngestTokenListDto, description: "The use case's ingest tokens, without secrets." })
  list(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.tokens.list(ctx.actor, id);
  }

  @Delete(':id/ingest-tokens/:tokenId')
  @HttpCode(204)
  @ApiBody({ type: RevokeIngestTokenDto, required: false })
  @ApiForbiddenResponse({ description: "Not the owning team's service team or engineers, nor an admin." })
  @ApiNotFoundResponse({ description: 'No such token of this use case (or no such use case you can see).' })
  @ApiNoContentResponse({ description: 'Revoked (or already revoked): the ingest endpoints refuse it.' })
  async revoke(
    @Ctx() ctx: RequestContext,
    @Param() { id, tokenId }: IngestTokenParamDto,
    @Body() body: unknown,
  ): Promise<void> {
    await this.tokens.revoke(ctx, id, tokenId, body);
  }

  @Get(':id/live-settings')
  @ApiForbiddenResponse({ description: 'Not the owning team, a reviewer or an admin.' })
  @ZodResponse({ type: LiveSettingsDto, description: 'The live settings (the defaults until set).' })
  getSettings(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.settings.get(ctx.actor, id);
  }

  @Put(':id/live-settings')
  @ApiBody({ type: PutLiveSettingsDto })
  @ApiForbiddenResponse({ description: "Not the owning team's service team or engineers." })
  @ApiConflictResponse({ description: 'The use case is retired.' })
  @ZodResponse({ type: LiveSettingsDto, description: 'The live settings as stored.' })
  putSettings(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: unknown) {
    return this.settings.update(ctx, id, body);
  }
}
