import { Mutex } from 'async-mutex';
import { type DataSource, type EntityManager } from 'typeorm';

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

  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction = () => this.dataSource.transaction(work);
    return this.sqliteLock ? this.sqliteLock.runExclusive(transaction) : transaction();
  }

  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const query = () => work(this.dataSource.manager);
    return this.sqliteLock ? this.sqliteLock.runExclusive(query) : query();
  }
}
