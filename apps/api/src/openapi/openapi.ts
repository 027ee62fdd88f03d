import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** The OpenAPI document of the running app; committed as apps/api/openapi.json and checked by a test. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gatehouse API')
    .setDescription(
      'Register AI use cases, evaluate them on frozen datasets, and promote them from proposed to test, learn and scale ' +
        'only when a server-side gate policy passes and independent reviewers approve. Every route except /health, ' +
        '/metrics and /public needs `Authorization: Bearer <token>`. Errors are application/problem+json.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token issued by Gatehouse.' })
    // The live ingest routes (/v1/otlp/v1/traces, /v1/live/*) take a use case's ingest token instead.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: "A use case's ingest token (ghi_…): live data in, nothing else.",
      },
      'ingest-token',
    )
    .build();
  return cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
}

/** Serves the document (or builds it on the first request for it, when given a factory) at /docs. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject | (() => OpenAPIObject)): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'Gatehouse API',
  });
}
