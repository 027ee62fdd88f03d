import {
  CONFIG_HASH,
  DomainError,
  FEEDBACK_KINDS,
  jsonSafetyProblem,
  jsonTextTooDeep,
  LIVE_LIMITS,
  MAX_JSON_DEPTH,
} from '@gatehouse/domain';
import { z } from 'zod';
import { zodProblems } from '../../validation/zod-problems';
import { startBounds } from './genai-spans';

const MAX_INT32 = 2_147_483_647;
/** A JSON interaction's longest duration: a day. */
const MAX_DURATION_MS = 86_400_000;
/** The longest prompt or completion a JSON interaction may send (what is kept is cut at maxTextChars). */
const MAX_SENT_TEXT = 1_000_000;

const hexId = (digits: number) =>
  z
    .string({ message: `must be ${digits} hex digits` })
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `must be ${digits} hex digits`)
    .refine((id) => !/^0+$/.test(id), 'must not be all zeros')
    .transform((id) => id.toLowerCase());

/** An ISO 8601 time with its offset, within LIVE_LIMITS of now (30 days back, 10 minutes ahead). */
const recentTime = z.iso
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 date-time with its offset, e.g. 2026-01-31T09:30:00Z',
  })
  .transform((value) => new Date(value))
  .superRefine((value, ctx) => {
    const { earliest, latest } = startBounds(new Date());
    if (value.getTime() < earliest) {
      ctx.addIssue({ code: 'custom', message: `must be within the last ${LIVE_LIMITS.maxAgeDays} days` });
    } else if (value.getTime() > latest) {
      ctx.addIssue({
        code: 'custom',
        message: `must not be more than ${LIVE_LIMITS.maxClockSkewMinutes} minutes in the future`,
      });
    }
  });

const text = (max: number) =>
  z.string({ message: 'must be a string' }).max(max, `must be at most ${max} characters`);
const count = z
  .number({ message: 'must be a whole number' })
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(MAX_INT32, `must be at most ${MAX_INT32}`);

export const interactionSchema = z.strictObject({
  traceId: hexId(32).optional(),
  spanId: hexId(16).optional(),
  startedAt: recentTime,
  durationMs: z
    .number({ message: 'must be a number' })
    .min(0, 'must be 0 or more')
    .max(MAX_DURATION_MS, `must be at most ${MAX_DURATION_MS}`)
    .optional(),
  model: text(200).optional(),
  operation: text(60).optional(),
  input: text(MAX_SENT_TEXT).optional(),
  output: text(MAX_SENT_TEXT).optional(),
  inputTokens: count.optional(),
  outputTokens: count.optional(),
  costUsd: z
    .number({ message: 'must be a number' })
    .min(0, 'must be 0 or more')
    .max(1e9, 'must be at most 1e9')
    .optional(),
  configHash: z
    .string({ message: 'must be a string' })
    .regex(CONFIG_HASH, 'must be a sha256 digest: 64 lowercase hex digits')
    .optional(),
  errored: z.boolean({ message: 'must be true or false' }).optional(),
});

export const interactionsSchema = z.strictObject({
  interactions: z
    .array(interactionSchema, { message: 'must be an array' })
    .min(1, 'must hold at least one interaction')
    .max(LIVE_LIMITS.maxSpansPerRequest, `must hold at most ${LIVE_LIMITS.maxSpansPerRequest} interactions`),
});
export type InteractionsInput = z.infer<typeof interactionsSchema>;

export const feedbackEventSchema = z.strictObject({
  id: z
    .string({ message: 'must be a string' })
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters'),
  traceId: hexId(32).optional(),
  kind: z.enum(FEEDBACK_KINDS, { message: `must be one of ${FEEDBACK_KINDS.join(', ')}` }),
  occurredAt: recentTime,
  /** Longer notes are cut at LIVE_LIMITS.maxNoteChars when kept; a bound still stops absurd ones. */
  note: text(LIVE_LIMITS.maxNoteChars * 10).optional(),
});

/** Events with the same id are one event (stored once), within a request as across retries. */
export const feedbackSchema = z.strictObject({
  events: z
    .array(feedbackEventSchema, { message: 'must be an array' })
    .min(1, 'must hold at least one event')
    .max(LIVE_LIMITS.maxFeedbackPerRequest, `must hold at most ${LIVE_LIMITS.maxFeedbackPerRequest} events`),
});
export type FeedbackInput = z.infer<typeof feedbackSchema>;

export const heartbeatSchema = z.strictObject({
  configHash: z
    .string({ message: 'must be a string' })
    .regex(CONFIG_HASH, 'must be a sha256 digest: 64 lowercase hex digits'),
});
export type HeartbeatInput = z.infer<typeof heartbeatSchema>;

/**
 * A JSON body as the ingest routes read it: UTF-8, nested no deeper than Gatehouse allows (checked on the
 * text, before parsing), and nothing any route refuses (prototype keys, NUL characters).
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (jsonTextTooDeep(text)) {
    throw DomainError.validation(
      [{ field: '(body)', message: `is nested more than ${MAX_JSON_DEPTH} levels deep`, code: 'too_deep' }],
      'The body is nested too deeply.',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the body around the fault: never echoed (it may be personal data).
    throw DomainError.validation(
      [{ field: '(body)', message: 'is not valid JSON', code: 'invalid_json' }],
      'The body is not valid JSON.',
    );
  }
  return value;
}

/** Parses `value` with `schema`, refusing a bad body with every bad field named (400). */
export function parseIngestInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const problem = jsonSafetyProblem(value);
  if (problem) {
    throw DomainError.validation([problem], `The body is not accepted: ${problem.field} ${problem.message}.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error);
    const shown = problems.slice(0, 3).map((p) => `${p.field} ${p.message}`);
    // Every bad field of a 5,000-row body would be a huge answer: the first 100 name the pattern.
    throw DomainError.validation(
      problems.slice(0, 100),
      `The ${what} are not valid: ${shown.join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}.`,
    );
  }
  return parsed.data;
}
