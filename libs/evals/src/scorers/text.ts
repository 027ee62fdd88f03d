import { type JsonValue } from '@gatehouse/domain';
import { type DatasetItem } from '../datasets/dataset-item';

/** Case-folded, whitespace-collapsed, surrounding quotes and punctuation removed: "  'Yes.' " → "yes". */
export function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'“‘`([]+|["'”’`)\].,;:!?]+$/g, '')
    .trim();
}

/** The reference a scorer compares with: the item's `expected`, or a dotted path into it. */
export function expectedValue(item: DatasetItem, path?: string): JsonValue | undefined {
  let value: JsonValue | undefined = item.expected;
  for (const key of path ? path.split('.') : []) {
    value = value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  }
  return value;
}

export function asStrings(value: JsonValue | undefined): string[] | null {
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value as string[];
  }
  return null;
}

export function words(text: string): string[] {
  return normalise(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * Token-overlap F1 over normalised words (like Inspect's f1; unlike SQuAD's it keeps articles and splits
 * at apostrophes): 1 for the same bag of words, 0 for none shared.
 */
export function tokenF1(candidate: string, reference: string): number {
  const a = words(candidate);
  const b = words(reference);
  if (a.length === 0 || b.length === 0) {
    return a.length === b.length ? 1 : 0;
  }
  const counts = new Map<string, number>();
  b.forEach((w) => counts.set(w, (counts.get(w) ?? 0) + 1));
  let shared = 0;
  for (const w of a) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      shared += 1;
      counts.set(w, n - 1);
    }
  }
  if (shared === 0) {
    return 0;
  }
  const precision = shared / a.length;
  const recall = shared / b.length;
  return (2 * precision * recall) / (precision + recall);
}

/** 1 − Levenshtein distance / longer length, on normalised text. */
export function levenshteinSimilarity(a: string, b: string): number {
  const s = normalise(a);
  const t = normalise(b);
  if (s === t) {
    return 1;
  }
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return 1 - previous[t.length] / Math.max(s.length, t.length);
}

/**
 * The first number in a text (handles 1,234.5, -3, 2e3, .5, £12.50). A hyphen after a letter or digit is
 * a hyphen, not a minus: "COVID-19" is 19 only after its hyphen, never -19.
 */
export function firstNumber(text: string): number | null {
  const match = /(?<![\p{L}\p{N}])-(?=[\d.])|(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+(?:e[+-]?\d+)?)/iu.exec(
    text,
  );
  if (!match) {
    return null;
  }
  const rest = text.slice(match.index);
  const number = /^-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+(?:e[+-]?\d+)?)/i.exec(rest);
  return number ? Number(number[0].replace(/,/g, '')) : null;
}
