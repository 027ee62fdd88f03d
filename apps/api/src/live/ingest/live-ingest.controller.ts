import { type IngestContext, LiveIngestService } from '@gatehouse/application';
import { Controller, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Public } from '../../auth/auth.decorators';
import { IngestBody, IngestCtx, IngestTokenGuard } from './ingest-token.guard';
import { IngestUnavailableInterceptor } from './ingest-unavailable';
import {
  FeedbackOutcomeDto,
  HeartbeatDto,
  HeartbeatOutcomeDto,
  RecordFeedbackDto,
  RecordInteractionsDto,
  StoredBatchDto,
} from './live-ingest.dto';

/**
 * Live data from a service that does not send OpenTelemetry: model calls, feedback events and a heartbeat
 * attesting its configuration. Authenticated by the use case's ingest token (not an API token); JSON, gzip
 * or not, up to GATEHOUSE_INGEST_MAX_BYTES, holding no more objects and arrays than a valid body can (counted
 * before the body is parsed), and no more bytes a second than GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND (429 with
 * Retry-After, shared by these routes and the OTLP one).
 */
@ApiTags('live ingest')
@ApiBearerAuth('ingest-token')
@ApiUnauthorizedResponse({ description: 'No, unknown or revoked ingest token.' })
@ApiConflictResponse({ description: 'The use case is not at test, learn or scale.' })
@ApiPayloadTooLargeResponse({ description: 'The (decompressed) body is over the ingest limit.' })
@ApiServiceUnavailableResponse({
  description: 'The database cannot take the data just now: retry after Retry-After.',
})
@ApiTooManyRequestsResponse({
  description:
    'The use case is sending more bytes a second than GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: nothing stored; retry after Retry-After.',
})
@Public()
@UseGuards(IngestTokenGuard)
@UseInterceptors(IngestUnavailableInterceptor)
@Controller('v1/live')
export class LiveIngestController {
  constructor(private readonly ingest: LiveIngestService) {}

  @Post('interactions')
  @HttpCode(200)
  @ApiBody({ type: RecordInteractionsDto })
  @ZodResponse({ status: 200, type: StoredBatchDto, description: 'Stored (durably) before this answer.' })
  interactions(@IngestCtx() ctx: IngestContext, @IngestBody() body: Buffer) {
    return this.ingest.recordInteractions(ctx, body);
  }

  @Post('feedback')
  @HttpCode(200)
  @ApiBody({ type: RecordFeedbackDto })
  @ZodResponse({
    status: 200,
    type: FeedbackOutcomeDto,
    description: 'Stored; a repeated event id is stored once.',
  })
  feedback(@IngestCtx() ctx: IngestContext, @IngestBody() body: Buffer) {
    return this.ingest.recordFeedback(ctx, body);
  }

  @Post('heartbeat')
  @HttpCode(200)
  @ApiBody({ type: HeartbeatDto })
  @ZodResponse({
    status: 200,
    type: HeartbeatOutcomeDto,
    description: 'Whether the hash is the registered one.',
  })
  heartbeat(@IngestCtx() ctx: IngestContext, @IngestBody() body: Buffer) {
    return this.ingest.heartbeat(ctx, body);
  }
}
