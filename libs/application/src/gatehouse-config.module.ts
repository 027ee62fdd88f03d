import { type GatehouseConfig } from '@gatehouse/config';
import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';

export const GATEHOUSE_CONFIG = Symbol('GATEHOUSE_CONFIG');

/** Injects the validated configuration: `@InjectConfig() config: GatehouseConfig`. */
export const InjectConfig = () => Inject(GATEHOUSE_CONFIG);

@Global()
@Module({})
export class GatehouseConfigModule {
  static forRoot(config: GatehouseConfig): DynamicModule {
    return {
      module: GatehouseConfigModule,
      providers: [{ provide: GATEHOUSE_CONFIG, useValue: config }],
      exports: [GATEHOUSE_CONFIG],
    };
  }
}
