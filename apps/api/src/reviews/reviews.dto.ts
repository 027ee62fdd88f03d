import {
  type ItemReviewView,
  MAX_CORRECTED_LABEL,
  MAX_REVIEW_NOTE,
  type ReviewItemView,
  type ReviewSampleView,
} from '@gatehouse/application';
import { type Interval, MAX_OVERSAMPLE_WEIGHT, MAX_SAMPLE_SIZE } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const uuid = () => z.uuid({ message: 'must be a UUID' });

export class SampleItemParamDto extends createZodDto(
  z.strictObject({
    id: uuid(),
    position: z.coerce
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_SAMPLE_SIZE, `must be at most ${MAX_SAMPLE_SIZE}`)
      .describe('1-based place of the item in the review order.'),
  }),
) {}

/**
 * Documents the bodies; the services validate them (strictly, naming every bad field), so the routes take
 * them as `unknown` and the services' messages are the ones callers see.
 */
const drawSampleBody = z.object({
  size: z
    .number()
    .int()
    .min(1)
    .max(MAX_SAMPLE_SIZE)
    .describe('Items to draw (fewer when the run has fewer).'),
  seed: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The seed of the draw (a safe integer); a random one is drawn and recorded when left out.'),
  groupKey: z
    .string()
    .optional()
    .describe("Stratify by this group: one of the suite's groupBy keys, or a group the results carry."),
  failureWeight: z
    .number()
    .min(1)
    .max(MAX_OVERSAMPLE_WEIGHT)
    .optional()
    .describe('Over-weighting of failed items in the allocation (default 3).'),
  judgedWeight: z
    .number()
    .min(1)
    .max(MAX_OVERSAMPLE_WEIGHT)
    .optional()
    .describe('Over-weighting of items a model judge scored (default 2).'),
});

export class DrawReviewSampleDto extends createZodDto(drawSampleBody) {}

const verdictSchema = z
  .object({
    agree: z.boolean().describe("Whether you agree with the scorer's verdict."),
    correctedPassed: z.boolean().optional().describe('What the verdict should have been.'),
    correctedValue: z.number().min(0).max(1).optional().describe('The score it should have had (0-1).'),
    correctedLabel: z
      .string()
      .max(MAX_CORRECTED_LABEL)
      .optional()
      .describe('The label it should have had (classifiers).'),
  })
  .meta({ id: 'ScorerVerdict' });

const verdictsSchema = z
  .record(z.string(), verdictSchema)
  .describe('One verdict per metric of the run you looked at (at least one).');

const recordReviewBody = z.object({
  verdicts: verdictsSchema,
  note: z.string().max(MAX_REVIEW_NOTE).nullable().optional(),
  supersedesId: z
    .uuid()
    .nullable()
    .optional()
    .describe(
      'Your current review of the item as you last saw it (null: none). When given and stale, the review is refused with 409.',
    ),
});

export class RecordItemReviewDto extends createZodDto(recordReviewBody) {}

const interval = z.object({
  lower: z.number(),
  upper: z.number(),
  level: z.number(),
  method: z.enum(['wilson', 'bootstrap', 'clopper_pearson', 'newcombe', 'normal']),
}) satisfies z.ZodType<Interval>;

const corrected = z.object({
  n: z.number().int(),
  value: z.number().nullable(),
  interval: interval.nullable(),
  upper95: z.number().nullable(),
  scorerValue: z.number().nullable(),
  coverage: z.number(),
  method: z.enum(['simple', 'design_weighted']),
});

const statistics = z
  .object({
    items: z.number().int(),
    reviewedItems: z.number().int(),
    reviewers: z.number().int(),
    independentOnly: z.boolean(),
    metrics: z.array(
      z.object({
        metric: z.string(),
        scorer: z.string(),
        judge: z.boolean(),
        reviewedItems: z.number().int(),
        reviews: z.number().int(),
        humanVsScorer: z.object({
          n: z.number().int(),
          agreement: z.number().nullable(),
          agreementInterval: interval.nullable(),
          kappa: z.number().nullable(),
          kappaInterval: interval.nullable(),
        }),
        humanVsHuman: z.object({
          items: z.number().int(),
          alpha: z.number().nullable(),
          alphaInterval: interval.nullable(),
          agreement: z.number().nullable(),
        }),
        corrected,
      }),
    ),
    anyFailure: corrected,
  })
  .meta({ id: 'ReviewStatistics' });

const sampleSchema = z.object({
  id: z.string(),
  runId: z.string(),
  aiUseCaseId: z.string().nullable(),
  suite: z.object({ name: z.string(), version: z.number().int() }),
  design: z.object({
    size: z.number().int(),
    seed: z.number().int(),
    groupKey: z.string().nullable(),
    failureWeight: z.number(),
    judgedWeight: z.number(),
  }),
  strata: z.array(
    z.object({
      key: z.string(),
      failed: z.boolean().nullable(),
      judged: z.boolean().nullable(),
      group: z.string().nullable(),
      population: z.number().int(),
      drawn: z.number().int(),
    }),
  ),
  population: z.number().int().describe('Reviewable (scored) results of the run: N.'),
  size: z.number().int().describe('Items drawn: n.'),
  hash: z.string().describe('sha256 of the run, design, strata and items: what gate evaluations bind.'),
  createdBy: z.string(),
  createdAt: z.string(),
  progress: z.object({
    reviewedItems: z.number().int(),
    reviewedByYou: z.number().int(),
    nextForYou: z.number().int().nullable(),
  }),
  statistics: z.object({
    all: statistics,
    independent: statistics,
    reviewsHash: z.string(),
    independentReviewsHash: z.string().describe('The hash of the reviews a gate counts.'),
  }),
}) satisfies z.ZodType<ReviewSampleView>;

export class ReviewSampleDto extends createZodDto(sampleSchema) {}
export class ReviewSampleListDto extends createZodDto(
  z.object({ items: z.array(sampleSchema.meta({ id: 'ReviewSample' })) }),
) {}

const reviewSchema = z.object({
  id: z.string(),
  sampleId: z.string(),
  position: z.number().int(),
  itemId: z.string(),
  epoch: z.number().int(),
  reviewerId: z.string(),
  reviewerName: z.string(),
  rater: z.string().nullable().describe('For an imported review: who labelled it elsewhere.'),
  revision: z.number().int(),
  supersedesId: z.string().nullable(),
  verdicts: z.record(z.string(), verdictSchema),
  note: z.string().nullable(),
  source: z.enum(['web', 'api', 'import']),
  createdAt: z.string(),
}) satisfies z.ZodType<ItemReviewView>;

export class ItemReviewDto extends createZodDto(reviewSchema) {}

const itemSchema = z.object({
  sampleId: z.string(),
  position: z.number().int(),
  total: z.number().int(),
  itemId: z.string(),
  epoch: z.number().int(),
  input: z.unknown().describe('The dataset item as the run saw it: text, or chat messages.'),
  expected: z.unknown(),
  output: z.string().nullable(),
  groups: z.record(z.string(), z.string()),
  scorers: z.array(
    z.object({
      metric: z.string(),
      scorer: z.string(),
      judge: z.boolean(),
      guardrail: z.boolean(),
      passed: z.boolean().nullable(),
      value: z.number().nullable(),
      label: z.string().nullable(),
      explanation: z.string().nullable().describe("A judge's reasoning, a guardrail's finding."),
    }),
  ),
  yourReview: reviewSchema
    .meta({ id: 'ItemReview' })
    .nullable()
    .describe('Only ever your own review: review is blind.'),
  previous: z.number().int().nullable(),
  next: z.number().int().nullable(),
  nextUnreviewed: z.number().int().nullable(),
}) satisfies z.ZodType<ReviewItemView>;

export class ReviewItemDto extends createZodDto(itemSchema) {}

export class ImportedReviewsDto extends createZodDto(z.object({ imported: z.number().int() })) {}
