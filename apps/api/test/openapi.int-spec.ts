import { describeIntegration } from '@gatehouse/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../src/openapi/openapi';
import { serialiseOpenApi } from '../src/openapi/write-openapi';
import { TestApi } from './support/test-api';

describeIntegration('the OpenAPI document', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
  });

  afterAll(() => api?.close());

  it('is committed and up to date (run `npm run openapi` after changing the API)', () => {
    const committed = readFileSync(join(__dirname, '../openapi.json'), 'utf8');
    expect(serialiseOpenApi(buildOpenApiDocument(api.app))).toBe(committed);
  });

  it('is served at /docs/openapi.json with the Swagger UI at /docs', async () => {
    const document = await api.http.get('/docs/openapi.json').expect(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/ai-use-cases', '/v1/audit-events/verify']),
    );
    const ui = await api.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
