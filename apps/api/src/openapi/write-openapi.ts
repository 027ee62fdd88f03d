import { loadConfig, pinTimezoneToUtc } from '@gatehouse/config';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApiApp } from '../create-api-app';
import { buildOpenApiDocument } from './openapi';

/** `npm run openapi` (from the repository root) regenerates apps/api/openapi.json; a test fails when it is stale. */
const OPENAPI_FILE = resolve('apps/api/openapi.json');

export function serialiseOpenApi(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

async function main(): Promise<void> {
  pinTimezoneToUtc();
  const app = await createApiApp(loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'warn' }));
  writeFileSync(OPENAPI_FILE, serialiseOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}

if (require.main === module) {
  void main();
}
