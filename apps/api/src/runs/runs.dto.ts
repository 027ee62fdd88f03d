import { type RunResultView } from '@gatehouse/application';
import { parseSuiteRef, RUN_STATUSES, SUITE_REF_PATTERN, type SuiteRef } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paged, pagination } from '../http/common.dto';

const uuid = () => z.uuid({ message: 'must be a UUID' });

export class StartRunDto extends createZodDto(
  z.strictObject({
    // Text on the wire, checked here and parsed once: the service is handed { name, version }.
    suite: z
      .string()
      .regex(SUITE_REF_PATTERN, 'must be name@version of a suite on this server, e.g. benefits-triage@1')
      .describe('The suite version to run.')
      .transform((text) => parseSuiteRef(text) as SuiteRef),
    target: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("A target configuration replacing the suite's (validated like a suite's `target`)."),
    aiUseCaseId: uuid().optional().describe('The AI use case this run is evidence for.'),
    baselineRunId: uuid().optional().describe('The run to compare against (same dataset).'),
    datasetSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex')
      .optional()
      .describe("Refuse the run unless the suite's dataset still has this content hash."),
  }),
) {}

export class RunListQueryDto extends createZodDto(
  z.strictObject({
    aiUseCaseId: uuid().optional(),
    status: z.enum(RUN_STATUSES).optional(),
    ...pagination,
  }),
) {}

export class ResultsQueryDto extends createZodDto(
  z.strictObject({
    status: z
      .enum(['scored', 'errored', 'failed'])
      .optional()
      .describe('`failed`: scored rows where any scorer failed.'),
    group: z
      .string()
      .regex(/^[^:]+:.*$/, 'must be key:value, e.g. age_band:65+')
      .max(400)
      .optional()
      .describe('Only rows whose group attribute has this value, e.g. `age_band:65+`.'),
    ...pagination,
  }),
) {}

export class CancelRunDto extends createZodDto(
  z.strictObject({ reason: z.string().min(1).max(2000).optional().describe('Kept in the audit log.') }),
) {}

export class CompareParamsDto extends createZodDto(z.strictObject({ a: uuid(), b: uuid() })) {}

const interval = z
  .object({
    lower: z.number(),
    upper: z.number(),
    level: z.number(),
    method: z.enum(['wilson', 'bootstrap', 'clopper_pearson', 'newcombe', 'normal']),
  })
  .meta({ id: 'Interval' });

const groupBreakdown = z.object({
  key: z.string(),
  groups: z.array(z.object({ group: z.string(), n: z.number().int(), value: z.number(), interval })),
  smallGroups: z.array(z.string()).describe('Groups below the minimum size: shown, left out of the gap.'),
  maxGap: z.object({ value: z.number(), between: z.tuple([z.string(), z.string()]), interval }).nullable(),
});

const metricSchema = z
  .object({
    name: z.string(),
    scorer: z.string(),
    kind: z.enum(['pass_rate', 'mean', 'failure_rate']),
    guardrail: z.boolean(),
    value: z.number().nullable(),
    interval: interval.nullable(),
    upper95: z
      .number()
      .nullable()
      .describe('Guardrails: the exact one-sided 95% upper bound of the failure rate.'),
    n: z.number().int(),
    passed: z.number().int().nullable(),
    failed: z.number().int().nullable(),
    unscored: z.number().int(),
    errored: z.number().int(),
    groups: z.array(groupBreakdown),
    classification: z
      .object({
        labels: z.array(z.string()),
        confusion: z.array(z.array(z.number().int())),
        perClass: z.array(
          z.object({
            label: z.string(),
            precision: z.number().nullable(),
            recall: z.number().nullable(),
            f1: z.number().nullable(),
            support: z.number().int(),
          }),
        ),
        macroF1: z.number().nullable(),
      })
      .nullable(),
    agreement: z.object({ alpha: z.number().nullable(), judges: z.number().int() }).nullable(),
  })
  .meta({ id: 'MetricSummary' });

const percentiles = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  mean: z.number().nullable(),
});

const reportSchema = z
  .object({
    summary: z.object({
      items: z.object({
        total: z.number().int(),
        scored: z.number().int(),
        errored: z.number().int(),
        epochs: z.number().int(),
      }),
      metrics: z.array(metricSchema),
      weightedScore: z.number().nullable(),
      operational: z.object({
        providerLatencyMs: percentiles,
        itemDurationMs: percentiles,
        inputTokens: z.number(),
        outputTokens: z.number(),
        costUsd: z.number().nullable(),
        retries: z.number().int(),
        errorsByKind: z.record(z.string(), z.number().int()),
        errors: z
          .array(
            z.object({
              kind: z.string(),
              count: z.number().int(),
              share: z.number(),
              message: z.string().describe('The most common message of this kind, secrets removed.'),
            }),
          )
          .optional()
          .describe('Why items errored, most frequent kind first.'),
        retriesByKind: z.record(z.string(), z.number().int()).optional(),
        rateLimit: z
          .object({ pauses: z.number().int(), pauseSeconds: z.number() })
          .optional()
          .describe('429 answers waited out, and the seconds of waiting they asked for.'),
      }),
    }),
    thresholds: z.array(
      z.object({
        metric: z.string(),
        stat: z.enum(['value', 'ci_lower', 'ci_upper', 'upper95', 'max_group_gap', 'max_group_gap_upper95']),
        op: z.enum(['>=', '>', '<=', '<']),
        threshold: z.number(),
        actual: z.number().nullable(),
        passed: z.boolean(),
        reason: z.string(),
      }),
    ),
    outcome: z.enum(['passed', 'failed', 'errored']),
    failures: z.array(
      z.object({
        itemId: z.string(),
        epoch: z.number().int(),
        metric: z.string(),
        input: z.string(),
        output: z.string().nullable(),
        expected: z.string().nullable(),
        explanation: z.string().nullable(),
        group: z.record(z.string(), z.string()),
      }),
    ),
    partial: z
      .boolean()
      .describe('True when the run was cancelled: the figures cover the items that finished.'),
    stopped: z
      .string()
      .optional()
      .describe(
        'Why the run stopped early: its first calls all failed the same way (a wrong key, a wrong URL).',
      ),
  })
  .meta({ id: 'RunReport' });

const hashed = z.object({ name: z.string(), version: z.number().int(), hash: z.string() });

const runSchema = z.object({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  suite: z.object({ id: z.string(), name: z.string(), version: z.number().int() }),
  aiUseCaseId: z.string().nullable(),
  baselineRunId: z.string().nullable(),
  target: z.record(z.string(), z.unknown()),
  provider: z.string().describe('The provider queue the items run on.'),
  progress: z.object({
    total: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    errored: z.number().int(),
    remaining: z.number().int(),
  }),
  rateLimits: z
    .object({ pauses: z.number().int(), waitedSeconds: z.number() })
    .describe('429s: how often the provider queue was paused for this run, and the waits they asked for.'),
  manifest: z
    .object({
      runId: z.string(),
      suite: hashed.extend({ file: z.string().optional() }),
      dataset: hashed.extend({ count: z.number().int() }),
      target: z.object({ type: z.string(), description: z.string(), configHash: z.string() }),
      scorers: z.array(
        z.object({
          name: z.string(),
          type: z.string(),
          version: z.string(),
          configHash: z.string().optional(),
        }),
      ),
      epochs: z.number().int(),
      packageVersion: z.string(),
      gitCommit: z.string().nullable(),
      startedAt: z.string(),
      completedAt: z.string().nullable(),
      engine: z.enum(['cli', 'platform']),
      cassettes: z
        .record(z.string(), z.string())
        .describe('Replay cassettes (target and judges) pinned by sha256.'),
    })
    .describe('Every input pinned by hash: what makes the run reproducible.'),
  outcome: z.string().nullable(),
  report: reportSchema.nullable(),
  error: z.string().nullable(),
  createdBy: z.string().describe('Who started the run (separation of duties at the gate).'),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
});
const namedRun = runSchema.meta({ id: 'Run' });

export class RunDto extends createZodDto(runSchema) {}
export class RunPageDto extends createZodDto(paged(namedRun)) {}

const scoreSchema = z.object({
  value: z.number().nullable(),
  passed: z.boolean().nullable(),
  explanation: z.string().optional(),
  label: z.string().nullable().optional(),
});

const resultSchema = z
  .object({
    itemId: z.string(),
    seq: z.number().int(),
    epoch: z.number().int(),
    status: z.string(),
    failed: z.boolean(),
    output: z.string().nullable(),
    scores: z.record(z.string(), scoreSchema),
    error: z.object({ kind: z.string(), message: z.string() }).nullable(),
    groups: z.record(z.string(), z.string()),
    latencyMs: z.number().nullable(),
    queueWaitMs: z.number().nullable(),
    attempts: z.number().int(),
    inputTokens: z.number().nullable(),
    outputTokens: z.number().nullable(),
    costUsd: z.number().nullable(),
    worker: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'RunResult' }) satisfies z.ZodType<RunResultView>;

export class RunResultPageDto extends createZodDto(paged(resultSchema)) {}

const comparisonSchema = z.object({
  metric: z.string(),
  test: z.enum(['mcnemar_exact', 'paired_bootstrap']),
  n: z.number().int(),
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  difference: z.number().nullable(),
  interval: interval.nullable(),
  pValue: z.number(),
  verdict: z.enum(['worse', 'better', 'no_difference']),
});

export class RunComparisonDto extends createZodDto(
  z.object({ baseline: namedRun, candidate: namedRun, metrics: z.array(comparisonSchema) }),
) {}
