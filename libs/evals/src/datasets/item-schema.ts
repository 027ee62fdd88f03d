import { type JsonValue } from '@gatehouse/domain';
import { z } from 'zod';
import { type DatasetItem } from './dataset-item';

const json: z.ZodType<JsonValue> = z.json();

const chatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(200_000),
});

/** One dataset item as read from a file; ids are what results, cassettes and comparisons key on. */
export const datasetItemSchema = z.strictObject({
  id: z
    .string()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .regex(/^[^\s]+$/, 'must not contain whitespace'),
  input: z.union([z.string().max(200_000), z.array(chatMessage).min(1).max(200)], {
    message: 'must be text or a non-empty list of chat messages',
  }),
  expected: json.optional(),
  metadata: z.record(z.string(), json).optional(),
}) satisfies z.ZodType<DatasetItem>;
