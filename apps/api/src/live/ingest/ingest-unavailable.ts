import { IngestUnavailableError } from '@gatehouse/application';
import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  ServiceUnavailableException,
} from '@nestjs/common';
import { type Response } from 'express';
import { catchError, type Observable, throwError } from 'rxjs';

/** How long a sender is asked to wait before sending a batch the database could not take. */
export const INGEST_RETRY_AFTER_SECONDS = 5;

/**
 * The answer when live data could not be stored or its token looked up because the database is down or
 * busy: 503 with Retry-After, which the OpenTelemetry exporters retry (a 500 they would drop).
 */
export function ingestUnavailable(res: Response): ServiceUnavailableException {
  if (!res.headersSent) {
    res.setHeader('Retry-After', String(INGEST_RETRY_AFTER_SECONDS));
  }
  return new ServiceUnavailableException(
    'Live data cannot be stored just now: send it again after Retry-After.',
  );
}

/** Turns IngestUnavailableError from the ingest service into that 503. */
@Injectable()
export class IngestUnavailableInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() => (error instanceof IngestUnavailableError ? ingestUnavailable(res) : error)),
        ),
      );
  }
}
