import { type GatehouseConfig } from '@gatehouse/config';
import { type DynamicModule, Module } from '@nestjs/common';
import { AiUseCasesService } from './ai-use-cases/ai-use-cases.service';
import { AuditService } from './audit/audit.service';
import { ConnectionsService } from './connections/connections.service';
import { PlatformNetwork } from './connections/platform-network';
import { DatabaseModule } from './database/database.module';
import { GatehouseConfigModule } from './gatehouse-config.module';
import { GATE_PROVIDERS } from './gates/gate-providers';
import { ReadinessService } from './health/readiness.service';
import { BootstrapService } from './identity/bootstrap.service';
import { IdentityService } from './identity/identity.service';
import { OidcProvisioningService } from './identity/oidc-provisioning.service';
import { OidcSignInService } from './identity/oidc-sign-in.service';
import { WebSessionsService } from './identity/web-sessions.service';
import { LIVE_PROVIDERS } from './live/live-providers';
import { MetricsService } from './metrics/metrics.service';
import { NOTIFICATION_PROVIDERS } from './notifications/notification-providers';
import { EvalsImportService } from './registry/evals-import.service';
import { RegistryService } from './registry/registry.service';
import { JOB_QUEUE, jobQueueProvider } from './runs/job-queue.provider';
import { CONSUME_JOBS, JobRunnerService } from './runs/job-runner.service';
import { RUN_PROVIDERS } from './runs/run-providers';
import { REVIEW_PROVIDERS } from './reviews/review-providers';
import { WORK_PROVIDERS } from './work/work-providers';

const services = [
  AuditService,
  PlatformNetwork,
  ConnectionsService,
  IdentityService,
  AiUseCasesService,
  BootstrapService,
  ReadinessService,
  MetricsService,
  RegistryService,
  EvalsImportService,
  ...RUN_PROVIDERS,
  JobRunnerService,
  ...GATE_PROVIDERS,
  WebSessionsService,
  OidcProvisioningService,
  OidcSignInService,
  ...WORK_PROVIDERS,
  ...REVIEW_PROVIDERS,
  ...NOTIFICATION_PROVIDERS,
  ...LIVE_PROVIDERS,
];

export interface ApplicationOptions {
  /**
   * Run jobs in this process. The worker does; the API does only with the in-process queue (the
   * embedded mode), never with Redis; the CLI never does.
   */
  consumeJobs?: boolean;
}

/** Configuration, database and the application services; the API, the worker and the CLI all build on it. */
@Module({})
export class ApplicationModule {
  static forRoot(config: GatehouseConfig, options: ApplicationOptions = {}): DynamicModule {
    return {
      module: ApplicationModule,
      global: true,
      imports: [GatehouseConfigModule.forRoot(config), DatabaseModule],
      providers: [
        ...services,
        jobQueueProvider,
        { provide: CONSUME_JOBS, useValue: options.consumeJobs ?? false },
      ],
      exports: [...services, JOB_QUEUE],
    };
  }
}
