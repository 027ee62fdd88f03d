import { DomainError } from '@gatehouse/domain';
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import { AcceptsUpload } from '../http/request-body.interceptor';

/**
 * A text upload (JSONL or YAML): read as text up to GATEHOUSE_MAX_UPLOAD_BYTES (other routes take JSON up
 * to GATEHOUSE_MAX_BODY_BYTES), and documented in the OpenAPI document.
 */
export const TextUpload = (types: string[], description: string) =>
  applyDecorators(
    AcceptsUpload(types),
    ApiConsumes(...types),
    ApiBody({ schema: { type: 'string' }, description }),
  );

/** The body as text, or a 415 naming the media types the route reads. */
export function uploadedText(body: unknown, types: string[]): string {
  if (typeof body !== 'string') {
    throw new DomainError(
      'unsupported_media_type',
      `Send the content as the request body with Content-Type ${types.join(' or ')}.`,
      [{ field: '(body)', message: `must be sent as ${types.join(' or ')}`, code: 'unsupported_media_type' }],
    );
  }
  if (body.trim() === '') {
    throw DomainError.validation(
      [{ field: '(body)', message: 'is empty', code: 'too_small' }],
      'The body is empty.',
    );
  }
  return body;
}
