import { type Stage } from '@gatehouse/domain';
import { QueryFailedError } from 'typeorm';
import { AiUseCaseEntity, LiveFeedbackEntity, LiveInteractionEntity } from '../entities';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** What the ingest path needs of the use case a token belongs to. */
export interface IngestTarget {
  stage: Stage;
  targetHash: string | null;
}

/** What a bulk insert did: rows that went in (the others were there already), and how many are sampled. */
export interface InsertedInteractions {
  inserted: number;
  sampled: number;
}

/**
 * True when the database refused a row for what it holds (a data or integrity error: PostgreSQL SQLSTATE
 * classes 22 and 23, SQLite constraint, mismatch, too-big and range errors): sending it again will not
 * help. Anything else (a lost connection, a timeout, a full pool) may pass on a retry.
 */
export function isRowRefused(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const code = String((error.driverError as { code?: unknown } | undefined)?.code ?? '');
  return /^2[23][0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}

/** SQLite binds at most 32,766 parameters a statement: 500 rows of 24 columns stay far below. */
const SQLITE_CHUNK = 500;

/**
 * Writes of the ingest path: live interactions and feedback, in bulk, idempotently. A request's rows go in
 * one statement on PostgreSQL (arrays unnested) and in chunks of one transaction on SQLite, with ON CONFLICT
 * DO NOTHING on their unique keys, so an exporter's retry stores nothing twice.
 */
export class LiveIngestRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  async target(tx: Tx, aiUseCaseId: string): Promise<IngestTarget | null> {
    const row = await managerOf(tx).findOne(AiUseCaseEntity, {
      where: { id: aiUseCaseId },
      select: { id: true, stage: true, targetHash: true },
    });
    return row ? { stage: row.stage, targetHash: row.targetHash } : null;
  }

  /**
   * Inserts the rows that are not there yet (by use case, trace and span id). On PostgreSQL, one statement
   * (so it may run in `writeStatement`); give rows time-ordered ids (timeOrderedUuid), which keep the
   * primary key's inserts on its rightmost pages.
   */
  async insertInteractions(tx: Tx, rows: LiveInteractionEntity[]): Promise<InsertedInteractions> {
    if (rows.length === 0) {
      return { inserted: 0, sampled: 0 };
    }
    return this.uow.driver === 'postgres'
      ? this.insertInteractionsPostgres(tx, rows)
      : this.insertChunks(tx, LiveInteractionEntity, rows, '"sampled"').then((back) => ({
          inserted: back.length,
          sampled: back.filter((r) => r.sampled === true || r.sampled === 1).length,
        }));
  }

  /**
   * Inserts the events that are not there yet (by use case and event key); returns how many went in. On
   * PostgreSQL, one statement (so it may run in `writeStatement`).
   */
  async insertFeedback(tx: Tx, rows: LiveFeedbackEntity[]): Promise<number> {
    if (rows.length === 0) {
      return 0;
    }
    if (this.uow.driver === 'postgres') {
      const column = <T>(value: (row: LiveFeedbackEntity) => T) => rows.map(value);
      const [outcome] = (await managerOf(tx).query(
        `WITH inserted AS (
           INSERT INTO live_feedback (id, ai_use_case_id, event_key, trace_id, kind, occurred_at, received_at, note)
           SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[],
                                $6::timestamptz[], $7::timestamptz[], $8::text[])
           ON CONFLICT DO NOTHING
           RETURNING 1
         )
         SELECT count(*)::int AS inserted FROM inserted`,
        [
          column((r) => r.id),
          column((r) => r.aiUseCaseId),
          column((r) => r.eventKey),
          column((r) => r.traceId),
          column((r) => r.kind),
          column((r) => r.occurredAt.toISOString()),
          column((r) => r.receivedAt.toISOString()),
          column((r) => r.note),
        ],
      )) as { inserted: number }[];
      return outcome?.inserted ?? 0;
    }
    return (await this.insertChunks(tx, LiveFeedbackEntity, rows, '"id"')).length;
  }

  /**
   * One batch (one request): the use case, batch, source and arrival time are the same for every row and
   * bind once; the rest binds as one array per column.
   */
  private async insertInteractionsPostgres(
    tx: Tx,
    rows: LiveInteractionEntity[],
  ): Promise<InsertedInteractions> {
    const [first] = rows;
    const receivedAt = first.receivedAt.getTime();
    for (const row of rows) {
      if (
        row.aiUseCaseId !== first.aiUseCaseId ||
        row.batchId !== first.batchId ||
        row.source !== first.source ||
        row.receivedAt.getTime() !== receivedAt
      ) {
        throw new Error(
          'insertInteractions takes the rows of one batch (one use case, batch, source and arrival)',
        );
      }
    }
    const column = <T>(value: (row: LiveInteractionEntity) => T) => rows.map(value);
    const at = (value: Date | null) => (value === null ? null : value.toISOString());
    // A named prepared statement: each pooled connection plans this insert once, not per batch.
    const [outcome] = await this.uow.rows<{ inserted: number; sampled: number }>(
      tx,
      `WITH inserted AS (
         INSERT INTO live_interactions (id, ai_use_case_id, batch_id, source, received_at, trace_id, span_id,
           started_at, duration_ms, operation, model, input_tokens, output_tokens, cost_usd, config_hash, errored,
           input_chars, output_chars, pii_found, input_text, output_text, text_expires_at, sampled, scored_at)
         SELECT v.id, ?::varchar, ?::varchar, ?::varchar, ?::timestamptz, v.trace_id, v.span_id, v.started_at,
                v.duration_ms, v.operation, v.model, v.input_tokens, v.output_tokens, v.cost_usd, v.config_hash,
                v.errored, v.input_chars, v.output_chars, v.pii_found, v.input_text, v.output_text,
                v.text_expires_at, v.sampled, NULL::timestamptz
           FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::timestamptz[], ?::float8[], ?::varchar[],
                       ?::varchar[], ?::int[], ?::int[], ?::float8[], ?::varchar[], ?::boolean[], ?::int[],
                       ?::int[], ?::json[], ?::text[], ?::text[], ?::timestamptz[], ?::boolean[])
             AS v(id, trace_id, span_id, started_at, duration_ms, operation, model, input_tokens, output_tokens,
                  cost_usd, config_hash, errored, input_chars, output_chars, pii_found, input_text, output_text,
                  text_expires_at, sampled)
         ON CONFLICT DO NOTHING
         RETURNING sampled
       )
       SELECT count(*)::int AS inserted, count(*) FILTER (WHERE sampled)::int AS sampled FROM inserted`,
      [
        first.aiUseCaseId,
        first.batchId,
        first.source,
        first.receivedAt.toISOString(),
        column((r) => r.id),
        column((r) => r.traceId),
        column((r) => r.spanId),
        column((r) => r.startedAt.toISOString()),
        column((r) => r.durationMs),
        column((r) => r.operation),
        column((r) => r.model),
        column((r) => r.inputTokens),
        column((r) => r.outputTokens),
        column((r) => r.costUsd),
        column((r) => r.configHash),
        column((r) => r.errored),
        column((r) => r.inputChars),
        column((r) => r.outputChars),
        column((r) => (r.piiFound === null ? null : JSON.stringify(r.piiFound))),
        column((r) => r.inputText),
        column((r) => r.outputText),
        column((r) => at(r.textExpiresAt)),
        column((r) => r.sampled),
        // Arrays bind as PostgreSQL arrays (rows() is typed for scalars).
      ] as never,
    );
    return { inserted: outcome?.inserted ?? 0, sampled: outcome?.sampled ?? 0 };
  }

  /** SQLite: INSERT … ON CONFLICT DO NOTHING in chunks; RETURNING names the rows that went in. */
  private async insertChunks<E extends object>(
    tx: Tx,
    entity: new () => E,
    rows: E[],
    returning: string,
  ): Promise<Record<string, unknown>[]> {
    const m = managerOf(tx);
    const back: Record<string, unknown>[] = [];
    for (let i = 0; i < rows.length; i += SQLITE_CHUNK) {
      const [sql, parameters] = m
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(rows.slice(i, i + SQLITE_CHUNK) as never)
        .orIgnore()
        .getQueryAndParameters();
      back.push(
        ...((await m.query(`${sql} RETURNING ${returning}`, parameters)) as Record<string, unknown>[]),
      );
    }
    return back;
  }
}
