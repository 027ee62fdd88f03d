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

const SECRET_TEXT: [RegExp, string][] = [
  // "Authorization: Bearer sk-…", "api_key=…", "x-api-key: …": the name stays, the value goes.
  [
    /\b((?:x-)?(?:api[-_ ]?key|token|secret|password|passphrase|authorization|cookie|credential)s?)(\s*[:=]\s*)(?:(?:bearer|basic)\s+)?["']?[^\s"',;&]+/gi,
    '$1$2[redacted]',
  ],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // Provider keys as they appear in error messages ("Incorrect API key provided: sk-abc***xyz").
  [/\b(?:sk|pk|rk|ghp|gho|xox[abp]|AKIA|AIza)[-_A-Za-z0-9*]{8,}/g, '[redacted]'],
  // Long unbroken runs of letters and digits (keys, tokens, signed URLs' signatures).
  [/\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b/g, '[redacted]'],
];

/**
 * A message with secret-looking values removed: `name: value` / `name=value` pairs whose name looks secret
 * (keys, tokens, passwords, authorization and cookie headers), bearer and basic credentials, provider key
 * formats (`sk-…`) and long letter-and-digit runs. For error messages shown in reports and logs.
 */
export function redactSecretText(text: string): string {
  return SECRET_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
