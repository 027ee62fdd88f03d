import { type GatehouseConfig } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ApiModule, type ApiOptions } from './api.module';
import { jsonBody, textBody } from './http/json-body.middleware';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi';

/** Builds the API exactly as production runs it; main.ts and the e2e tests both start here. */
export async function createApiApp(
  config: GatehouseConfig,
  options: ApiOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, options), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.use(jsonBody(config.http.maxBodyBytes));
  app.use(textBody(config.http.maxUploadBytes));
  app.disable('x-powered-by');
  serveOpenApi(app, buildOpenApiDocument(app));
  return app;
}
