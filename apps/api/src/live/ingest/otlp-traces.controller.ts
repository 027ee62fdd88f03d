import { encodeTraceResponse, type IngestContext, LiveIngestService } from '@gatehouse/application';
import { Controller, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiConsumes,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '../../auth/auth.decorators';
import {
  IngestBody,
  IngestCtx,
  IngestMediaTypes,
  type IngestRequest,
  IngestTokenGuard,
} from './ingest-token.guard';
import { IngestUnavailableInterceptor } from './ingest-unavailable';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/**
 * The OTLP/HTTP trace receiver: point an OpenTelemetry exporter at `{base}/v1/otlp/v1/traces` with the use
 * case's ingest token as a bearer token. Model-call spans (GenAI semantic conventions) are stored; other
 * spans are skipped. Answers as the OTLP/HTTP specification says: 200 with an ExportTraceServiceResponse in
 * the request's encoding (a partial success names spans refused); 400, 401, 409, 413 and 415 are final (the
 * OpenTelemetry exporters retry only 429, 502, 503 and 504). A use case sending more bytes a second than
 * GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND allows is answered 429 with Retry-After, which the exporters wait
 * out and retry; its body is not decoded. A body whose decoding would cost more than any
 * real exporter's batch (too many values, fields or nesting levels, or malformed protobuf) is refused before
 * it is decoded.
 */
@ApiTags('live ingest')
@ApiBearerAuth('ingest-token')
@Public()
@UseGuards(IngestTokenGuard)
@UseInterceptors(IngestUnavailableInterceptor)
@Controller('v1/otlp/v1')
export class OtlpTracesController {
  constructor(private readonly ingest: LiveIngestService) {}

  @Post('traces')
  @IngestMediaTypes([PROTOBUF, JSON_TYPE])
  @ApiConsumes(PROTOBUF, JSON_TYPE)
  @ApiProduces(PROTOBUF, JSON_TYPE)
  @ApiOkResponse({
    description:
      'An ExportTraceServiceResponse in the encoding of the request; partial_success {rejected_spans, error_message} when spans were refused.',
  })
  @ApiUnauthorizedResponse({ description: 'No, unknown or revoked ingest token.' })
  @ApiConflictResponse({ description: 'The use case is not at test, learn or scale.' })
  @ApiPayloadTooLargeResponse({
    description: 'The (decompressed) body is over the limit, or too many spans.',
  })
  @ApiServiceUnavailableResponse({
    description: 'The database cannot take the data just now: retry after Retry-After.',
  })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not protobuf or JSON, or an encoding other than gzip.' })
  @ApiTooManyRequestsResponse({
    description:
      'The use case is sending more bytes a second than GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: nothing stored; the exporters retry after Retry-After.',
  })
  async traces(
    @IngestCtx() ctx: IngestContext,
    @IngestBody() body: Buffer,
    @Req() req: IngestRequest,
    @Res() res: Response,
  ): Promise<void> {
    const json = req.ingestType === JSON_TYPE;
    const { partialSuccess } = await this.ingest.exportTraces(ctx, body, json ? 'json' : 'protobuf');
    if (json) {
      // proto3 JSON: int64 as a decimal string.
      const answer = partialSuccess
        ? {
            partialSuccess: {
              rejectedSpans: String(partialSuccess.rejectedSpans),
              errorMessage: partialSuccess.errorMessage,
            },
          }
        : {};
      res.status(200).type(JSON_TYPE).send(JSON.stringify(answer));
    } else {
      res.status(200).type(PROTOBUF).send(encodeTraceResponse(partialSuccess));
    }
  }
}
