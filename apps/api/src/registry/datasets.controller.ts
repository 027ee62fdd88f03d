import { RegistryService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import {
  DatasetDto,
  DatasetItemsPageDto,
  DatasetPageDto,
  ItemsQueryDto,
  NameVersionParamDto,
  RegistryListQueryDto,
  UploadDatasetQueryDto,
} from './registry.dto';
import { TextUpload, uploadedText } from './upload-body';

const JSONL = ['application/x-ndjson', 'application/jsonl', 'text/plain'];

@ApiTags('datasets')
@Authenticated()
@Controller('v1/datasets')
export class DatasetsController {
  constructor(private readonly registry: RegistryService) {}

  @Post()
  @Roles('engineer')
  @TextUpload(JSONL, 'One JSON item per line: {"id", "input", "expected"?, "metadata"?}.')
  @ZodResponse({
    status: 201,
    type: DatasetDto,
    description: 'The frozen version (200 when identical content already had one).',
  })
  async upload(
    @Ctx() ctx: RequestContext,
    @Query() query: UploadDatasetQueryDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { dataset, created } = await this.registry.createDataset(ctx, {
      ...query,
      jsonl: uploadedText(body, JSONL),
    });
    res.status(created ? 201 : 200).location(`/v1/datasets/${dataset.name}/versions/${dataset.version}`);
    return dataset;
  }

  @Get()
  @ZodResponse({ type: DatasetPageDto })
  async list(@Query() query: RegistryListQueryDto) {
    return { ...(await this.registry.listDatasets(query)), limit: query.limit, offset: query.offset };
  }

  @Get(':name/versions/:version')
  @ZodResponse({ type: DatasetDto })
  get(@Param() { name, version }: NameVersionParamDto) {
    return this.registry.dataset(name, version);
  }

  @Get(':name/versions/:version/items')
  @ZodResponse({ type: DatasetItemsPageDto, description: 'Items in id order.' })
  async items(@Param() { name, version }: NameVersionParamDto, @Query() query: ItemsQueryDto) {
    return {
      ...(await this.registry.datasetItems(name, version, query.limit, query.offset)),
      limit: query.limit,
      offset: query.offset,
    };
  }
}
