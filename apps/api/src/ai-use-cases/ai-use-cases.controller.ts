import { AiUseCasesService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { revisionFromIfMatch, revisionTag } from '../http/etag';
import {
  AiUseCaseDto,
  AiUseCaseListQueryDto,
  AiUseCasePageDto,
  AiUseCaseRevisionListDto,
  OverrideRiskTierDto,
  RegisterAiUseCaseDto,
  UpdateAiUseCaseDto,
} from './ai-use-cases.dto';

@ApiTags('ai-use-cases')
@Authenticated()
@Controller('v1/ai-use-cases')
export class AiUseCasesController {
  constructor(private readonly aiUseCases: AiUseCasesService) {}

  @Post()
  @Roles('service_team')
  @ZodResponse({ status: 201, type: AiUseCaseDto })
  async register(
    @Ctx() ctx: RequestContext,
    @Body() body: RegisterAiUseCaseDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const view = await this.aiUseCases.register(ctx, body);
    res.setHeader('ETag', revisionTag(view.id, view.revision)).location(`/v1/ai-use-cases/${view.id}`);
    return view;
  }

  @Get()
  @ZodResponse({ type: AiUseCasePageDto })
  async list(@Ctx() ctx: RequestContext, @Query() query: AiUseCaseListQueryDto) {
    return { ...(await this.aiUseCases.list(ctx.actor, query)), limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  @ZodResponse({ type: AiUseCaseDto })
  async get(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const view = await this.aiUseCases.get(ctx.actor, id);
    res.setHeader('ETag', revisionTag(view.id, view.revision));
    return view;
  }

  @Patch(':id')
  @Roles('service_team')
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The ETag of the revision the change was made against.',
  })
  @ZodResponse({
    type: AiUseCaseDto,
    description: 'The new revision (or the unchanged use case if nothing changed).',
  })
  async update(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: UpdateAiUseCaseDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const expectedRevision = body.expectedRevision ?? revisionFromIfMatch(ifMatch, id);
    const view = await this.aiUseCases.update(ctx, id, { ...body, expectedRevision });
    res.setHeader('ETag', revisionTag(view.id, view.revision));
    return view;
  }

  @Get(':id/revisions')
  @ZodResponse({ type: AiUseCaseRevisionListDto })
  revisions(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.aiUseCases.revisions(ctx.actor, id);
  }

  @Post(':id/risk-tier-override')
  @Roles('reviewer')
  @ZodResponse({ status: 200, type: AiUseCaseDto })
  overrideRiskTier(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: OverrideRiskTierDto,
  ) {
    return this.aiUseCases.overrideRiskTier(ctx, id, body);
  }
}
