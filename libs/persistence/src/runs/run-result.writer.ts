import { type EntityManager, QueryFailedError } from 'typeorm';
import { EvaluationRunEntity, RunResultEntity } from '../entities';
import { type UnitOfWork, writeWith } from '../unit-of-work';

/** A result row as the worker writes it. */
export type ResultRow = Omit<RunResultEntity, 'run'>;

/** What happened to one row handed to the writer. */
export interface WriteOutcome {
  /** False when a row for (run, item, epoch) already stood: a second delivery, nothing moved. */
  inserted: boolean;
  /** True for exactly one row of a run: the one whose flush moved the run running → aggregating. */
  completedRun: boolean;
}

/** The write was refused because the run is no longer running (cancelled): nothing is recorded. */
export class RunNotRunning extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} is not running`);
    this.name = 'RunNotRunning';
  }
}

export interface RunResultWriterOptions {
  /** A flush starts at once when this many rows wait. */
  maxBatch: number;
  /** Otherwise it starts at most this long after the oldest waiting row arrived. */
  maxDelayMs: number;
}

export const DEFAULT_RESULT_WRITER_OPTIONS: RunResultWriterOptions = { maxBatch: 200, maxDelayMs: 2 };

interface Pending {
  row: ResultRow;
  at: number;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: unknown) => void;
}

/** The first row handed in for a (item, epoch) key in a batch, and any copies of it. */
interface Keyed {
  first: Pending;
  copies: Pending[];
}

const keyOf = (itemId: string, epoch: number) => `${itemId}\u0000${epoch}`;

/**
 * An error about the data of a row (PostgreSQL classes 22 data exception, 23 integrity, 54 limits; SQLite
 * constraint, size or type errors), as opposed to the database being unreachable or the run not running.
 */
function isRowError(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const code = String((error.driverError as { code?: unknown } | undefined)?.code ?? '');
  return /^(22|23|54)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code);
}

/**
 * Group commit for result rows. Every item of a run adds one to the counters of the same run row, so
 * writing item by item serialises a process (and all processes on that run) on that row's lock, held
 * until each commit's WAL flush: a few hundred items/s whatever the concurrency. Item handlers hand
 * their finished row here and await the outcome; the writer flushes when `maxBatch` rows wait or
 * `maxDelayMs` after the oldest arrived, one flush at a time per process, and per run one transaction
 * per flush: insert the rows with ON CONFLICT DO NOTHING, move the counters by the rows really inserted
 * and, when the last item is in, running → aggregating, all in that transaction. A handler's promise
 * resolves only once its row is committed, so a job is acknowledged after its result is durable; a
 * process killed before the commit loses only unacknowledged jobs, which BullMQ delivers again.
 */
export class RunResultWriter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly options: RunResultWriterOptions = DEFAULT_RESULT_WRITER_OPTIONS,
  ) {}

  /** Resolves once the row's flush has committed; rejects with RunNotRunning when the run is not running. */
  submit(row: ResultRow): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.pending.push({ row, at: Date.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Flushes every row handed in so far, without delay from now on (for shutdown). */
  async drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    while (this.flushing || this.pending.length > 0) {
      await (this.flushing ?? this.flushNow());
    }
  }

  private schedule(): void {
    if (this.flushing || this.pending.length === 0) {
      return; // the flush in flight schedules the next when it ends
    }
    const due = this.pending[0].at + this.options.maxDelayMs - Date.now();
    if (this.draining || this.pending.length >= this.options.maxBatch || due <= 0) {
      void this.flushNow();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, due);
    }
  }

  private flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending.splice(0, this.options.maxBatch);
    this.flushing = this.flush(batch)
      // Whatever went wrong, no handler waits for ever (settling a settled promise does nothing).
      .catch((error: unknown) => batch.forEach((entry) => entry.reject(error)))
      .finally(() => {
        this.flushing = null;
        this.schedule();
      });
    return this.flushing;
  }

  /** One transaction per run in the batch; runs are independent, so they are written side by side. */
  private async flush(batch: Pending[]): Promise<void> {
    const byRun = new Map<string, Map<string, Keyed>>();
    for (const entry of batch) {
      let keys = byRun.get(entry.row.runId);
      if (!keys) {
        keys = new Map();
        byRun.set(entry.row.runId, keys);
      }
      // A key handed in twice in one batch (two deliveries at once) is written once; the copy shares
      // the first one's fate and learns it was not inserted, as it would a flush later.
      const key = keyOf(entry.row.itemId, entry.row.epoch);
      const known = keys.get(key);
      if (known) {
        known.copies.push(entry);
      } else {
        keys.set(key, { first: entry, copies: [] });
      }
    }
    await Promise.all([...byRun].map(([runId, keys]) => this.writeAndSettle(runId, [...keys.values()])));
  }

  private async writeAndSettle(runId: string, keyed: Keyed[]): Promise<void> {
    let result: { inserted: Set<string>; completed: boolean };
    try {
      result = await this.writeRun(
        runId,
        keyed.map((k) => k.first.row),
      );
    } catch (error) {
      if (keyed.length > 1 && isRowError(error)) {
        // A row the database refuses (bad data) must not fail the rows beside it: write them one by one.
        for (const one of keyed) {
          await this.writeAndSettle(runId, [one]);
        }
        return;
      }
      keyed.forEach((k) => [k.first, ...k.copies].forEach((entry) => entry.reject(error)));
      return;
    }
    let completion = result.completed;
    for (const { first, copies } of keyed) {
      const inserted = result.inserted.has(keyOf(first.row.itemId, first.row.epoch));
      // One row of the flush that completed the run carries the completion, so aggregation is enqueued once.
      first.resolve({ inserted, completedRun: inserted && completion });
      completion &&= !inserted;
      copies.forEach((entry) => entry.resolve({ inserted: false, completedRun: false }));
    }
  }

  private writeRun(runId: string, rows: ResultRow[]): Promise<{ inserted: Set<string>; completed: boolean }> {
    return this.uow.driver === 'postgres'
      ? this.writeRunPostgres(runId, rows)
      : this.writeRunSqlite(runId, rows);
  }

  /**
   * PostgreSQL: one statement, committed on its own. Lock the run row if it is running, insert the rows
   * that are not there yet, and move the counters by what went in, and running → aggregating with the
   * last. The lock lives only while the server executes and commits (no client round trip inside), so
   * the API's cancel and the other workers wait a few milliseconds per flush, not per item.
   */
  private async writeRunPostgres(
    runId: string,
    rows: ResultRow[],
  ): Promise<{ inserted: Set<string>; completed: boolean }> {
    const column = <T>(value: (row: ResultRow) => T) => rows.map(value);
    const json = (value: object | null) => (value === null ? null : JSON.stringify(value));
    const [outcome] = (await this.uow.dataSource.query(
      `WITH run AS (
         SELECT id FROM evaluation_runs WHERE id = $1 AND status = 'running' FOR UPDATE
       ), inserted AS (
         INSERT INTO run_results (id, run_id, item_id, seq, epoch, status, any_failed, output, scores, error,
           groups, latency_ms, duration_ms, queue_wait_ms, attempts, input_tokens, output_tokens, cost_usd,
           worker, created_at)
         SELECT v.id, run.id, v.item_id, v.seq, v.epoch, v.status, v.any_failed, v.output, v.scores, v.error,
                v.groups, v.latency_ms, v.duration_ms, v.queue_wait_ms, v.attempts, v.input_tokens,
                v.output_tokens, v.cost_usd, v.worker, v.created_at
           FROM run, unnest($2::varchar[], $3::varchar[], $4::int[], $5::int[], $6::varchar[], $7::boolean[],
                            $8::text[], $9::json[], $10::json[], $11::json[], $12::float8[], $13::float8[],
                            $14::float8[], $15::int[], $16::int[], $17::int[], $18::float8[], $19::varchar[],
                            $20::timestamptz[])
             AS v(id, item_id, seq, epoch, status, any_failed, output, scores, error, groups, latency_ms,
                  duration_ms, queue_wait_ms, attempts, input_tokens, output_tokens, cost_usd, worker, created_at)
         ON CONFLICT DO NOTHING
         RETURNING item_id, epoch, any_failed, status
       ), counts AS (
         SELECT count(*)::int AS n,
                count(*) FILTER (WHERE any_failed)::int AS failed,
                count(*) FILTER (WHERE status = 'errored')::int AS errored
           FROM inserted
       ), counted AS (
         UPDATE evaluation_runs AS r
            SET completed = r.completed + counts.n,
                failed = r.failed + counts.failed,
                errored = r.errored + counts.errored,
                updated_at = $21,
                status = CASE WHEN r.completed + counts.n >= r.total THEN 'aggregating' ELSE r.status END
           FROM run, counts
          WHERE r.id = run.id AND counts.n > 0
         RETURNING r.status
       )
       SELECT (SELECT count(*) FROM run)::int AS running,
              (SELECT array_agg(item_id) FROM inserted) AS items,
              (SELECT array_agg(epoch) FROM inserted) AS epochs,
              (SELECT status FROM counted) AS status`,
      [
        runId,
        column((r) => r.id),
        column((r) => r.itemId),
        column((r) => r.seq),
        column((r) => r.epoch),
        column((r) => r.status),
        column((r) => r.anyFailed),
        column((r) => r.output),
        column((r) => json(r.scores)),
        column((r) => json(r.error)),
        column((r) => json(r.groups)),
        column((r) => r.latencyMs),
        column((r) => r.durationMs),
        column((r) => r.queueWaitMs),
        column((r) => r.attempts),
        column((r) => r.inputTokens),
        column((r) => r.outputTokens),
        column((r) => r.costUsd),
        column((r) => r.worker),
        column((r) => r.createdAt.toISOString()),
        new Date(),
      ],
    )) as { running: number; items: string[] | null; epochs: number[] | null; status: string | null }[];
    if (!outcome || outcome.running !== 1) {
      throw new RunNotRunning(runId);
    }
    const inserted = new Set(
      (outcome.items ?? []).map((itemId, i) => keyOf(itemId, Number(outcome.epochs?.[i]))),
    );
    return { inserted, completed: outcome.status === 'aggregating' };
  }

  /** SQLite (the embedded process): the same in one transaction, which the write mutex already serialises. */
  private writeRunSqlite(
    runId: string,
    rows: ResultRow[],
  ): Promise<{ inserted: Set<string>; completed: boolean }> {
    return writeWith(this.uow, async (m: EntityManager) => {
      const run = await m.findOne(EvaluationRunEntity, { where: { id: runId }, select: { status: true } });
      if (run?.status !== 'running') {
        throw new RunNotRunning(runId);
      }
      const inserted = new Set<string>();
      // Well under SQLite's 32,766 bound parameters per statement (20 a row).
      for (let i = 0; i < rows.length; i += 500) {
        const insert = m
          .createQueryBuilder()
          .insert()
          .into(RunResultEntity)
          .values(rows.slice(i, i + 500))
          .orIgnore();
        // The builder writes INSERT … ON CONFLICT DO NOTHING; RETURNING names the rows that went in.
        const [sql, parameters] = insert.getQueryAndParameters();
        const back = (await m.query(`${sql} RETURNING "item_id", "epoch"`, parameters)) as {
          item_id: string;
          epoch: number;
        }[];
        back.forEach((r) => inserted.add(keyOf(r.item_id, r.epoch)));
      }
      if (inserted.size === 0) {
        return { inserted, completed: false }; // every row was there already: the counters stay
      }
      const counted = rows.filter((r) => inserted.has(keyOf(r.itemId, r.epoch)));
      const n = counted.length;
      const moved = await m
        .createQueryBuilder()
        .update(EvaluationRunEntity)
        .set({
          completed: () => `completed + ${n}`,
          failed: () => `failed + ${counted.filter((r) => r.anyFailed).length}`,
          errored: () => `errored + ${counted.filter((r) => r.status === 'errored').length}`,
          updatedAt: new Date(),
        })
        .where('id = :id AND status = :running', { id: runId, running: 'running' })
        .execute();
      if (moved.affected !== 1) {
        throw new RunNotRunning(runId); // rolls the insert back
      }
      const { affected } = await m
        .createQueryBuilder()
        .update(EvaluationRunEntity)
        .set({ status: 'aggregating', updatedAt: new Date() })
        .where('id = :id AND status = :running AND completed >= total', { id: runId, running: 'running' })
        .execute();
      return { inserted, completed: affected === 1 };
    });
  }
}
