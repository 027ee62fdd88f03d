import {
  DomainError,
  type FieldProblem,
  jsonSafetyProblem,
  jsonTextTooDeep,
  MAX_JSON_DEPTH,
  MAX_OVERSAMPLE_WEIGHT,
  MAX_SAMPLE_SIZE,
  type ReviewVerdicts,
  type ScorerReading,
  type ScorerReview,
} from '@gatehouse/domain';
import { z } from 'zod';
import { zodProblems } from '../validation/zod-problems';

/** The longest note a review may carry, and the longest corrected label. */
export const MAX_REVIEW_NOTE = 4000;
export const MAX_CORRECTED_LABEL = 200;
/** An imported rater's name. */
export const MAX_RATER_NAME = 200;
/** A JSONL import: at most this many lines, and this many bytes (checked before a line is parsed). */
export const MAX_IMPORT_LINES = 10_000;
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

const weight = (name: string) =>
  z
    .number({ message: 'must be a number' })
    .min(1, `must be at least 1 (1: ${name} are not over-weighted)`)
    .max(MAX_OVERSAMPLE_WEIGHT, `must be at most ${MAX_OVERSAMPLE_WEIGHT}`)
    .optional();

/** The body of a draw: size, seed?, groupKey?, failureWeight?, judgedWeight?. */
export const drawSampleSchema = z.strictObject({
  size: z
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_SAMPLE_SIZE, `must be at most ${MAX_SAMPLE_SIZE}`),
  seed: z
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(Number.MAX_SAFE_INTEGER, `must be at most ${Number.MAX_SAFE_INTEGER}`)
    .optional(),
  groupKey: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  failureWeight: weight('failures'),
  judgedWeight: weight('judge-scored items'),
});
export type DrawSampleInput = z.infer<typeof drawSampleSchema>;

/** Over-weighting when the body does not say: failures three times, judge-scored items twice. */
export const DEFAULT_FAILURE_WEIGHT = 3;
export const DEFAULT_JUDGED_WEIGHT = 2;

export function parseDrawSample(body: unknown): DrawSampleInput {
  const parsed = drawSampleSchema.safeParse(body ?? {});
  if (!parsed.success) {
    throw DomainError.validation(zodProblems(parsed.error), 'The sample design is not valid.');
  }
  return parsed.data;
}

const scorerReviewSchema = z.strictObject({
  agree: z.boolean({ message: 'must be true or false' }),
  correctedPassed: z.boolean({ message: 'must be true or false' }).optional(),
  correctedValue: z
    .number({ message: 'must be a number' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .optional(),
  correctedLabel: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_CORRECTED_LABEL, `must be at most ${MAX_CORRECTED_LABEL} characters`)
    .optional(),
});

const note = z
  .string()
  .max(MAX_REVIEW_NOTE, `must be at most ${MAX_REVIEW_NOTE} characters`)
  .nullable()
  .optional();

/** The body of a review; `verdicts` is checked against the run's metrics by `parseVerdicts`. */
export const recordReviewSchema = z.strictObject({
  verdicts: z.unknown(),
  note,
  /**
   * The review this one supersedes, as the caller last saw it (null: the caller had not reviewed the item).
   * When given and no longer the current review, the review is refused (409): another tab or a concurrent
   * request got there first.
   */
  supersedesId: z.uuid({ message: 'must be a UUID' }).nullable().optional(),
});

/** One line of an import. Lines exported by Gatehouse are accepted as they are (sample, revision and time are checked or ignored). */
export const importLineSchema = z.strictObject({
  position: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  itemId: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  epoch: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  reviewer: z
    .string({ message: "is required: the rater's name" })
    .trim()
    .min(1, "is required: the rater's name")
    .max(MAX_RATER_NAME, `must be at most ${MAX_RATER_NAME} characters`),
  verdicts: z.unknown(),
  note,
  sampleId: z.string().max(100).optional(),
  sampleHash: z.string().max(100).optional(),
  revision: z.number().int().min(1).optional(),
  createdAt: z.string().max(100).optional(),
});
export type ImportLine = z.infer<typeof importLineSchema>;

/**
 * Checks a review's verdicts against the run's metrics: an object of at least one verdict, every key a
 * metric of the run, every verdict well-formed and consistent with what the scorer said. Keys are read
 * with Object.keys and the result is built from a Map, so no untrusted key is ever assigned onto an object.
 */
export function parseVerdicts(
  raw: unknown,
  metrics: ReadonlySet<string>,
  readings: ReadonlyMap<string, ScorerReading>,
  prefix: string,
): { verdicts: ReviewVerdicts | null; problems: FieldProblem[] } {
  const field = prefix ? `${prefix}.verdicts` : 'verdicts';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      verdicts: null,
      problems: [{ field, message: 'must be an object of verdicts by metric', code: 'invalid_type' }],
    };
  }
  const keys = Object.keys(raw);
  if (keys.length === 0) {
    return {
      verdicts: null,
      problems: [{ field, message: 'must hold at least one verdict', code: 'too_small' }],
    };
  }
  const problems: FieldProblem[] = [];
  const parsed = new Map<string, ScorerReview>();
  for (const key of keys) {
    const at = `${field}.${key}`;
    if (!metrics.has(key)) {
      problems.push({
        field: at,
        message: `is not a metric of the run (its metrics: ${[...metrics].join(', ') || 'none'})`,
        code: 'unknown_metric',
      });
      continue;
    }
    const result = scorerReviewSchema.safeParse((raw as Record<string, unknown>)[key]);
    if (!result.success) {
      problems.push(...zodProblems(result.error, at));
      continue;
    }
    const review = stripUndefined(result.data);
    const scorer = readings.get(key);
    if (
      review.agree &&
      review.correctedPassed !== undefined &&
      scorer?.passed !== null &&
      scorer?.passed !== undefined &&
      review.correctedPassed !== scorer.passed
    ) {
      problems.push({
        field: `${at}.correctedPassed`,
        message: `contradicts agree: true (the scorer said ${scorer.passed ? 'pass' : 'fail'})`,
        code: 'inconsistent',
      });
      continue;
    }
    parsed.set(key, review);
  }
  return { verdicts: problems.length > 0 ? null : Object.fromEntries(parsed), problems };
}

function stripUndefined(review: ScorerReview): ScorerReview {
  const out: ScorerReview = { agree: review.agree };
  if (review.correctedPassed !== undefined) {
    out.correctedPassed = review.correctedPassed;
  }
  if (review.correctedValue !== undefined) {
    out.correctedValue = review.correctedValue;
  }
  if (review.correctedLabel !== undefined) {
    out.correctedLabel = review.correctedLabel;
  }
  return out;
}

/** A JSONL line parsed, with its 1-based line number. */
export interface ParsedLine {
  line: number;
  value: ImportLine;
}

/**
 * Splits and parses a JSONL import: the size cap first, then the line cap (both refuse the file at once),
 * then each non-blank line as JSON (refusing prototype-reaching keys) and against the line schema. Every
 * line problem names `lines[<n>].<field>` with the 1-based line number; the caller adds its own and refuses
 * the whole file when there is any.
 */
export function parseReviewJsonl(body: string): { lines: ParsedLine[]; problems: FieldProblem[] } {
  if (Buffer.byteLength(body, 'utf8') > MAX_IMPORT_BYTES) {
    throw new DomainError('payload_too_large', `A review import is at most ${MAX_IMPORT_BYTES} bytes.`, [
      { field: '(body)', message: `must be at most ${MAX_IMPORT_BYTES} bytes`, code: 'too_big' },
    ]);
  }
  const texts = body.split(/\r?\n/);
  const counted = texts.filter((text) => text.trim() !== '').length;
  if (counted === 0) {
    throw DomainError.validation([{ field: '(body)', message: 'holds no reviews', code: 'too_small' }]);
  }
  if (counted > MAX_IMPORT_LINES) {
    throw DomainError.validation(
      [
        {
          field: '(body)',
          message: `holds ${counted} lines: at most ${MAX_IMPORT_LINES} may be imported at once`,
          code: 'too_big',
        },
      ],
      'The import has too many lines.',
    );
  }
  const problems: FieldProblem[] = [];
  const lines: ParsedLine[] = [];
  texts.forEach((text, index) => {
    if (text.trim() === '') {
      return;
    }
    const at = `lines[${index + 1}]`;
    if (jsonTextTooDeep(text)) {
      // Refused before parsing: JSON.parse would build the whole nest first (seconds and gigabytes for 16 MiB).
      problems.push({
        field: at,
        message: `is nested more than ${MAX_JSON_DEPTH} levels deep (the limit is ${MAX_JSON_DEPTH})`,
        code: 'too_deep',
      });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problems.push({
        field: at,
        message: `is not valid JSON: ${(error as Error).message}`,
        code: 'invalid_json',
      });
      return;
    }
    const unsafe = jsonSafetyProblem(value, at);
    if (unsafe) {
      const field = unsafe.field.startsWith(at)
        ? unsafe.field
        : `${at}${unsafe.field.startsWith('[') ? '' : '.'}${unsafe.field}`;
      problems.push({ ...unsafe, field });
      return;
    }
    const parsed = importLineSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, at));
      return;
    }
    lines.push({ line: index + 1, value: parsed.data });
  });
  return { lines, problems };
}

/** Refuses a whole import for its problems, in line order (the first 100 named). */
export function importProblems(problems: FieldProblem[]): DomainError {
  const line = (p: FieldProblem) => Number(/^lines\[(\d+)\]/.exec(p.field)?.[1] ?? 0);
  const sorted = [...problems].sort((a, b) => line(a) - line(b));
  return DomainError.validation(
    sorted.slice(0, 100),
    `${problems.length} problem(s) in the import: nothing was imported.`,
  );
}
