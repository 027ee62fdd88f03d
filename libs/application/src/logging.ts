import { type GatehouseConfig } from '@gatehouse/config';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { type Params } from 'nestjs-pino';
import { type DestinationStream } from 'pino';
import { type Options } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The request's id: the caller's X-Request-Id when it looks safe, else a new UUID; echoed in the response
 * and set on `req.id`. Idempotent, so the first middleware and the logger agree on one id.
 */
export function assignRequestId(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') {
    return req.id;
  }
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * JSON logs with a request id on every line (taken from X-Request-Id when it looks safe, else new, and
 * echoed back). Requests are logged as method, URL and status only, so headers, bodies and tokens never
 * reach the log; the redact list is a second line of defence for anything logged by hand.
 */
export function loggerOptions(config: GatehouseConfig, stream?: DestinationStream): Params {
  const options: Options = {
    level: config.logLevel,
    genReqId: assignRequestId,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.token',
        '*.password',
        '*.secret',
        '*.apiKey',
        '*.authorization',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' },
    quietReqLogger: true,
  };
  return { pinoHttp: stream ? [options, stream] : options };
}
