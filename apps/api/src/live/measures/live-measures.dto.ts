import { MAX_MEASURE_DAYS } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .describe('A UTC day, YYYY-MM-DD.');

export class LiveMeasuresQueryDto extends createZodDto(
  z
    .strictObject({ from: day, to: day })
    .describe(`A period of UTC days, both included, at most ${MAX_MEASURE_DAYS} days.`),
) {}

const rate = z
  .object({
    events: z.number().int().describe('Cases with at least one such feedback event.'),
    cases: z.number().int(),
    rate: z.number().nullable(),
    upper95: z.number().nullable().describe('Exact (Clopper-Pearson) one-sided 95% upper bound.'),
  })
  .describe('Cases with an event of the kind over all cases.');

const daySchema = z.object({
  day: z.string(),
  cases: z.number().int().describe('Distinct traces whose first model call started this day.'),
  calls: z.number().int(),
  errored: z.number().int(),
  overrides: z.number().int(),
  undone: z.number().int(),
  complaints: z.number().int(),
  incidents: z.number().int(),
  positive: z.number().int(),
  negative: z.number().int(),
  unlinked: z
    .number()
    .int()
    .describe(
      'Feedback events that occurred this day and name no stored trace of the use case (never in a rate).',
    ),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});

export class LiveMeasuresDto extends createZodDto(
  z.object({
    from: z.string(),
    to: z.string(),
    days: z.array(daySchema),
    totals: z.object({
      cases: z.number().int(),
      calls: z.number().int(),
      errored: z.number().int(),
      unlinked: z.number().int(),
      positive: z.number().int(),
      negative: z.number().int(),
      overrideRate: rate,
      undoRate: rate,
      complaintRate: rate,
      incidentRate: rate,
      inputTokens: z.number(),
      outputTokens: z.number(),
      costUsd: z.number(),
    }),
    scorers: z.array(
      z.object({
        scorer: z.string(),
        scorerType: z.string(),
        scored: z.number().int(),
        failed: z.number().int(),
        unscored: z.number().int(),
        failureRate: z.number().nullable(),
        upper95: z.number().nullable().describe('Exact (Clopper-Pearson) one-sided 95% upper bound.'),
      }),
    ),
    judgeCalls: z
      .object({
        day: z.string().describe('Today, a UTC day YYYY-MM-DD.'),
        used: z
          .number()
          .int()
          .describe('Model-judge calls online scoring made today (a panel of N judges: N).'),
        budget: z
          .number()
          .int()
          .describe('The live setting judgeCallsPerDay (0: model judges are not run on live traffic).'),
      })
      .describe(
        "Today's model-judge calls against the daily budget; past the budget a judge's verdict is unscored.",
      ),
  }),
) {}
