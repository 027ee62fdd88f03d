import { type GatehouseConfig } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import cookieParser from 'cookie-parser';
import { type NextFunction, type Request, type Response, static as serveStatic } from 'express';
import helmet from 'helmet';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ApiModule, type ApiOptions } from './api.module';
import { formBody, requestIds } from './http/json-body.middleware';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi';
import { GOVUK_DIR, govukInlineScriptHash, PUBLIC_DIR } from './web/templates';

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
  app.use(requestIds());
  app.use(securityHeaders());
  // Only the pages' small forms are read here, before the guards; API bodies (JSON and uploads, each with
  // its own limit) are read after authentication by RequestBodyInterceptor.
  app.use(formBody(200 * 1024));
  app.use(cookieParser());
  // GOV.UK Frontend's CSS, JS, fonts and images, and the pages' own stylesheet and script.
  const assets = { maxAge: '1h', index: false, fallthrough: true };
  app.use('/assets', serveStatic(join(GOVUK_DIR, 'assets'), assets));
  app.use('/assets', serveStatic(GOVUK_DIR, { ...assets, extensions: [] }));
  app.use('/assets', serveStatic(PUBLIC_DIR, assets));
  app.disable('x-powered-by');
  // Behind a TLS proxy the operator names (GATEHOUSE_TRUST_PROXY), req.secure follows X-Forwarded-Proto.
  app.set('trust proxy', config.http.trustProxy);
  serveOpenApi(
    app,
    options.openApiDocument === 'on-first-request'
      ? () => buildOpenApiDocument(app)
      : buildOpenApiDocument(app),
  );
  return app;
}

/**
 * helmet's headers everywhere; on everything but the Swagger UI (which needs inline scripts) a
 * Content-Security-Policy with no inline script except GOV.UK Frontend's one-line body-class script, allowed
 * by its hash, and no framing.
 */
function securityHeaders() {
  const strict = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", govukInlineScriptHash()],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  const docs = helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  return (req: Request, res: Response, next: NextFunction) =>
    (req.path.startsWith('/docs') ? docs : strict)(req, res, next);
}
