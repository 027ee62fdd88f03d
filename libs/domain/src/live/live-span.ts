/**
 * What live use sends Gatehouse, once decoded from OTLP or the JSON endpoint: one model call (a GenAI span)
 * and feedback events linked to traces. Pure shapes and limits; the decoding lives with the ingest path.
 */

/** One model call from live traffic, normalised from a GenAI span or a JSON record. */
export interface LiveSpan {
  /** 32 lowercase hex digits, not all zero (W3C trace context). */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  startedAt: Date;
  durationMs: number | null;
  /** `gen_ai.operation.name`. */
  operation: string | null;
  /** `gen_ai.response.model`, else `gen_ai.request.model`. */
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  /** `gatehouse.config.hash` on the span or its resource: the running configuration the service attests. */
  configHash: string | null;
  errored: boolean;
  /** The prompt as text (the last user message, or the whole input), when the service sent it. */
  input: string | null;
  /** The completion as text, when the service sent it. */
  output: string | null;
}

export const FEEDBACK_KINDS = ['override', 'undo', 'complaint', 'incident', 'positive', 'negative'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

/** A feedback event from the live service, linked to the trace of the answer it is about. */
export interface LiveFeedback {
  /** The sender's id for the event: a retried event is one event. */
  eventKey: string;
  traceId: string | null;
  kind: FeedbackKind;
  occurredAt: Date;
  note: string | null;
}

/** Bounds of what one ingest request may carry (the body's byte limit is the operator's, in config). */
export const LIVE_LIMITS = {
  /** Spans in one request (OTLP exporters batch 512 by default). */
  maxSpansPerRequest: 5_000,
  /** Feedback events in one request. */
  maxFeedbackPerRequest: 1_000,
  /** Characters of prompt or completion kept per span; the rest is cut (the lengths stored are the full ones). */
  maxTextChars: 32_000,
  /** Characters of a feedback note kept. */
  maxNoteChars: 2_000,
  /** Attributes read per span (the rest are ignored, not an error). */
  maxAttributesPerSpan: 256,
  /** Nesting depth of OTLP attribute values (arrays and key-value lists) before the request is refused. */
  maxValueDepth: 8,
  /** Spans older than this many days or further than this many minutes ahead are refused. */
  maxAgeDays: 30,
  maxClockSkewMinutes: 10,
} as const;

/** The span or resource attribute a service attests its running configuration with. */
export const CONFIG_HASH_ATTRIBUTE = 'gatehouse.config.hash';

/** A sha256 hex digest, as `contentHash` writes one. */
export const CONFIG_HASH = /^[0-9a-f]{64}$/;
