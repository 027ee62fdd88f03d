import { z } from 'zod';
import { datasetItemSchema } from '../datasets/item-schema';
import { suiteSchema } from './suite-schema';

/**
 * The JSON Schemas published in evals/schemas/ for editors (YAML language servers validate suites as
 * you type with a `# yaml-language-server: $schema=…` line). Generated from the zod schemas the loader
 * uses, so the two cannot drift; `npm run schemas` rewrites them and a test fails when they are stale.
 */
export function publishedSchemas(): Record<string, object> {
  const options = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const;
  return {
    'suite.schema.json': {
      ...z.toJSONSchema(suiteSchema, options),
      $id: 'https://gatehouse.local/schemas/suite.schema.json',
      title: 'Gatehouse evaluation suite',
    },
    'dataset-item.schema.json': {
      ...z.toJSONSchema(datasetItemSchema, options),
      $id: 'https://gatehouse.local/schemas/dataset-item.schema.json',
      title: 'Gatehouse dataset item (one line of a JSONL dataset)',
    },
  };
}

export function serialiseSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
