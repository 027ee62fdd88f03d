import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { publishedSchemas, serialiseSchema } from './json-schemas';

/** `npm run schemas` (from the repository root) rewrites evals/schemas/*.json. */
for (const [file, schema] of Object.entries(publishedSchemas())) {
  const path = resolve('evals/schemas', file);
  writeFileSync(path, serialiseSchema(schema));
  process.stdout.write(`wrote ${path}\n`);
}
