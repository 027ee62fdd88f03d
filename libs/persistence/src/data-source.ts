import { type DatabaseConfig } from '@gatehouse/config';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { SqliteCheckpointer } from './sqlite-checkpointer';

export const MIGRATIONS_TABLE = 'gatehouse_migrations';

/** One DataSource for both drivers: same entities, same migrations, never `synchronize`. */
export function createDataSource(config: DatabaseConfig): DataSource {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: false,
  } as const;
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') {
      mkdirSync(dirname(config.file), { recursive: true });
    }
    return new SqliteDataSource({
      ...common,
      type: 'better-sqlite3',
      database: config.file,
      enableWAL: config.file !== ':memory:',
      timeout: 5000,
    });
  }
  return new DataSource({
    ...common,
    type: 'postgres',
    url: config.url.reveal(),
    extra: {
      max: config.poolSize,
      statement_timeout: config.statementTimeoutMs,
      application_name: 'gatehouse',
    },
  });
}

/** A SQLite file whose write-ahead log is checkpointed off the main thread (see SqliteCheckpointer). */
class SqliteDataSource extends DataSource {
  private checkpointer: SqliteCheckpointer | null = null;

  override async initialize(): Promise<this> {
    await super.initialize();
    const file = this.options.database;
    if (typeof file === 'string' && file !== ':memory:') {
      this.checkpointer = await SqliteCheckpointer.start(file);
      if (this.checkpointer) {
        await this.query('PRAGMA wal_autocheckpoint = 0');
      }
    }
    return this;
  }

  override async destroy(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    await checkpointer?.stop();
    await super.destroy();
  }
}

/** Lock key for "someone is migrating this database" (PostgreSQL advisory lock). */
const MIGRATION_LOCK_KEY = 724_201;

/**
 * Runs pending migrations. On PostgreSQL an advisory lock makes concurrent starts (several API or
 * worker replicas) wait for one another instead of racing; TypeORM has no lock of its own.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'all' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return (await dataSource.runMigrations({ transaction: 'all' })).map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

export async function pendingMigrations(dataSource: DataSource): Promise<boolean> {
  return dataSource.showMigrations();
}
