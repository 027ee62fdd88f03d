import { Mutex } from 'async-mutex';
import { type DataSource, type EntityManager, type FindOneOptions } from 'typeorm';

/**
 * The only way Gatehouse writes. On PostgreSQL each `write` is a transaction from the pool. SQLite has a
 * single connection that every query shares, so concurrent transactions would interleave on it; there,
 * writes and reads are serialised through one FIFO mutex (reads too, so nobody sees a transaction that
 * is about to roll back). better-sqlite3 is synchronous, so the queue costs microseconds per statement.
 */
export class UnitOfWork {
  private readonly sqliteLock: Mutex | null;

  constructor(readonly dataSource: DataSource) {
    this.sqliteLock = dataSource.options.type === 'postgres' ? null : new Mutex();
  }

  get driver(): 'postgres' | 'sqlite' {
    return this.sqliteLock ? 'sqlite' : 'postgres';
  }

  /**
   * `lock` option for a read-modify-write inside `write`: a row lock on PostgreSQL; nothing on SQLite,
   * where the write mutex already excludes every other writer.
   */
  get forUpdate(): FindOneOptions['lock'] {
    return this.sqliteLock ? undefined : { mode: 'pessimistic_write' };
  }

  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction = () => this.dataSource.transaction(work);
    return this.sqliteLock ? this.sqliteLock.runExclusive(transaction) : transaction();
  }

  /**
   * A write that no other `writeExclusive` with the same key runs beside, across processes: on PostgreSQL
   * a transaction-scoped advisory lock, on SQLite the mutex every write already holds. For check-then-act
   * work such as creating the first admin when several replicas start at once.
   */
  writeExclusive<T>(lockKey: number, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.sqliteLock) {
      return this.write(work);
    }
    return this.write(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      return work(manager);
    });
  }

  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const query = () => work(this.dataSource.manager);
    return this.sqliteLock ? this.sqliteLock.runExclusive(query) : query();
  }
}
