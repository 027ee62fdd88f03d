import { assignRequestId } from '@gatehouse/application';
import { DomainError, jsonSafetyProblem } from '@gatehouse/domain';
import {
  json,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  text,
  urlencoded,
} from 'express';

/** Runs first, so every later log line and error (a 401 included) carries the request id. */
export function requestIds(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    assignRequestId(req, res);
    next();
  };
}

/**
 * The sign-in and page forms: small (`limit`), and only off the `/v1` API, whose routes read their bodies
 * only after authentication (see RequestBodyInterceptor). The session guard reads `_csrf` from them.
 */
export function formBody(limit: number): RequestHandler {
  const parse = urlencoded({ extended: false, limit, parameterLimit: 500 });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/v1/')) {
      next();
      return;
    }
    parse(req, res, (error?: unknown) => next(error ? toDomainError(error, limit) : undefined));
  };
}

/** Parses a JSON body up to `limit` bytes, then refuses what no field may hold (see jsonSafetyProblem). */
export function jsonBodyReader(limit: number): (req: Request, res: Response) => Promise<void> {
  const parse = json({ limit });
  return async (req, res) => {
    await run(parse, req, res, limit);
    const problem = jsonSafetyProblem(req.body);
    if (problem) {
      throw DomainError.validation(
        [problem],
        `The body is not accepted: ${problem.field} ${problem.message}.`,
      );
    }
  };
}

/** Reads a text upload (JSONL, YAML) of the given media types up to `limit` bytes, UTF-8, with no NUL. */
export function textBodyReader(
  limit: number,
  types: string[],
): (req: Request, res: Response) => Promise<void> {
  const parse = text({ limit, type: types, defaultCharset: 'utf-8' });
  return async (req, res) => {
    await run(parse, req, res, limit);
    const body: unknown = req.body;
    const at = typeof body === 'string' ? body.indexOf('\u0000') : -1;
    if (at !== -1) {
      const line = lineAt(body as string, at);
      throw DomainError.validation(
        [
          {
            field: '(body)',
            message: `line ${line}: must not contain a NUL character (\\u0000)`,
            code: 'nul_character',
          },
        ],
        `The body holds a NUL character on line ${line}.`,
      );
    }
  };
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line += 1;
  }
  return line;
}

function run(parse: RequestHandler, req: Request, res: Response, limit: number): Promise<void> {
  return new Promise((resolve, reject) => {
    void parse(req, res, (error?: unknown) => (error ? reject(toDomainError(error, limit)) : resolve()));
  });
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
    case 'parameters.too.many':
      return DomainError.validation([
        { field: '(body)', message: (error as Error).message, code: 'invalid_body' },
      ]);
    default:
      return error;
  }
}
