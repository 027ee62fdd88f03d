import { type JsonValue } from '../hashing/canonical-json';

const SECRET_KEY =
  /(token|secret|password|passphrase|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;

/**
 * A JSON copy of a value with every member whose name looks secret removed (tokens, keys, passwords,
 * their hashes too). Audit events and logs pass through this; `Date`s become ISO strings.
 */
export function withoutSecrets(value: unknown): JsonValue {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map((v) => withoutSecrets(v));
  }
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if (member === undefined || SECRET_KEY.test(key)) {
        continue;
      }
      out[key] = withoutSecrets(member);
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  return String(value);
}
