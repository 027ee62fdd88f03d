import { Mutex } from 'async-mutex';
import { createHash } from 'node:crypto';
import { type DataSource, type EntityManager, type FindOneOptions } from 'typeorm';

declare const txBrand: unique symbol;

/**
 * A transaction (inside `write`) or a consistent read (inside `read`), as the application sees it: a
 * handle to pass to a repository method, nothing to query with. Only repositories turn it back into
 * TypeORM's manager (`managerOf`), so every statement lives behind a repository; lint keeps
 * `managerOf` out of the application's production code.
 */
export interface Tx {
  readonly [txBrand]: true;
}

/** The manager behind a `Tx`: for repositories, and for tests that store rows directly. */
export function managerOf(tx: Tx): EntityManager {
  return tx as unknown as EntityManager;
}

function asTx(manager: EntityManager): Tx {
  return manager as unknown as Tx;
}

/** The part of a `pg` client (what TypeORM's query runner holds on PostgreSQL) that `rows` uses. */
interface PgClient {
  query<T>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
}

/**
 * The only way Gatehouse writes. On PostgreSQL each `write` is a transaction from the pool. SQLite has a
 * single connection that every query shares, so concurrent transactions would interleave on it; there,
 * writes and reads are serialised through one FIFO mutex (reads too, so nobody sees a transaction that
 * is about to roll back). better-sqlite3 is synchronous, so the queue costs microseconds per statement.
 */
export class UnitOfWork {
  private readonly sqliteLock: Mutex | null;
  /** Hand-written statements as PostgreSQL prepares them (name, numbered placeholders), by their text. */
  private readonly prepared = new Map<string, { name: string; text: string }>();

  constructor(readonly dataSource: DataSource) {
    this.sqliteLock = dataSource.options.type === 'postgres' ? null : new Mutex();
  }

  get driver(): 'postgres' | 'sqlite' {
    return this.sqliteLock ? 'sqlite' : 'postgres';
  }

  /** TypeORM's name for the driver (`postgres`, `better-sqlite3`), as the readiness report shows it. */
  get engine(): string {
    return this.dataSource.options.type;
  }

  /** One trivial statement: throws when the database does not answer. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** Closes the connections (the pool, or the SQLite file); a second call does nothing. */
  async close(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }

  /**
   * `lock` option for a read-modify-write inside `write`: a row lock on PostgreSQL; nothing on SQLite,
   * where the write mutex already excludes every other writer.
   */
  get forUpdate(): FindOneOptions['lock'] {
    return this.sqliteLock ? undefined : { mode: 'pessimistic_write' };
  }

  write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const transaction = () => this.dataSource.transaction((manager) => work(asTx(manager)));
    return this.sqliteLock ? this.sqliteLock.runExclusive(transaction) : transaction();
  }

  /**
   * A write of ONE statement (the work must issue exactly one on PostgreSQL): a statement is atomic by
   * itself, so on PostgreSQL it runs on a pooled connection without BEGIN and COMMIT, two round trips
   * fewer (for the ingest path's one-insert batches). On SQLite, a `write` like any other.
   */
  writeStatement<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sqliteLock ? this.write(work) : work(asTx(this.dataSource.manager));
  }

  /**
   * A write that no other `writeExclusive` with the same key runs beside, across processes: on PostgreSQL
   * a transaction-scoped advisory lock, on SQLite the mutex every write already holds. For check-then-act
   * work such as creating the first admin when several replicas start at once.
   */
  writeExclusive<T>(lockKey: number, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.sqliteLock) {
      return this.write(work);
    }
    return this.write(async (tx) => {
      await managerOf(tx).query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      return work(tx);
    });
  }

  /**
   * One hand-written statement on `manager` (inside `read` or `write`), for hot paths where building the
   * query and hydrating entities would cost more than the query: `?` placeholders, the driver's raw rows
   * back (see raw-rows.ts for reading their JSON and timestamps). The text must be a constant with no `?`
   * but the placeholders (none in a literal, a comment or a jsonb `?` operator); values go in `parameters`
   * (strings and numbers, which both drivers bind alike). On PostgreSQL it is a named prepared statement
   * (placeholders numbered `$1…`): each pooled connection parses and plans it once, not per call.
   */
  async rows<T>(tx: Tx, sql: string, parameters: (string | number | null)[]): Promise<T[]> {
    const manager = managerOf(tx);
    if (this.sqliteLock) {
      return manager.query(sql, parameters);
    }
    let statement = this.prepared.get(sql);
    if (!statement) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      statement = { name: `gh_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
      this.prepared.set(sql, statement);
    }
    // The transaction's connection inside `write`; else one from the pool for this statement.
    const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PgClient;
      return (await client.query<T>({ ...statement, values: parameters })).rows;
    } finally {
      if (!manager.queryRunner) {
        await runner.release();
      }
    }
  }

  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const query = () => work(asTx(this.dataSource.manager));
    return this.sqliteLock ? this.sqliteLock.runExclusive(query) : query();
  }
}

/** `uow.read` for a repository that queries TypeORM's manager directly. */
export function readWith<T>(uow: UnitOfWork, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return uow.read((tx) => work(managerOf(tx)));
}

/** `uow.write` for a repository that queries TypeORM's manager directly. */
export function writeWith<T>(uow: UnitOfWork, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return uow.write((tx) => work(managerOf(tx)));
}
