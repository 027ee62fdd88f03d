import { type WorkView, WORK_WITHIN_DAYS } from '@gatehouse/application';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const { min, max } = WORK_WITHIN_DAYS;

export class WorkQueryDto extends createZodDto(
  z.strictObject({
    withinDays: z.coerce
      .number({ message: `must be a whole number of days from ${min} to ${max}` })
      .int({ message: `must be a whole number of days from ${min} to ${max}` })
      .min(min, { message: `must be a whole number of days from ${min} to ${max}` })
      .max(max, { message: `must be a whole number of days from ${min} to ${max}` })
      .default(WORK_WITHIN_DAYS.default)
      .describe(
        `List evidence that goes stale within this many days (${min}-${max}; already stale included).`,
      ),
  }),
) {}

const stage = z.enum(['proposed', 'test', 'learn', 'scale', 'retired']);
const list = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    limit: z.number().int(),
    truncated: z.boolean().describe('More items match than the list shows (it shows the first `limit`).'),
  });
const useCaseRef = z.object({ id: z.string(), name: z.string(), ownerTeamName: z.string() });

export class WorkDto extends createZodDto(
  z.object({
    generatedAt: z.string(),
    withinDays: z.number().int(),
    lookBack: z.object({ rejectedDays: z.number().int(), failedRunsDays: z.number().int() }),
    awaitingMyDecision: list(
      z
        .object({
          evaluationId: z.string(),
          kind: z.enum(['promotion', 'reapproval']),
          aiUseCase: useCaseRef,
          from: stage,
          to: stage,
          riskTier: z.string(),
          approvals: z.object({ have: z.number().int(), need: z.number().int() }),
          createdAt: z.string(),
          link: z.string(),
          note: z.string().nullable(),
        })
        .meta({ id: 'WorkAwaitingDecision' }),
    ).describe(
      'Evaluations waiting for approvals that you may decide (separation of duties applied), newest first. Empty unless you are a reviewer.',
    ),
    evidenceExpiring: list(
      z
        .object({
          aiUseCase: useCaseRef,
          stage,
          evaluationId: z.string(),
          runId: z.string(),
          suite: z.string(),
          maxAgeDays: z.number().int(),
          expiresAt: z.string(),
          daysLeft: z.number().int().describe('Whole days left: 0 on the last day, negative once stale.'),
          link: z.string(),
        })
        .meta({ id: 'WorkEvidenceExpiring' }),
    ).describe(
      'Use cases you may see (reviewers and admins: all; others: their team’s) whose approving evidence goes stale within `withinDays`, soonest first.',
    ),
    team: z.object({ id: z.string(), name: z.string() }).nullable(),
    teamRejected: list(
      z
        .object({
          evaluationId: z.string(),
          aiUseCase: z.object({ id: z.string(), name: z.string() }),
          from: stage,
          to: stage,
          reviewerName: z.string(),
          reason: z.string(),
          rejectedAt: z.string(),
          link: z.string(),
        })
        .meta({ id: 'WorkTeamRejection' }),
    ).describe('Your team’s evaluations a reviewer rejected in the last `lookBack.rejectedDays` days.'),
    teamFailedRuns: list(
      z
        .object({
          runId: z.string(),
          suite: z.string(),
          aiUseCase: z.object({ id: z.string(), name: z.string() }),
          status: z.string(),
          outcome: z.string().nullable(),
          reason: z.string(),
          at: z.string(),
          link: z.string(),
        })
        .meta({ id: 'WorkTeamFailedRun' }),
    ).describe(
      'Runs of your team’s use cases that failed, or whose thresholds failed, in the last `lookBack.failedRunsDays` days.',
    ),
  }) satisfies z.ZodType<WorkView>,
) {}
