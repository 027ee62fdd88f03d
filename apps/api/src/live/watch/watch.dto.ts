import { WATCH_ALERT_KINDS, WATCH_LIMITS } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const watchAlertSchema = z
  .object({
    id: z.uuid(),
    aiUseCaseId: z.uuid(),
    kind: z.enum(WATCH_ALERT_KINDS).describe('config_mismatch, drift, regression or evidence_expiring.'),
    status: z.enum(['open', 'resolved']),
    summary: z.string().describe('What the watch found, in plain English, with the numbers.'),
    details: z
      .record(z.string(), z.unknown())
      .describe('The numbers behind the summary (hashes seen, rates and bounds, findings); never live text.'),
    openedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
    resolvedBy: z
      .string()
      .nullable()
      .describe('The user who resolved it, or `system` when an approved stage change did.'),
  })
  .describe('Something the watch found in live use.');

export class WatchAlertDto extends createZodDto(watchAlertSchema) {}

export class WatchAlertListDto extends createZodDto(
  z.object({ items: z.array(watchAlertSchema).describe('Open alerts first, newest first within each.') }),
) {}

export class WatchAlertQueryDto extends createZodDto(
  z.strictObject({
    status: z.enum(['open', 'resolved']).optional().describe('Only open, or only resolved, alerts.'),
    limit: z.coerce.number().int().min(1).max(500).default(100).describe('At most this many (1-500).'),
  }),
) {}

export class ResolveWatchAlertDto extends createZodDto(
  z.object({
    note: z
      .string()
      .min(1)
      .max(WATCH_LIMITS.maxResolveNote)
      .describe('Why the alert is resolved (kept in the audit trail).'),
  }),
) {}

const reevaluationSchema = z.object({
  id: z.uuid(),
  evaluationId: z.uuid().describe('The evaluation that approved the stage, whose suites were run again.'),
  status: z.enum(['running', 'passed', 'regressed']),
  runs: z.array(
    z.object({
      suite: z.string(),
      baselineRunId: z.uuid().describe('The run the approved evaluation used, compared item by item.'),
      runId: z.uuid().nullable(),
      error: z.string().nullable().describe('Why the run could not be started.'),
    }),
  ),
  findings: z.array(z.string()).describe('What regressed, in plain English (empty when nothing did).'),
  startedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
});

export class ReevaluationListDto extends createZodDto(
  z.object({ items: z.array(reevaluationSchema).describe('Newest first (at most 50).') }),
) {}
