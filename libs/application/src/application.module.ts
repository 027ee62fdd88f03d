import { type GatehouseConfig } from '@gatehouse/config';
import { type DynamicModule, Module } from '@nestjs/common';
import { AiUseCasesService } from './ai-use-cases/ai-use-cases.service';
import { AuditService } from './audit/audit.service';
import { DatabaseModule } from './database/database.module';
import { GatehouseConfigModule } from './gatehouse-config.module';
import { ReadinessService } from './health/readiness.service';
import { BootstrapService } from './identity/bootstrap.service';
import { IdentityService } from './identity/identity.service';
import { MetricsService } from './metrics/metrics.service';

const services = [
  AuditService,
  IdentityService,
  AiUseCasesService,
  BootstrapService,
  ReadinessService,
  MetricsService,
];

/** Configuration, database and the application services; the API, the worker and the CLI all build on it. */
@Module({})
export class ApplicationModule {
  static forRoot(config: GatehouseConfig): DynamicModule {
    return {
      module: ApplicationModule,
      global: true,
      imports: [GatehouseConfigModule.forRoot(config), DatabaseModule],
      providers: services,
      exports: services,
    };
  }
}
