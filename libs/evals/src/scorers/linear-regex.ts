import RE2 from 're2';

/**
 * Regular expressions that users write (a suite's `regex` scorers, `pattern`s in a `json_schema` scorer's
 * schema) run on RE2, whose matching time grows linearly with the text whatever the pattern: `^(a+)+$` on a
 * long answer cannot freeze the process as it does on a backtracking engine. RE2 reads JavaScript syntax
 * (`\uXXXX`, `\p{…}`, named groups) and the flags i, m, s and u (it always matches by code point, so u
 * changes nothing). It has no backreferences and no lookaround: such patterns are refused with the reason.
 */
export type LinearRegex = RE2;

export class LinearRegexError extends Error {
  override readonly name = 'LinearRegexError';
}

const ENGINE = 'the linear-time engine (RE2)';

/** Why RE2 cannot run the pattern with these flags, in words for a suite author, or null when it can. */
export function linearRegexProblem(pattern: string, flags = ''): string | null {
  const unsupported = unsupportedFeature(pattern);
  if (unsupported) {
    return `uses ${unsupported}: patterns run on ${ENGINE}, which has no backreferences or lookaround`;
  }
  try {
    new RE2(pattern, flags);
    return null;
  } catch (error) {
    return `is not a valid regular expression for ${ENGINE}: ${(error as Error).message}`;
  }
}

/** The compiled pattern; throws a LinearRegexError naming the problem when RE2 cannot run it. */
export function linearRegex(pattern: string, flags = ''): LinearRegex {
  const problem = linearRegexProblem(pattern, flags);
  if (problem) {
    throw new LinearRegexError(problem);
  }
  return new RE2(pattern, flags);
}

/**
 * Ajv's `code.regExp` option: JSON Schema `pattern` and `patternProperties` compile to RE2 (ajv keys its
 * cache by `toString()`, which for RE2 is `/source/flags` as for a RegExp).
 */
export const linearRegExpEngine = Object.assign(
  (pattern: string, flags: string) => linearRegex(pattern, flags),
  {
    code: 'linearRegex',
  },
);

/**
 * The features RE2 lacks, named so the author knows what to change (RE2's own parse error says only
 * "invalid escape sequence: \1"). A rough scan: RE2's parser has the last word on everything else.
 */
function unsupportedFeature(pattern: string): string | null {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) {
        return `a backreference (\\${/^\d+/.exec(pattern.slice(i + 1))?.[0]})`;
      }
      if (!inClass && next === 'k' && pattern[i + 2] === '<') {
        return 'a named backreference (\\k<…>)';
      }
      i += 1;
    } else if (inClass) {
      inClass = ch !== ']';
    } else if (ch === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') {
        i += 1;
      }
      if (pattern[i + 1] === ']') {
        i += 1; // a `]` first in a class is a literal
      }
    } else if (ch === '(' && pattern[i + 1] === '?') {
      const lookaround = /^\(\?(<?[=!])/.exec(pattern.slice(i))?.[1];
      if (lookaround) {
        return `${lookaround.startsWith('<') ? 'a lookbehind' : 'a lookahead'}, (?${lookaround}…)`;
      }
    }
  }
  return null;
}
