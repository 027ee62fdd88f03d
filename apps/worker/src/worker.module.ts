import { ApplicationModule, loggerOptions } from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

/** The worker process: application services and (from the runs work on) the queue processors; no API. */
@Module({})
export class WorkerModule {
  static forRoot(config: GatehouseConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ApplicationModule.forRoot(config), LoggerModule.forRoot(loggerOptions(config))],
    };
  }
}
