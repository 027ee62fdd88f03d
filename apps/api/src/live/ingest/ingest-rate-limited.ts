import { type IngestRateDecision, INGEST_RATE_SETTING } from '@gatehouse/application';
import { HttpException, HttpStatus } from '@nestjs/common';
import { type Response } from 'express';

/**
 * The answer when a use case sends more bytes than its rate allows: 429 with Retry-After (whole seconds until
 * its bucket holds the body again), which the OpenTelemetry exporters retry after that wait. The body was
 * read but nothing was decoded or stored.
 */
export function ingestRateLimited(
  res: Response,
  decision: Extract<IngestRateDecision, { allowed: false }>,
): HttpException {
  if (!res.headersSent) {
    res.setHeader('Retry-After', String(decision.retryAfterSeconds));
  }
  return new HttpException(
    `This AI use case is sending live data faster than this server accepts (${INGEST_RATE_SETTING}: ` +
      `${decision.bytesPerSecond} bytes a second, bursts of ${decision.burstBytes}, decompressed). Nothing ` +
      `was stored: send it again after Retry-After (${decision.retryAfterSeconds} s; the OpenTelemetry ` +
      `exporters do so by themselves), and send smaller or fewer batches, or ask the operator to raise ` +
      `${INGEST_RATE_SETTING}.`,
    HttpStatus.TOO_MANY_REQUESTS,
  );
}

/** The 429 for a use case with too many bodies being read at once by this process (Retry-After: 1). */
export function ingestReadsBusy(res: Response, most: number): HttpException {
  if (!res.headersSent) {
    res.setHeader('Retry-After', '1');
  }
  return new HttpException(
    `This AI use case has ${most} requests being read by this server already: nothing of this one was read or ` +
      `stored. Send it again after Retry-After (1 s; the OpenTelemetry exporters do so by themselves), and ` +
      `send fewer batches at once.`,
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
