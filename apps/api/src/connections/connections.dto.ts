import { type ConnectionView, createConnectionSchema, updateConnectionSchema } from '@gatehouse/application';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export class CreateConnectionDto extends createZodDto(createConnectionSchema) {}
export class UpdateConnectionDto extends createZodDto(updateConnectionSchema) {}

const connectionSchema = z.object({
  name: z.string(),
  kind: z.enum(['openai', 'http']),
  baseUrl: z.string(),
  description: z.string().nullable(),
  teams: z.union([z.tuple([z.literal('*')]), z.array(z.object({ id: z.string(), name: z.string() }))]),
  headerNames: z.array(z.string()),
  hasSecret: z.boolean().describe('The secret itself is write-only: it is never returned.'),
  secretHeader: z.string().nullable(),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<ConnectionView>;

export class ConnectionDto extends createZodDto(connectionSchema) {}
export class ConnectionListDto extends createZodDto(
  z.object({ items: z.array(connectionSchema.meta({ id: 'Connection' })) }),
) {}
export class LangChainModuleListDto extends createZodDto(
  z.object({ items: z.array(z.object({ name: z.string() })) }),
) {}
