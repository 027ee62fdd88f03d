import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const pagination = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size (1-200).'),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0).describe('Items to skip.'),
};

export class IdParamDto extends createZodDto(z.strictObject({ id: z.uuid({ message: 'must be a UUID' }) })) {}

export const fieldProblemSchema = z.object({
  field: z.string(),
  message: z.string(),
  code: z.string().optional(),
});

export class ProblemDto extends createZodDto(
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      code: z.string(),
      rule: z.string().optional(),
      errors: z.array(fieldProblemSchema),
      requestId: z.string().optional(),
      errorId: z.string().optional(),
    })
    .describe('application/problem+json (RFC 9457) with field-level problems.'),
) {}

export const paged = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  });
