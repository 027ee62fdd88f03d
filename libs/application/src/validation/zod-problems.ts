import { type FieldProblem } from '@gatehouse/domain';
import { type ZodError } from 'zod';

/** `["record", "risks", 2, "mitigation"]` → `record.risks[2].mitigation` */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      out += out ? `.${String(segment)}` : String(segment);
    }
  }
  return out || '(body)';
}

/** Turns a ZodError into field problems; each unknown key becomes a problem at that key's own path. */
export function zodProblems(error: ZodError, prefix = ''): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath([...issue.path, key], prefix),
        message: 'is not a known field',
        code: 'unknown_field',
      }));
    }
    return [{ field: fieldPath(issue.path, prefix), message: issue.message, code: issue.code }];
  });
}
