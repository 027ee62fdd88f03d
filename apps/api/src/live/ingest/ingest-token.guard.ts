import {
  InjectConfig,
  type IngestContext,
  IngestAuthService,
  IngestRateLimiter,
  IngestUnavailableError,
  MAX_CONCURRENT_INGEST_READS,
} from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request, type Response } from 'express';
import { announcedLength, readIngestBody } from './ingest-body';
import { ingestRateLimited, ingestReadsBusy } from './ingest-rate-limited';
import { ingestUnavailable } from './ingest-unavailable';

export const INGEST_MEDIA_TYPES = 'gatehouse:ingest-media-types';

/** The media types an ingest route reads (anything else is a 415, its body unread). */
export const IngestMediaTypes = (types: string[]) => SetMetadata(INGEST_MEDIA_TYPES, types);

/** An ingest request once the guard let it through: whose it is, and its body's bytes. */
export interface IngestRequest extends Request {
  ingest?: IngestContext;
  ingestBody?: Buffer;
  /** The media type the body was sent as (one of the route's). */
  ingestType?: string;
}

/**
 * The ingest routes' own authentication (they are @Public to the API-token guard, which never sees an
 * ingest token): the bearer token must be a live ingest token of a use case at test, learn or scale (401,
 * 409). Only then is the body's media type checked (415) and the body read, gzip or not, up to
 * GATEHOUSE_INGEST_MAX_BYTES decompressed (413), so nothing is buffered for an unauthenticated caller.
 * The body is read here, before the app's JSON body reader (an interceptor) would see it. Its decompressed
 * size is then charged to the use case's byte rate (GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND, shared by all API
 * processes when the queue runs on Redis): past it, 429 with Retry-After and nothing decoded or stored. What
 * was read is charged even when the body is refused (429, or 413/400 while it was read).
 */
@Injectable()
export class IngestTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: IngestAuthService,
    private readonly rate: IngestRateLimiter,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<IngestRequest>();
    const res = http.getResponse<Response>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    try {
      req.ingest = await this.auth.authenticate(match ? match[1] : null);
    } catch (error) {
      throw error instanceof IngestUnavailableError ? ingestUnavailable(res) : error;
    }
    const types = this.reflector.get<string[] | undefined>(INGEST_MEDIA_TYPES, context.getHandler()) ?? [
      'application/json',
    ];
    const type = req.headers['content-type'] ? req.is(types) : false;
    if (!type) {
      throw new DomainError(
        'unsupported_media_type',
        `This route reads ${types.join(' or ')}, not ${req.headers['content-type'] ?? 'an untyped body'}.`,
        [
          {
            field: '(headers).content-type',
            message: `must be ${types.join(' or ')}`,
            code: 'unsupported_media_type',
          },
        ],
      );
    }
    req.ingestType = type;
    // Over its rate already (the bucket cannot hold even the bytes announced): refused before the body is
    // read or inflated. Node discards the unread rest once the answer is sent, as for a 415.
    // This asks nothing of Redis (it answers from the last shared answer this process had).
    const announced = announcedLength(req);
    const before = this.rate.admits(req.ingest.aiUseCaseId, Math.max(announced ?? 1, 1));
    if (!before.allowed) {
      throw ingestRateLimited(res, before);
    }
    // A few bodies of one use case at a time: each is charged only once read, so many started together
    // would all be read (and inflated) on the same allowance.
    if (!this.rate.startRead(req.ingest.aiUseCaseId)) {
      throw ingestReadsBusy(res, MAX_CONCURRENT_INGEST_READS);
    }
    // The slot is given back once the body is charged, not merely read: a body read but not yet charged
    // must not let another start on the same allowance.
    try {
      const read = { bytes: 0 };
      let body: Buffer;
      try {
        body = await readIngestBody(req, res, this.config.live.maxIngestBytes, announced, read);
      } catch (error) {
        // Refused while it was read (a gzip bomb past the limit, corrupt gzip, a body cut off): what was
        // read and inflated is charged all the same, so such bodies cannot be sent for free.
        if (read.bytes > 0) {
          await this.rate.take(req.ingest.aiUseCaseId, read.bytes);
        }
        throw error;
      }
      // Charged whether it is allowed or not (it was read). One round trip to Redis when the queue runs on
      // it (the rate is then the use case's across all API processes), bounded: without an answer in time
      // this process decides alone.
      const decision = await this.rate.take(req.ingest.aiUseCaseId, body.length);
      if (!decision.allowed) {
        throw ingestRateLimited(res, decision);
      }
      req.ingestBody = body;
      return true;
    } finally {
      this.rate.endRead(req.ingest.aiUseCaseId);
    }
  }
}

/** The authenticated ingest context (set by IngestTokenGuard). */
export const IngestCtx = createParamDecorator((_: unknown, context: ExecutionContext): IngestContext => {
  const req = context.switchToHttp().getRequest<IngestRequest>();
  if (!req.ingest) {
    throw new Error('IngestCtx used on a route without IngestTokenGuard');
  }
  return req.ingest;
});

/** The body's bytes, read by IngestTokenGuard. */
export const IngestBody = createParamDecorator((_: unknown, context: ExecutionContext): Buffer => {
  const req = context.switchToHttp().getRequest<IngestRequest>();
  if (!req.ingestBody) {
    throw new Error('IngestBody used on a route without IngestTokenGuard');
  }
  return req.ingestBody;
});
