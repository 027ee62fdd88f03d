import { DomainError } from '@gatehouse/domain';

/** A strong entity tag for one revision of a versioned resource. */
export const revisionTag = (id: string, revision: number) => `"${id}.${revision}"`;

/** The revision an `If-Match` header names, or undefined without one; a tag for another resource is refused. */
export function revisionFromIfMatch(header: string | undefined, id: string): number | undefined {
  if (!header || header.trim() === '*') {
    return undefined;
  }
  const match = /^"([0-9a-f-]{36})\.(\d+)"$/.exec(header.trim());
  if (!match || match[1] !== id) {
    throw DomainError.validation([
      {
        field: 'If-Match',
        message: `must be an ETag of this resource, like ${revisionTag(id, 1)}`,
        code: 'invalid',
      },
    ]);
  }
  return Number(match[2]);
}
