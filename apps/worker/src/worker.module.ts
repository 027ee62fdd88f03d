import { ApplicationModule, loggerOptions } from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

/** The worker process: application services and the job consumer (run items, aggregation, the reconciler); no API. */
@Module({})
export class WorkerModule {
  static forRoot(config: GatehouseConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ApplicationModule.forRoot(config, { consumeJobs: true }),
        LoggerModule.forRoot(loggerOptions(config)),
      ],
    };
  }
}
