import { type DatabaseConfig } from '@gatehouse/config';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { UnitOfWork } from './unit-of-work';

/**
 * The token the TypeORM DataSource is provided under (tests read rows through `app.get(DataSource)`), so
 * the application's module can provide it without importing TypeORM.
 */
export const DATA_SOURCE = DataSource;

export interface OpenDatabaseOptions {
  /** Apply pending migrations (the embedded quick start does); otherwise refuse a schema that is behind. */
  migrate: boolean;
  /** Told the names of the migrations this opening applied, when there were any. */
  onMigrated?: (applied: string[]) => void;
}

/**
 * Opens the database, migrates it when asked, and refuses to start on a schema that is behind: a clear
 * message beats queries failing one by one. Closed again when anything here fails.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: OpenDatabaseOptions,
): Promise<UnitOfWork> {
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    if (options.migrate) {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) {
        options.onMigrated?.(applied);
      }
    } else if (await dataSource.showMigrations()) {
      throw new Error(
        'The database schema is behind this version of Gatehouse: run `npx gatehouse migrate` first.',
      );
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return new UnitOfWork(dataSource);
}
