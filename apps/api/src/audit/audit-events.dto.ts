import { type AuditChainReport, type AuditEvent } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paged, pagination } from '../http/common.dto';

export class AuditEventQueryDto extends createZodDto(
  z.strictObject({
    subjectType: z.string().max(50).optional(),
    subjectId: z.string().max(64).optional(),
    actorId: z.string().max(64).optional(),
    action: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
    ...pagination,
  }),
) {}

const json = z.json().nullable();

const auditEventSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  occurredAt: z.string(),
  actorId: z.string(),
  actorName: z.string(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  before: json,
  after: json,
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
}) satisfies z.ZodType<AuditEvent>;

export class AuditEventPageDto extends createZodDto(paged(auditEventSchema.meta({ id: 'AuditEvent' }))) {}

export class AuditChainReportDto extends createZodDto(
  z.object({
    ok: z.boolean(),
    eventsChecked: z.number().int(),
    headSeq: z.number().int(),
    headHash: z
      .string()
      .describe('Record this hash elsewhere to prove later that nothing before it changed.'),
    firstBreak: z
      .object({
        problem: z.enum([
          'missing_event',
          'previous_hash_mismatch',
          'content_hash_mismatch',
          'head_mismatch',
          'missing_head',
        ]),
        seq: z.number().int(),
        eventId: z.string().nullable(),
        detail: z.string(),
      })
      .nullable(),
  }) satisfies z.ZodType<AuditChainReport>,
) {}
