import { type DatabaseConfig, Secret } from '@gatehouse/config';
import { createDataSource, runMigrations, UnitOfWork } from '@gatehouse/persistence';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DataSource } from 'typeorm';
import { templateDatabase, withAdminClient, withDatabase } from './postgres-admin';
import { POSTGRES_ADMIN_URL } from './services';

export type TestDriver = 'sqlite' | 'postgres';

/** The driver the current Jest project runs integration suites against. */
export function testDriver(): TestDriver {
  return process.env.GATEHOUSE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

const CLONE_LOCK_KEY = 724_202;

export interface TestDatabase {
  config: DatabaseConfig;
  /** A DATABASE_URL for the same database, for code that reads the environment. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own for one test file: on PostgreSQL a clone of the migrated
 * template, named after this process so leftovers of a crashed run can be found; on SQLite a file in
 * a temporary directory, migrated from scratch (milliseconds).
 */
export async function createTestDatabase(driver: TestDriver = testDriver()): Promise<TestDatabase> {
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
    const file = join(dir, 'gatehouse.sqlite');
    const config: DatabaseConfig = { kind: 'sqlite', file };
    const dataSource = createDataSource(config);
    await dataSource.initialize();
    await runMigrations(dataSource);
    await dataSource.destroy();
    return { config, url: `sqlite:${file}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `gh_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(async (client) => {
    // Cloning needs the template free of other sessions, so clones take turns.
    await client.query('SELECT pg_advisory_lock($1)', [CLONE_LOCK_KEY]);
    try {
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [CLONE_LOCK_KEY]);
    }
  });
  const url = withDatabase(POSTGRES_ADMIN_URL, name);
  return {
    config: { kind: 'postgres', url: new Secret(url), poolSize: 10, statementTimeoutMs: 30_000 },
    url,
    drop: () =>
      withAdminClient((client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined),
      ),
  };
}

export async function openTestDataSource(database: TestDatabase): Promise<DataSource> {
  const dataSource = createDataSource(database.config);
  await dataSource.initialize();
  return dataSource;
}

/** What `useTestDataSource()` hands a test file: readable in its tests and in hooks declared after the call. */
export interface TestDataSource {
  readonly database: TestDatabase;
  readonly dataSource: DataSource;
  /** A unit of work over `dataSource` (a new one after `reopen()`). */
  readonly uow: UnitOfWork;
  /** Opens the data source again, closing it first if it is still open: what a restarted process sees. */
  reopen(): Promise<DataSource>;
}

/**
 * The test file's own migrated database (`createTestDatabase()`) and a data source on it: opened in a
 * `beforeAll`, closed and dropped in an `afterAll`. Call it at the top of a `describe`:
 *
 *     const db = useTestDataSource();
 *     it('…', async () => { await db.uow.write(…) });
 */
export function useTestDataSource(driver: TestDriver = testDriver()): TestDataSource {
  let database: TestDatabase | undefined;
  let dataSource: DataSource | undefined;
  let uow: UnitOfWork | undefined;
  const open = <T>(value: T | undefined): T => {
    if (value === undefined) {
      throw new Error(
        'useTestDataSource: the database is there only in tests and in hooks declared after the call',
      );
    }
    return value;
  };

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    dataSource = await openTestDataSource(database);
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) {
      await dataSource.destroy();
    }
    await database?.drop();
  });

  return {
    get database() {
      return open(database);
    },
    get dataSource() {
      return open(dataSource);
    },
    get uow() {
      uow ??= new UnitOfWork(open(dataSource));
      return uow;
    },
    async reopen() {
      if (open(dataSource).isInitialized) {
        await open(dataSource).destroy();
      }
      uow = undefined;
      dataSource = await openTestDataSource(open(database));
      return dataSource;
    },
  };
}
