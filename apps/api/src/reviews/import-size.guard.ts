import { MAX_IMPORT_BYTES } from '@gatehouse/application';
import { DomainError } from '@gatehouse/domain';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { type Request } from 'express';

/**
 * A review import announcing more than MAX_IMPORT_BYTES is refused with 413 before a byte of it is read
 * (guards run after authentication and before the body reader). A chunked body is read up to the upload
 * limit and then measured by the service, which refuses it the same way.
 */
@Injectable()
export class ImportSizeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const length = Number(context.switchToHttp().getRequest<Request>().headers['content-length'] ?? 0);
    if (length > MAX_IMPORT_BYTES) {
      throw new DomainError('payload_too_large', `A review import is at most ${MAX_IMPORT_BYTES} bytes.`, [
        { field: '(body)', message: `must be at most ${MAX_IMPORT_BYTES} bytes`, code: 'too_big' },
      ]);
    }
    return true;
  }
}
