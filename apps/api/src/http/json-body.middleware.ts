import { assignRequestId } from '@gatehouse/application';
import { DomainError } from '@gatehouse/domain';
import { json, type NextFunction, type Request, type RequestHandler, type Response, text } from 'express';

/**
 * Parses JSON bodies up to `limit` bytes and turns body-parser's failures into domain errors, so a
 * malformed or oversized body gets the same problem+json (with the field "(body)") as any other bad input.
 * Runs first, so it also assigns the request id that every later log line and error carries.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = json({ limit });
  return (req: Request, res: Response, next: NextFunction) => {
    assignRequestId(req, res);
    parse(req, res, (error?: unknown) => next(error ? toDomainError(error, limit) : undefined));
  };
}

/** Media types read as text: JSONL datasets and cassettes, YAML suites. */
export const TEXT_UPLOAD_TYPES = [
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
];

/** Reads JSONL and YAML uploads as a string body, up to their own (larger) limit; UTF-8 only. */
export function textBody(limit: number): RequestHandler {
  const parse = text({ limit, type: TEXT_UPLOAD_TYPES, defaultCharset: 'utf-8' });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (error?: unknown) => next(error ? toDomainError(error, limit) : undefined));
  };
}

function toDomainError(error: unknown, limit: number): unknown {
  const type = (error as { type?: unknown }).type;
  switch (type) {
    case 'entity.parse.failed':
      return DomainError.validation(
        [
          {
            field: '(body)',
            message: `is not valid JSON: ${(error as Error).message}`,
            code: 'invalid_json',
          },
        ],
        'The body is not valid JSON.',
      );
    case 'entity.too.large':
      return new DomainError('payload_too_large', `The body is larger than the limit of ${limit} bytes.`, [
        { field: '(body)', message: `must be at most ${limit} bytes`, code: 'too_big' },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new DomainError('unsupported_media_type', (error as Error).message);
    case 'request.aborted':
    case 'request.size.invalid':
      return DomainError.validation([
        { field: '(body)', message: (error as Error).message, code: 'invalid_body' },
      ]);
    default:
      return error;
  }
}
