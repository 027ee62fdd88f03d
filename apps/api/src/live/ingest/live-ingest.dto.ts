import { CONFIG_HASH, FEEDBACK_KINDS, LIVE_LIMITS } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/*
 * Documentation of the ingest bodies and answers. The routes read their bodies as bytes (gzip or not, after
 * the ingest token is checked) and the service validates them strictly, naming every bad field; these
 * schemas describe the same shapes for the OpenAPI document and type the answers.
 */

const hex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`));

export class RecordInteractionsDto extends createZodDto(
  z.object({
    interactions: z
      .array(
        z.object({
          traceId: hex(32).optional().describe('W3C trace id (32 hex digits); made up when left out.'),
          spanId: hex(16)
            .optional()
            .describe(
              'Span id (16 hex digits); made up when left out. Send both ids so a retry is stored once.',
            ),
          startedAt: z.iso
            .datetime({ offset: true })
            .describe(`When the call started (within the last ${LIVE_LIMITS.maxAgeDays} days).`),
          durationMs: z.number().min(0).optional(),
          model: z.string().max(200).optional(),
          operation: z.string().max(60).optional().describe('chat, text_completion, embeddings, …'),
          input: z
            .string()
            .optional()
            .describe("The prompt (kept only as the use case's live settings say)."),
          output: z.string().optional().describe('The completion.'),
          inputTokens: z.number().int().min(0).optional(),
          outputTokens: z.number().int().min(0).optional(),
          costUsd: z.number().min(0).optional(),
          configHash: z
            .string()
            .regex(CONFIG_HASH)
            .optional()
            .describe('sha256 of the running configuration.'),
          errored: z.boolean().optional(),
        }),
      )
      .min(1)
      .max(LIVE_LIMITS.maxSpansPerRequest),
  }),
) {}

export class StoredBatchDto extends createZodDto(
  z.object({
    batchId: z.string().nullable().describe('The batch the stored rows belong to (null when none was new).'),
    received: z
      .number()
      .int()
      .describe('Interactions read from the request (repeats within it counted once).'),
    stored: z
      .number()
      .int()
      .describe('Of those, the ones stored now (the rest were stored by an earlier send).'),
    sampled: z.number().int().describe('Of the stored, those in the online-scoring sample.'),
  }),
) {}

export class RecordFeedbackDto extends createZodDto(
  z.object({
    events: z
      .array(
        z.object({
          id: z.string().min(1).max(200).describe('Your id for the event: a retried event is stored once.'),
          traceId: hex(32).optional().describe('The trace of the answer the feedback is about.'),
          kind: z.enum(FEEDBACK_KINDS),
          occurredAt: z.iso.datetime({ offset: true }),
          note: z
            .string()
            .optional()
            .describe(
              `Kept (redacted, cut at ${LIVE_LIMITS.maxNoteChars} characters) only when the use case captures text.`,
            ),
        }),
      )
      .min(1)
      .max(LIVE_LIMITS.maxFeedbackPerRequest),
  }),
) {}

export class FeedbackOutcomeDto extends createZodDto(
  z.object({
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int().describe('Events whose id was stored before.'),
  }),
) {}

export class HeartbeatDto extends createZodDto(
  z.object({ configHash: z.string().regex(CONFIG_HASH).describe('sha256 of the running configuration.') }),
) {}

export class HeartbeatOutcomeDto extends createZodDto(
  z.object({
    configHash: z.string(),
    matchesRegisteredTarget: z.boolean().describe("Whether it is the use case's registered target hash."),
    hasRegisteredTarget: z.boolean(),
  }),
) {}
