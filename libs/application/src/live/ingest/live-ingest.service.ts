import { DomainError, LIVE_LIMITS, type LiveSpan, traceSampled } from '@gatehouse/domain';
import {
  isRowRefused,
  LiveFeedbackEntity,
  LiveIngestRepository,
  LiveInteractionEntity,
  timeOrderedUuid,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { JobName, jobIds } from '@gatehouse/queue';
import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { InjectJobQueue, type JobQueue } from '../../runs/job-queue.provider';
import { AttestationService } from '../watch/attestation.service';
import { jsonBudgetFor, readGenAiSpan, type SpanRejection } from './genai-spans';
import { type IngestContext } from './ingest-auth.service';
import { IngestUnavailableError } from './ingest-errors';
import {
  feedbackSchema,
  heartbeatSchema,
  interactionsSchema,
  parseIngestInput,
  parseJsonBody,
} from './ingest-inputs';
import { checkLiveJsonBody, checkOtlpBody } from './ingest-bounds';
import { type MinimisedText, minimiseText } from './live-text';
import { OtlpRequestError, type OtlpSpan, spansFromJson } from './otlp-spans';
import { spansFromProtobufBody } from './otlp-wire-spans';

const MS_PER_DAY = 86_400_000;
/** Sampled text kept for online scoring when the team does not capture text (the scorer clears it sooner). */
const SCORING_TEXT_DAYS = 1;

/** What a batch of spans or interactions did. */
export interface StoredBatch {
  batchId: string | null;
  /** Model calls read from the request (after rejections and duplicates within it). */
  received: number;
  /** Of those, rows that went in (the rest were stored by an earlier send). */
  stored: number;
  /** Of the stored rows, those in the online-scoring sample. */
  sampled: number;
}

/** What an OTLP export did: the batch, and what goes back in the OTLP partial success. */
export interface OtlpOutcome extends StoredBatch {
  /** Spans that were not model calls (no gen_ai.* attribute), skipped silently. */
  skipped: number;
  /** null when every span was accepted and every config hash read. */
  partialSuccess: { rejectedSpans: number; errorMessage: string } | null;
}

export interface FeedbackOutcome {
  received: number;
  stored: number;
  duplicates: number;
}

export interface HeartbeatOutcome {
  configHash: string;
  /** Whether the hash is the use case's registered target hash (false when it has none). */
  matchesRegisteredTarget: boolean;
  hasRegisteredTarget: boolean;
}

const REJECTION_TEXT: Record<SpanRejection, string> = {
  invalid_id: 'a trace or span id that is not 16/8 bytes or is all zeros',
  no_start_time: 'no start time',
  too_old: `a start more than ${LIVE_LIMITS.maxAgeDays} days ago`,
  in_future: `a start more than ${LIVE_LIMITS.maxClockSkewMinutes} minutes in the future`,
};

/**
 * The ingest path of live use: OTLP trace exports and JSON interactions become live interactions, feedback
 * events and heartbeats are recorded. Each request is one batch, stored in one insert before the answer
 * (a durable acknowledgement), idempotently; text is minimised first; the batch is then queued for online
 * scoring when any stored row is in the sample, and the configuration hashes reported are handed to the
 * attestation (whose failure never fails the ingest).
 */
@Injectable()
export class LiveIngestService {
  private readonly logger = new Logger(LiveIngestService.name);
  /** `useCase hash source` → until when a mismatch was last attested (attested once per window, not per batch). */
  private readonly attested = new Map<string, number>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly repository: LiveIngestRepository,
    private readonly attestation: AttestationService,
    @InjectJobQueue() private readonly queue: JobQueue,
  ) {}

  /** An OTLP/HTTP ExportTraceServiceRequest, protobuf or JSON. */
  async exportTraces(
    context: IngestContext,
    body: Buffer,
    encoding: 'protobuf' | 'json',
  ): Promise<OtlpOutcome> {
    // Bounded before decoding: a body of a million tiny attributes is refused (400) in under a millisecond.
    checkOtlpBody(body, encoding);
    const spans = this.decode(body, encoding);
    const now = new Date();
    const accepted: LiveSpan[] = [];
    const seen = new Set<string>();
    const rejected = new Map<SpanRejection, number>();
    let skipped = 0;
    let ignoredHashes = 0;
    const budget = jsonBudgetFor(body.length);
    for (const span of spans) {
      const reading = readGenAiSpan(span, now, budget);
      if (reading.kind === 'skipped') {
        skipped += 1;
      } else if (reading.kind === 'rejected') {
        rejected.set(reading.reason, (rejected.get(reading.reason) ?? 0) + 1);
      } else {
        ignoredHashes += reading.ignoredConfigHash ? 1 : 0;
        const key = `${reading.span.traceId}${reading.span.spanId}`;
        if (!seen.has(key)) {
          seen.add(key);
          accepted.push(reading.span);
        }
      }
    }
    const batch = await this.store(context, accepted, 'otlp', now);
    const rejectedSpans = [...rejected.values()].reduce((a, b) => a + b, 0);
    const messages: string[] = [];
    if (rejectedSpans > 0) {
      const reasons = [...rejected].map(([reason, n]) => `${n} with ${REJECTION_TEXT[reason]}`);
      messages.push(`${rejectedSpans} span${rejectedSpans === 1 ? '' : 's'} rejected: ${reasons.join('; ')}`);
    }
    if (ignoredHashes > 0) {
      messages.push(
        `${ignoredHashes} span${ignoredHashes === 1 ? '' : 's'} stored without their gatehouse.config.hash, which is not a sha256 digest (64 lowercase hex digits)`,
      );
    }
    return {
      ...batch,
      skipped,
      partialSuccess: messages.length ? { rejectedSpans, errorMessage: `${messages.join('. ')}.` } : null,
    };
  }

  /** `POST /v1/live/interactions`: model calls of a service that does not use OpenTelemetry. */
  async recordInteractions(context: IngestContext, body: Buffer): Promise<StoredBatch> {
    checkLiveJsonBody(body);
    const input = parseIngestInput(interactionsSchema, parseJsonBody(body), 'interactions');
    const seen = new Set<string>();
    const spans: LiveSpan[] = [];
    for (const i of input.interactions) {
      const span: LiveSpan = {
        // Without ids the interaction cannot be recognised when sent again: the docs say to send them.
        traceId: i.traceId ?? randomBytes(16).toString('hex'),
        spanId: i.spanId ?? randomBytes(8).toString('hex'),
        startedAt: i.startedAt,
        durationMs: i.durationMs ?? null,
        operation: i.operation || null,
        model: i.model || null,
        inputTokens: i.inputTokens ?? null,
        outputTokens: i.outputTokens ?? null,
        costUsd: i.costUsd ?? null,
        configHash: i.configHash ?? null,
        errored: i.errored ?? false,
        input: i.input ?? null,
        output: i.output ?? null,
      };
      const key = `${span.traceId}${span.spanId}`;
      if (!seen.has(key)) {
        seen.add(key);
        spans.push(span);
      }
    }
    return this.store(context, spans, 'json', new Date());
  }

  /** `POST /v1/live/feedback`: idempotent by the sender's event id; notes kept only when text is captured. */
  async recordFeedback(context: IngestContext, body: Buffer): Promise<FeedbackOutcome> {
    checkLiveJsonBody(body);
    const input = parseIngestInput(feedbackSchema, parseJsonBody(body), 'feedback events');
    const receivedAt = new Date();
    const { captureText, redactPii } = context.settings;
    const rows = input.events.map((event) =>
      Object.assign(new LiveFeedbackEntity(), {
        id: randomUUID(),
        aiUseCaseId: context.aiUseCaseId,
        eventKey: event.id,
        traceId: event.traceId ?? null,
        kind: event.kind,
        occurredAt: event.occurredAt,
        receivedAt,
        note:
          captureText && event.note
            ? minimiseText(stripNul(event.note), redactPii, LIVE_LIMITS.maxNoteChars).text
            : null,
      } satisfies LiveFeedbackEntity),
    );
    const stored = await this.write((tx) => this.repository.insertFeedback(tx, rows));
    return { received: rows.length, stored, duplicates: rows.length - stored };
  }

  /** `POST /v1/live/heartbeat`: the service attests the configuration it runs. */
  async heartbeat(context: IngestContext, body: Buffer): Promise<HeartbeatOutcome> {
    checkLiveJsonBody(body);
    const { configHash } = parseIngestInput(heartbeatSchema, parseJsonBody(body), 'heartbeat fields');
    await this.attest(context, [configHash], 'heartbeat', false);
    return {
      configHash,
      matchesRegisteredTarget: context.targetHash === configHash,
      hasRegisteredTarget: context.targetHash !== null,
    };
  }

  /**
   * A batch's write: one insert statement (atomic by itself, so without BEGIN and COMMIT on PostgreSQL).
   * When the database cannot take it just now (not a row it refuses), the failure becomes
   * IngestUnavailableError, which the API answers with 503 and Retry-After: the exporters retry 503, so a
   * database restart loses no span; a 500 they would drop.
   */
  private async write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.uow.writeStatement(work);
    } catch (error) {
      if (error instanceof DomainError || isRowRefused(error)) {
        throw error;
      }
      this.logger.error({ err: error }, 'A live batch could not be stored; the sender is asked to retry');
      throw new IngestUnavailableError();
    }
  }

  private decode(body: Buffer, encoding: 'protobuf' | 'json'): OtlpSpan[] {
    try {
      if (encoding === 'json') {
        return spansFromJson(parseJsonBody(body));
      }
      try {
        // Read straight from the wire into spans (what protobufjs would decode, without its message objects).
        return spansFromProtobufBody(body);
      } catch (error) {
        if (error instanceof OtlpRequestError) {
          throw error;
        }
        throw DomainError.validation(
          [
            {
              field: '(body)',
              message: `is not an OTLP ExportTraceServiceRequest in protobuf: ${(error as Error).message}`,
              code: 'invalid_protobuf',
            },
          ],
          'The body could not be decoded as an OTLP ExportTraceServiceRequest.',
        );
      }
    } catch (error) {
      if (error instanceof OtlpRequestError) {
        const problem = [{ field: error.field, message: error.message, code: error.code }];
        throw error.code === 'too_many_spans'
          ? new DomainError('payload_too_large', `The request ${error.message}.`, problem)
          : DomainError.validation(problem, `The request is not accepted: ${error.field} ${error.message}.`);
      }
      throw error;
    }
  }

  /** One batch: minimise, insert what is new in one go, then queue scoring and attest the reported hashes. */
  private async store(
    context: IngestContext,
    spans: LiveSpan[],
    source: 'otlp' | 'json',
    receivedAt: Date,
  ): Promise<StoredBatch> {
    if (spans.length === 0) {
      return { batchId: null, received: 0, stored: 0, sampled: 0 };
    }
    const batchId = randomUUID();
    // Drawn per request: which traces are scored cannot be predicted from the ids the sender chooses.
    const salt = randomUUID();
    // Model and operation names repeat across a batch: each distinct one is redacted once.
    const names = new Map<string, string | null>();
    const rows = spans.map((span) => this.row(context, span, batchId, salt, source, receivedAt, names));
    const { inserted, sampled } = await this.write((tx) => this.repository.insertInteractions(tx, rows));
    if (sampled > 0) {
      // Not awaited, and not even started before the answer is written (setImmediate: adding a job costs
      // the event loop about a millisecond): the answer says the rows are stored, which they are; scoring is
      // the queue's business. A job that cannot be added is found by the watch's sweep of batches left
      // unscored (requeueStale).
      setImmediate(() => {
        this.queue
          .add(JobName.ScoreLive, { aiUseCaseId: context.aiUseCaseId, batchId }, jobIds.scoreLive(batchId))
          .catch((error: unknown) =>
            this.logger.error({ err: error, batchId }, 'Could not queue the online scoring of a live batch'),
          );
      });
    }
    // A handful of distinct hashes at most in practice; the attestation reads no more than 50 of one report.
    const hashes = [...new Set(spans.map((s) => s.configHash).filter((h): h is string => h !== null))].slice(
      0,
      50,
    );
    await this.attest(context, hashes, 'trace', true);
    return { batchId, received: rows.length, stored: inserted, sampled };
  }

  private row(
    context: IngestContext,
    span: LiveSpan,
    batchId: string,
    salt: string,
    source: 'otlp' | 'json',
    receivedAt: Date,
    names: Map<string, string | null>,
  ): LiveInteractionEntity {
    const { captureText, redactPii, retentionDays, sampleRate } = context.settings;
    const sampled = traceSampled(span.traceId, sampleRate, salt);
    // Text is kept when the team captures it, or (for a day at most) when online scoring needs to read it.
    const keep = captureText || sampled;
    // Text that is not kept is not examined either: only its length is recorded (drift reads lengths; the
    // personal-data counts are read only by the online scorers, which see sampled rows alone).
    const input = keep
      ? minimiseText(span.input === null ? null : stripNul(span.input), redactPii)
      : lengthOnly(span.input);
    const output = keep
      ? minimiseText(span.output === null ? null : stripNul(span.output), redactPii)
      : lengthOnly(span.output);
    const hasText = keep && (input.text !== null || output.text !== null);
    const days = captureText ? retentionDays : SCORING_TEXT_DAYS;
    return Object.assign(new LiveInteractionEntity(), {
      // Time-ordered: thousands of rows a second go on the rightmost pages of the primary key's index.
      id: timeOrderedUuid(receivedAt.getTime()),
      aiUseCaseId: context.aiUseCaseId,
      traceId: span.traceId,
      spanId: span.spanId,
      batchId,
      source,
      startedAt: span.startedAt,
      receivedAt,
      durationMs: span.durationMs,
      // Names are free text from the sender: redacted like captured text, and kept (they are not text the
      // retention deletes), so personal data in them must never be stored.
      operation: redactedName(names, span.operation, OPERATION_CHARS),
      model: redactedName(names, span.model, MODEL_CHARS),
      inputTokens: span.inputTokens,
      outputTokens: span.outputTokens,
      costUsd: span.costUsd,
      configHash: span.configHash,
      errored: span.errored,
      inputChars: input.chars,
      outputChars: output.chars,
      piiFound:
        keep && input.chars + output.chars > 0 ? { input: input.piiFound, output: output.piiFound } : null,
      inputText: keep ? input.text : null,
      outputText: keep ? output.text : null,
      textExpiresAt: hasText ? new Date(receivedAt.getTime() + days * MS_PER_DAY) : null,
      sampled,
      scoredAt: null,
    } satisfies LiveInteractionEntity);
  }

  /**
   * Hands the reported hashes to the attestation, which compares them with the configuration the stage was
   * approved on (not only the registered target: a target registered since the approval is not approved
   * yet). From traces (`dedupe`), a hash already attested by this process within the last minute is not
   * attested again per batch, so a service sending its approved hash costs one read a minute.
   */
  private async attest(
    context: IngestContext,
    hashes: string[],
    source: 'trace' | 'heartbeat',
    dedupe: boolean,
  ): Promise<void> {
    const now = Date.now();
    const due = hashes.filter((hash) => {
      if (!dedupe) {
        return true;
      }
      const key = `${context.aiUseCaseId} ${hash} ${source}`;
      if ((this.attested.get(key) ?? 0) > now) {
        return false;
      }
      if (this.attested.size > 10_000) {
        this.attested.clear();
      }
      this.attested.set(key, now + 60_000);
      return true;
    });
    if (due.length === 0) {
      return;
    }
    try {
      await this.attestation.attest(context.aiUseCaseId, due, source);
    } catch (error) {
      // Not remembered as attested: the next batch tries again.
      due.forEach((hash) => this.attested.delete(`${context.aiUseCaseId} ${hash} ${source}`));
      this.logger.warn(
        { err: error, aiUseCaseId: context.aiUseCaseId, source },
        'The attestation of a reported configuration hash failed; the live data was stored',
      );
    }
  }
}

/** The stored columns' widths (a redaction marker may be longer than what it replaces). */
const OPERATION_CHARS = 60;
const MODEL_CHARS = 200;

function redactedName(
  names: Map<string, string | null>,
  name: string | null,
  maxChars: number,
): string | null {
  if (name === null) {
    return null;
  }
  const key = `${maxChars} ${name}`;
  let redacted = names.get(key);
  if (redacted === undefined) {
    redacted = minimiseText(stripNul(name), true, maxChars).text;
    names.set(key, redacted);
  }
  return redacted;
}

/** Text that is neither captured nor sampled: its full length, and nothing read of it. */
function lengthOnly(text: string | null): MinimisedText {
  return { chars: text === null ? 0 : stripNul(text).length, piiFound: {}, text: null };
}

function stripNul(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('') : text;
}
