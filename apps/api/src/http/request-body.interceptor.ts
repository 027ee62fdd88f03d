import { type GatehouseConfig } from '@gatehouse/config';
import { InjectConfig } from '@gatehouse/application';
import { DomainError } from '@gatehouse/domain';
import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request, type Response } from 'express';
import { type Observable } from 'rxjs';
import { jsonBodyReader, textBodyReader } from './json-body.middleware';

export const UPLOAD_TYPES = 'gatehouse:upload-types';

/** The route takes a text upload of these media types, up to GATEHOUSE_MAX_UPLOAD_BYTES. */
export const AcceptsUpload = (types: string[]) => SetMetadata(UPLOAD_TYPES, types);

type BodyReader = (req: Request, res: Response) => Promise<void>;

/**
 * Reads the request body only once the guards have let the request through, so an unauthenticated or
 * unauthorised caller is refused before a byte of its body is buffered (Node discards the unread rest).
 * JSON up to GATEHOUSE_MAX_BODY_BYTES everywhere; the larger upload limit only on routes marked
 * @AcceptsUpload, for their own media types; any other body is a 415 without being read.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly json: BodyReader;
  private readonly uploads = new Map<string, BodyReader>();

  constructor(
    private readonly reflector: Reflector,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {
    this.json = jsonBodyReader(config.http.maxBodyBytes);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      const types = this.reflector.get<string[] | undefined>(UPLOAD_TYPES, context.getHandler());
      await this.read(http.getRequest<Request>(), http.getResponse<Response>(), types);
    }
    return next.handle();
  }

  private async read(req: Request, res: Response, uploadTypes?: string[]) {
    // Nothing to read, or already read (a page form, by formBody).
    if (!hasBody(req) || req.readableEnded) {
      return;
    }
    if (uploadTypes && req.is(uploadTypes)) {
      await this.uploadReader(uploadTypes)(req, res);
    } else if (req.is('application/json')) {
      await this.json(req, res);
    } else if (req.headers['content-length'] !== '0') {
      const accepted = [...new Set([...(uploadTypes ?? []), 'application/json'])].join(' or ');
      throw new DomainError(
        'unsupported_media_type',
        `This route reads ${accepted}, not ${req.headers['content-type'] ?? 'an untyped body'}.`,
        [{ field: '(body)', message: `must be sent as ${accepted}`, code: 'unsupported_media_type' }],
      );
    }
  }

  private uploadReader(types: string[]): BodyReader {
    const key = types.join(',');
    let reader = this.uploads.get(key);
    if (!reader) {
      reader = textBodyReader(this.config.http.maxUploadBytes, types);
      this.uploads.set(key, reader);
    }
    return reader;
  }
}

/** As type-is decides: a body is announced (chunked, or any Content-Length, 0 included). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}
