import { ApplicationModule, loggerOptions } from '@gatehouse/application';
import { type GatehouseConfig } from '@gatehouse/config';
import { type DestinationStream } from 'pino';
import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ZodSerializerInterceptor, ZodValidationPipe } from 'nestjs-zod';
import { AiUseCasesController } from './ai-use-cases/ai-use-cases.controller';
import { AiUseCaseGatesController } from './gates/ai-use-case-gates.controller';
import { GateEvaluationsController } from './gates/gate-evaluations.controller';
import { GatePoliciesController } from './gates/gate-policies.controller';
import { PublicTransparencyController } from './transparency/public-transparency.controller';
import { AuditEventsController } from './audit/audit-events.controller';
import { ConnectionsController } from './connections/connections.controller';
import { WebhooksController } from './notifications/webhooks.controller';
import { ApiTokenGuard } from './auth/api-token.guard';
import { HealthController } from './health/health.controller';
import { LIVE_CONTROLLERS } from './live/live-controllers';
import { HttpMetricsMiddleware } from './http/http-metrics.middleware';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { RequestBodyInterceptor } from './http/request-body.interceptor';
import { TeamsController } from './identity/teams.controller';
import { UsersController } from './identity/users.controller';
import { MeController } from './me/me.controller';
import { MetricsController } from './metrics/metrics.controller';
import { CassettesController } from './registry/cassettes.controller';
import { DatasetsController } from './registry/datasets.controller';
import { SuitesController } from './registry/suites.controller';
import { RunsController } from './runs/runs.controller';
import { ReviewSamplesController, RunReviewSamplesController } from './reviews/reviews.controller';
import { SignInController } from './web/sign-in.controller';
import { OidcSignInController } from './web/oidc.controller';
import { AiUseCasesWebController } from './web/ai-use-cases.controller';
import { RunPagesController } from './web/runs.controller';
import { GatePagesController } from './web/gates.controller';
import { WorkPagesController } from './web/work.controller';
import { ReviewPagesController } from './web/reviews.controller';
import { WebExceptionFilter } from './web/web-exception.filter';
import { WebRenderer } from './web/web-renderer';
import { WebSessionGuard } from './web/web-session.guard';

export interface ApiOptions {
  /** Where JSON logs go (stdout by default); tests capture them to prove secrets stay out. */
  logStream?: DestinationStream;
  /**
   * When the OpenAPI document served at /docs is built: at start (the default: a process serving traffic
   * should not spend a second of its event loop on the first /docs request), or on the first request for
   * it (tests, which start the app dozens of times and rarely ask for it).
   */
  openApiDocument?: 'at-start' | 'on-first-request';
}

/** The HTTP app: controllers and HTTP concerns only; everything else comes from the application lib. */
@Module({})
export class ApiModule implements NestModule {
  static forRoot(config: GatehouseConfig, options: ApiOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        // The API never consumes the Redis queue (the workers do); the embedded mode runs jobs in-process.
        ApplicationModule.forRoot(config, { consumeJobs: config.queue.kind === 'in-process' }),
        LoggerModule.forRoot(loggerOptions(config, options.logStream)),
      ],
      controllers: [
        HealthController,
        MetricsController,
        TeamsController,
        UsersController,
        AiUseCasesController,
        AiUseCaseGatesController,
        GatePoliciesController,
        GateEvaluationsController,
        PublicTransparencyController,
        AuditEventsController,
        ConnectionsController,
        WebhooksController,
        DatasetsController,
        SuitesController,
        CassettesController,
        RunsController,
        RunReviewSamplesController,
        ReviewSamplesController,
        SignInController,
        OidcSignInController,
        AiUseCasesWebController,
        RunPagesController,
        GatePagesController,
        MeController,
        WorkPagesController,
        ReviewPagesController,
        ...LIVE_CONTROLLERS,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiTokenGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        // First: bodies are read after the guards and before anything else sees the request.
        { provide: APP_INTERCEPTOR, useClass: RequestBodyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ZodSerializerInterceptor },
        WebRenderer,
        WebExceptionFilter,
        WebSessionGuard,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*splat}');
  }
}
