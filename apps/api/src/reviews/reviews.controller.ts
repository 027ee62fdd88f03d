import {
  ItemReviewsService,
  MAX_IMPORT_BYTES,
  type RequestContext,
  ReviewSamplesService,
} from '@gatehouse/application';
import { Body, Controller, Get, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiPayloadTooLargeResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import { TextUpload, uploadedText } from '../registry/upload-body';
import { ImportSizeGuard } from './import-size.guard';
import {
  DrawReviewSampleDto,
  ImportedReviewsDto,
  ItemReviewDto,
  RecordItemReviewDto,
  ReviewItemDto,
  ReviewSampleDto,
  ReviewSampleListDto,
  SampleItemParamDto,
} from './reviews.dto';

const JSONL = ['application/x-ndjson', 'text/plain'];
const REVIEWERS = ['reviewer', 'engineer', 'service_team'] as const;

/** Review samples of a run: draw one, list them. */
@ApiTags('reviews')
@Authenticated()
@Controller('v1/runs')
export class RunReviewSamplesController {
  constructor(private readonly samples: ReviewSamplesService) {}

  @Post(':id/review-samples')
  @Roles(...REVIEWERS)
  @ApiBody({ type: DrawReviewSampleDto })
  @ZodResponse({ status: 201, type: ReviewSampleDto, description: 'The sample, drawn and stored.' })
  async draw(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const sample = await this.samples.draw(ctx, id, body);
    res.location(`/v1/review-samples/${sample.id}`);
    return sample;
  }

  @Get(':id/review-samples')
  @ZodResponse({ type: ReviewSampleListDto, description: "The run's review samples, oldest first." })
  async list(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return { items: await this.samples.list(ctx, id) };
  }
}

/** One review sample: its items one at a time, reviews, and JSONL export and import. */
@ApiTags('reviews')
@Authenticated()
@Controller('v1/review-samples')
export class ReviewSamplesController {
  constructor(
    private readonly samples: ReviewSamplesService,
    private readonly reviews: ItemReviewsService,
  ) {}

  @Get(':id')
  @ZodResponse({ type: ReviewSampleDto, description: 'The sample with your progress and its statistics.' })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.samples.get(ctx, id);
  }

  @Get(':id/items/:position')
  @ZodResponse({ type: ReviewItemDto, description: 'One item, with your own review only (review is blind).' })
  item(@Ctx() ctx: RequestContext, @Param() { id, position }: SampleItemParamDto) {
    return this.reviews.item(ctx, id, position);
  }

  @Post(':id/items/:position/reviews')
  @Roles(...REVIEWERS)
  @ApiBody({ type: RecordItemReviewDto })
  @ZodResponse({ status: 201, type: ItemReviewDto, description: 'Your review: the next revision of it.' })
  record(@Ctx() ctx: RequestContext, @Param() { id, position }: SampleItemParamDto, @Body() body: unknown) {
    return this.reviews.record(ctx, id, position, body, 'api');
  }

  @Get(':id/reviews.jsonl')
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description:
      "One JSON line per current review; others' reviews only of items you have reviewed yourself (review is blind).",
  })
  async exportJsonl(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const jsonl = await this.reviews.exportJsonl(ctx, id);
    res.attachment(`review-sample-${id}.jsonl`).type('application/x-ndjson');
    return jsonl;
  }

  @Post(':id/reviews.jsonl')
  @Roles(...REVIEWERS)
  @UseGuards(ImportSizeGuard)
  @TextUpload(
    JSONL,
    `One review per line: {"position" | "itemId" (+ "epoch"), "reviewer", "verdicts", "note"?}; at most 10,000 lines and ${MAX_IMPORT_BYTES} bytes; all or nothing.`,
  )
  @ApiPayloadTooLargeResponse({ description: `The body is over ${MAX_IMPORT_BYTES} bytes.` })
  @ZodResponse({ status: 201, type: ImportedReviewsDto, description: 'How many reviews were imported.' })
  importJsonl(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: unknown) {
    return this.reviews.importJsonl(ctx, id, uploadedText(body, JSONL));
  }
}
