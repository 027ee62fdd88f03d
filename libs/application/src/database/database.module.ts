import { type GatehouseConfig } from '@gatehouse/config';
import { DATA_SOURCE, openDatabase, REPOSITORIES, UnitOfWork } from '@gatehouse/persistence';
import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GATEHOUSE_CONFIG } from '../gatehouse-config.module';

/**
 * Opens the database, migrates it when the configuration says so (the embedded quick start does), and
 * refuses to start on a schema that is behind (see openDatabase); provides the unit of work and every
 * repository.
 */
@Global()
@Module({
  providers: [
    {
      provide: UnitOfWork,
      inject: [GATEHOUSE_CONFIG],
      useFactory: (config: GatehouseConfig) =>
        openDatabase(config.database, {
          migrate: config.autoMigrate,
          onMigrated: (applied) => new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`),
        }),
    },
    { provide: DATA_SOURCE, inject: [UnitOfWork], useFactory: (uow: UnitOfWork) => uow.dataSource },
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [UnitOfWork],
      useFactory: (uow: UnitOfWork) => new repository(uow),
    })),
  ],
  exports: [DATA_SOURCE, UnitOfWork, ...REPOSITORIES],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(UnitOfWork) private readonly uow: UnitOfWork) {}

  async onApplicationShutdown(): Promise<void> {
    await this.uow.close();
  }
}
