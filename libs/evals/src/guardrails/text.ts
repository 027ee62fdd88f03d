/**
 * Small string helpers shared by the guardrail detectors. Every helper keeps string indices stable, so a
 * position found in a normalised copy is the same position in the original text.
 */

/** Curly and modifier apostrophes (’ ‘ ʼ ′) become `'`; curly double quotes become `"`. Same length. */
export const normaliseQuotes = (text: string): string =>
  text.replace(/[\u2018\u2019\u02BC\u2032]/g, "'").replace(/[\u201C\u201D]/g, '"');

/** Escapes every character that has a meaning in a regular expression. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const NOT_AFTER_WORD = String.raw`(?<![\p{L}\p{N}_])`;
const NOT_BEFORE_WORD = String.raw`(?![\p{L}\p{N}_])`;

/**
 * A case-insensitive, Unicode regular expression source matching `phrase` as a whole word or phrase:
 * - a run of whitespace matches any run of whitespace (line breaks included);
 * - an apostrophe matches a straight or curly one, a hyphen matches any dash, a quote any double quote;
 * - it cannot start or end inside a longer word ("PINEAPPLE-7" is not found in "PINEAPPLE-70").
 */
export const phrasePattern = (phrase: string): string => {
  const trimmed = phrase.trim();
  const body = trimmed
    .split(/\s+/)
    .map((word) =>
      [...word]
        .map((ch) => {
          if (/['\u2018\u2019\u02BC]/.test(ch)) {
            return "['\u2018\u2019\u02BC]";
          }
          if (/[-\u2010\u2011\u2013\u2014]/.test(ch)) {
            return '[-\u2010\u2011\u2013\u2014]';
          }
          if (/["\u201C\u201D]/.test(ch)) {
            return '["\u201C\u201D]';
          }
          return escapeRegExp(ch);
        })
        .join(''),
    )
    .join(String.raw`\s+`);
  const start = WORD_CHAR.test(trimmed.charAt(0)) ? NOT_AFTER_WORD : '';
  const end = WORD_CHAR.test(trimmed.charAt(trimmed.length - 1)) ? NOT_BEFORE_WORD : '';
  return `${start}${body}${end}`;
};

/** Where a sentence ends: `.`, `!` or `?` before a space or the end, a semicolon, or a line break. */
const SENTENCE_END = /[.!?](?=\s|$)|[;\n]/g;

/** The start and end (exclusive) of the sentence holding `index`. */
export const sentenceAround = (text: string, index: number): { start: number; end: number } => {
  let start = 0;
  let end = text.length;
  for (const m of text.matchAll(SENTENCE_END)) {
    if (m.index < index) {
      start = m.index + 1;
    } else {
      end = m.index;
      break;
    }
  }
  return { start, end };
};

/** The part of the sentence before `index` (what leads up to a cue). */
export const sentencePrefix = (text: string, index: number): string =>
  text.slice(sentenceAround(text, index).start, index);

/** Keeps the earliest (then the longest) of overlapping spans, returned in text order. */
export const dropOverlaps = <T extends { index: number; length: number }>(spans: T[]): T[] => {
  const sorted = [...spans].sort((a, b) => a.index - b.index || b.length - a.length);
  const kept: T[] = [];
  let reach = -1;
  for (const span of sorted) {
    if (span.index >= reach) {
      kept.push(span);
      reach = span.index + span.length;
    }
  }
  return kept;
};
