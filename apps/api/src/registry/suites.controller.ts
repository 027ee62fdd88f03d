import { RegistryService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { NameVersionParamDto, RegistryListQueryDto, SuiteDto, SuitePageDto } from './registry.dto';
import { TextUpload, uploadedText } from './upload-body';

const SUITE_TYPES = ['application/yaml', 'text/yaml', 'application/json'];

@ApiTags('suites')
@Authenticated()
@Controller('v1/suites')
export class SuitesController {
  constructor(private readonly registry: RegistryService) {}

  @Post()
  @Roles('engineer')
  @TextUpload(SUITE_TYPES, 'The suite as YAML or JSON (see evals/schemas/suite.schema.json).')
  @ZodResponse({
    status: 201,
    type: SuiteDto,
    description:
      'The published suite (200 when identical content was already published under its name and version).',
  })
  async publish(
    @Ctx() ctx: RequestContext,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    // JSON and YAML both arrive as text: JSON is YAML, so both go through the one parser that names lines.
    const { suite, created } = await this.registry.createSuite(ctx, uploadedText(body, SUITE_TYPES));
    res.status(created ? 201 : 200).location(`/v1/suites/${suite.name}/versions/${suite.version}`);
    return suite;
  }

  @Get()
  @ZodResponse({ type: SuitePageDto })
  async list(@Query() query: RegistryListQueryDto) {
    return { ...(await this.registry.listSuites(query)), limit: query.limit, offset: query.offset };
  }

  @Get(':name/versions/:version')
  @ZodResponse({ type: SuiteDto })
  get(@Param() { name, version }: NameVersionParamDto) {
    return this.registry.suite(name, version);
  }
}
