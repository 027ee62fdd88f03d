import { DomainError } from '@gatehouse/domain';
import { type Request, type Response } from 'express';
import { createGunzip } from 'node:zlib';

/**
 * Reads an ingest request's body as bytes, up to `limit` bytes once decompressed: `Content-Encoding: gzip`
 * is inflated as it streams and abandoned the moment it passes the limit (a gzip bomb costs at most `limit`
 * bytes of memory and is refused with 413); identity bodies announcing more than `limit` are refused before a
 * byte is read (`announced`: the Content-Length, if the caller has read it already). Other encodings are
 * refused with 415, a corrupt gzip stream with 400. `progress.bytes` follows the bytes read so far (inflated),
 * so a caller can charge a body refused while it was read.
 */
export function readIngestBody(
  req: Request,
  res: Response,
  limit: number,
  announced: number | null = announcedLength(req),
  progress: { bytes: number } = { bytes: 0 },
): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (!['identity', 'gzip', 'x-gzip', ''].includes(encoding)) {
    discardRest(req, res);
    return Promise.reject(
      new DomainError(
        'unsupported_media_type',
        `Content-Encoding "${encoding}" is not accepted: send gzip or none.`,
        [
          {
            field: '(headers).content-encoding',
            message: 'must be gzip or identity',
            code: 'unsupported_encoding',
          },
        ],
      ),
    );
  }
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if (announced !== null && announced > limit) {
    discardRest(req, res);
    return Promise.reject(tooLarge(limit, gzip));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const source = gzip ? req.pipe(createGunzip()) : req;
    const fail = (error: unknown) => {
      if (!settled) {
        settled = true;
        if (gzip) {
          req.unpipe();
          source.destroy();
        }
        discardRest(req, res);
        reject(error);
      }
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) {
        return;
      }
      size += chunk.length;
      progress.bytes = size;
      if (size > limit) {
        fail(tooLarge(limit, gzip));
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => {
      if (!settled) {
        settled = true;
        resolve(Buffer.concat(chunks, size));
      }
    });
    source.on('error', (error: Error) =>
      fail(
        DomainError.validation(
          [
            {
              field: '(body)',
              message: gzip ? `is not valid gzip: ${error.message}` : `could not be read: ${error.message}`,
              code: 'invalid_body',
            },
          ],
          gzip ? 'The body is not valid gzip.' : 'The body could not be read.',
        ),
      ),
    );
    if (gzip) {
      req.on('error', (error: Error) => source.destroy(error));
    }
    req.on('aborted', () =>
      fail(
        DomainError.validation([
          { field: '(body)', message: 'was cut off by the client', code: 'invalid_body' },
        ]),
      ),
    );
  });
}

/** The body's length as its Content-Length announces it (before any decompression), or null if it does not. */
export function announcedLength(req: Request): number | null {
  const announced = Number(req.headers['content-length'] ?? NaN);
  return Number.isFinite(announced) && announced >= 0 ? announced : null;
}

/** How long a refused request's unread rest is read and dropped before its connection is cut. */
const LINGER_MS = 5_000;

/**
 * After a refusal the rest of the body is read and dropped (not buffered), so the client, still sending,
 * reads the answer instead of a reset connection; the connection closes after the answer, and is cut if the
 * client keeps sending for more than LINGER_MS.
 */
function discardRest(req: Request, res: Response): void {
  if (req.complete) {
    return;
  }
  if (!res.headersSent) {
    res.setHeader('Connection', 'close');
  }
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.resume();
}

function tooLarge(limit: number, gzip: boolean): DomainError {
  const what = gzip ? 'decompressed body' : 'body';
  return new DomainError(
    'payload_too_large',
    `The ${what} is larger than the ingest limit of ${limit} bytes: send smaller batches.`,
    [
      {
        field: '(body)',
        message: `must be at most ${limit} bytes${gzip ? ' once decompressed' : ''}`,
        code: 'too_big',
      },
    ],
  );
}
