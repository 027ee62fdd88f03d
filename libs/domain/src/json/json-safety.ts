import { type FieldProblem } from '../errors/domain-error';

/** How deep objects and arrays may nest in anything a user sends: deeper input is refused, not recursed into. */
export const MAX_JSON_DEPTH = 64;

/** Keys that would reach an object's prototype when merged or assigned: refused wherever a user sends JSON. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

interface Frame {
  value: object;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

/**
 * The first thing in a parsed JSON value that Gatehouse refuses whatever the field: nesting deeper than
 * `maxDepth`, a key that could reach a prototype (`__proto__`, `constructor`, `prototype`), or a NUL
 * character in a key or a string (PostgreSQL cannot store it; SQLite would). Walks without recursion, so
 * any depth is safe to inspect. Fields are paths from the value (`metadata.__proto__`); `root` names the
 * value itself (too deep, or a string with a NUL).
 */
export function jsonSafetyProblem(
  value: unknown,
  root = '(body)',
  maxDepth = MAX_JSON_DEPTH,
): FieldProblem | null {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? nulProblem(root) : null;
  }
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const stack: Frame[] = [{ value, depth: 1, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth > maxDepth) {
      return {
        field: root,
        message: `is nested more than ${maxDepth} levels deep (the limit is ${maxDepth})`,
        code: 'too_deep',
      };
    }
    const entries: [string | number, unknown][] = Array.isArray(frame.value)
      ? frame.value.map((v, i) => [i, v])
      : Object.entries(frame.value);
    for (const [key, child] of entries) {
      if (typeof key === 'string') {
        if (UNSAFE_KEYS.has(key)) {
          return {
            field: pathOf(frame, key),
            message: `is a key Gatehouse refuses (${[...UNSAFE_KEYS].join(', ')} could reach an object's prototype)`,
            code: 'unsafe_key',
          };
        }
        if (key.includes('\u0000')) {
          return nulProblem(pathOf(frame, key), 'key');
        }
      }
      if (typeof child === 'string') {
        if (child.includes('\u0000')) {
          return nulProblem(pathOf(frame, key));
        }
      } else if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return null;
}

function nulProblem(field: string, what: 'key' | 'text' = 'text'): FieldProblem {
  return {
    field,
    message: `must not contain a NUL character (\\u0000) in its ${what}`,
    code: 'nul_character',
  };
}

/** `record.risks[2].mitigation`, as field paths are written everywhere else. */
function pathOf(frame: Frame, key: string | number): string {
  const segments: (string | number)[] = [key];
  for (let f: Frame | null = frame; f && f.key !== null; f = f.parent) {
    segments.unshift(f.key);
  }
  let out = '';
  for (const segment of segments) {
    out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  }
  return out;
}

/**
 * Whether JSON text nests objects and arrays more than `maxDepth` deep, read in one pass over the text
 * (brackets inside strings are not nesting), so input can be refused before JSON.parse builds it: parsing
 * 16 MiB of `[` takes seconds and hundreds of megabytes, only for jsonSafetyProblem to refuse the result.
 * Says nothing about whether the text is valid JSON.
 */
export function jsonTextTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  // Nesting deeper than maxDepth takes more than maxDepth opening brackets. Text with fewer (a list of
  // messages has a handful) is answered by the engine's string search, without a loop over each character.
  const squares = occurrences(text, '[', maxDepth + 1);
  if (squares + occurrences(text, '{', maxDepth + 1 - squares) <= maxDepth) {
    return false;
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // the escaped character, whatever it is
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        return true;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** How many times `char` occurs in `text`, counted up to `limit` at most. */
function occurrences(text: string, char: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0 && n < limit; i = text.indexOf(char, i + 1)) {
    n++;
  }
  return n;
}
