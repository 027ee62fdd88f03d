import { DomainError } from '../errors/domain-error';
import { UNSAFE_KEYS } from '../json/json-safety';

/**
 * JSON Merge Patch (RFC 7396): objects merge member by member, `null` removes a member, anything else
 * (arrays included) replaces. Returns a new value; neither input is changed. A `__proto__`, `constructor`
 * or `prototype` key is refused with a validation error naming it (`path` prefixes the field), never
 * assigned (which would change the result's prototype and drop the member silently).
 */
export function applyMergePatch(target: unknown, patch: unknown, path = ''): unknown {
  if (!isPlainObject(patch)) {
    return structuredClone(patch);
  }
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    const field = path ? `${path}.${key}` : key;
    if (UNSAFE_KEYS.has(key)) {
      throw DomainError.validation(
        [
          {
            field,
            message: 'is a key Gatehouse refuses (it could reach an object prototype)',
            code: 'unsafe_key',
          },
        ],
        `The change uses the key "${key}", which Gatehouse refuses.`,
      );
    }
    if (value === null) {
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value, field);
    }
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The top-level paths whose values differ between two JSON values, for change summaries. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedPaths(before[key], after[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix || '$'];
}
