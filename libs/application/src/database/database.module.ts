import { type GatehouseConfig } from '@gatehouse/config';
import { createDataSource, REPOSITORIES, runMigrations, UnitOfWork } from '@gatehouse/persistence';
import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GATEHOUSE_CONFIG } from '../gatehouse-config.module';

/**
 * Opens the database, migrates it when the configuration says so (the embedded quick start does), and
 * refuses to start on a schema that is behind: a clear message beats queries failing one by one.
 */
async function openDatabase(config: GatehouseConfig): Promise<DataSource> {
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  try {
    if (config.autoMigrate) {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) {
        new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
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
  return dataSource;
}

@Global()
@Module({
  providers: [
    { provide: DataSource, inject: [GATEHOUSE_CONFIG], useFactory: openDatabase },
    {
      provide: UnitOfWork,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new UnitOfWork(dataSource),
    },
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [UnitOfWork],
      useFactory: (uow: UnitOfWork) => new repository(uow),
    })),
  ],
  exports: [DataSource, UnitOfWork, ...REPOSITORIES],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}
