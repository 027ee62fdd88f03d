import {
  type ComparisonOp,
  DomainError,
  EVIDENCE_REQUIREMENTS,
  GATE_TARGETS,
  type GatePolicyDocument,
  MAX_SAMPLE_SIZE,
  type MetricStat,
  PILOT_RULE_MEASURES,
  RISK_TIERS,
} from '@gatehouse/domain';
import { z } from 'zod';
import { zodProblems } from '../validation/zod-problems';

/**
 * The wire and storage schema of a gate policy version (the domain type is GatePolicyDocument; the
 * `satisfies` below keeps the two in step). Strict objects, a discriminated union on the rule kind, every
 * number bounded, and a version is complete: exactly one gate for every risk tier and target stage, each
 * with at least one independent approval. Errors name the field (`gates[2].rules[5].threshold`).
 */

/** The MetricStat and ComparisonOp unions as values: a missing or unknown key fails to compile. */
const EVERY_METRIC_STAT: Record<MetricStat, true> = {
  value: true,
  ci_lower: true,
  ci_upper: true,
  upper95: true,
  max_group_gap: true,
  max_group_gap_upper95: true,
};
const EVERY_COMPARISON_OP: Record<ComparisonOp, true> = { '>=': true, '>': true, '<=': true, '<': true };
export const METRIC_STATS = Object.keys(EVERY_METRIC_STAT) as [MetricStat, ...MetricStat[]];
export const COMPARISON_OPS = Object.keys(EVERY_COMPARISON_OP) as [ComparisonOp, ...ComparisonOp[]];

const GROUP_STATS: readonly MetricStat[] = ['max_group_gap', 'max_group_gap_upper95'];

export const MAX_RULES_PER_GATE = 200;
export const MAX_APPROVALS = 20;
/** A review sample holds at most this many items (the domain's MAX_SAMPLE_SIZE). */
const MAX_REVIEW_ITEMS = MAX_SAMPLE_SIZE;

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,79}$/,
    'must be 1-80 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
  );
const finite = z.number({ error: 'must be a finite number' });
const share = finite.min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const count = (max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);

const suitePassedRule = z
  .strictObject({
    kind: z.literal('suite_passed'),
    suite: slug,
    version: count(1_000_000).optional(),
    minVersion: count(1_000_000).optional(),
    maxAgeDays: count(3650),
  })
  .superRefine((rule, ctx) => {
    if (rule.version !== undefined && rule.minVersion !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minVersion'],
        message: 'give either version (exactly) or minVersion (this one or later), not both',
      });
    }
  });

const metricRule = z
  .strictObject({
    kind: z.literal('metric'),
    suite: slug,
    metric: slug,
    stat: z.enum(METRIC_STATS),
    op: z.enum(COMPARISON_OPS),
    threshold: finite,
    minN: count(10_000_000).optional(),
    minGroupSize: count(1_000_000).optional(),
  })
  .superRefine((rule, ctx) => {
    const grouped = GROUP_STATS.includes(rule.stat);
    if (grouped && rule.minGroupSize === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minGroupSize'],
        message: `is required for ${rule.stat}: a gap between groups is only judged on groups this large`,
      });
    }
    if (!grouped && rule.minGroupSize !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minGroupSize'],
        message: `applies only to group stats (${GROUP_STATS.join(', ')}), not ${rule.stat}`,
      });
    }
  });

const noRegressionRule = z.strictObject({
  kind: z.literal('no_regression'),
  suite: slug,
  metric: slug,
  alpha: finite.gt(0, 'must be between 0 and 1, exclusive').lt(1, 'must be between 0 and 1, exclusive'),
});

const unscoredMaxRule = z.strictObject({ kind: z.literal('unscored_max'), suite: slug, max: share });

const evidenceRule = z.strictObject({
  kind: z.literal('evidence'),
  requirement: z.enum(EVIDENCE_REQUIREMENTS),
});

const pilotMetricRule = z
  .strictObject({
    kind: z.literal('pilot_metric'),
    measure: z.enum(PILOT_RULE_MEASURES),
    scorer: slug
      .optional()
      .describe('guardrail_failure_rate only: the online scorer (metric name) whose failure rate is judged.'),
    stat: z.enum(['value', 'upper95']),
    op: z.enum(COMPARISON_OPS),
    threshold: share,
    minCases: count(100_000_000),
  })
  .superRefine((rule, ctx) => {
    if (rule.measure === 'guardrail_failure_rate' && rule.scorer === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['scorer'],
        message: 'is required for guardrail_failure_rate: name the online scorer (its metric name)',
      });
    }
    if (rule.measure !== 'guardrail_failure_rate' && rule.scorer !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['scorer'],
        message: `applies only to guardrail_failure_rate, not ${rule.measure}`,
      });
    }
  });

const humanReviewRule = z.strictObject({
  kind: z.literal('human_review'),
  suite: slug,
  minItems: count(MAX_REVIEW_ITEMS).describe(
    'Sampled items of the latest run reviewed by at least one person independent of the team.',
  ),
  maxFailureUpper95: share.describe(
    'The one-sided 95% upper bound of the failure rate as independent reviewers read it (design-weighted), at most this.',
  ),
  metric: slug.optional().describe("One metric's failures; absent: an item fails when any metric fails it."),
});

const judgeAgreementRule = z.strictObject({
  kind: z.literal('judge_agreement'),
  suite: slug,
  statistic: z
    .enum(['kappa', 'agreement'])
    .describe("kappa: Cohen's kappa, bootstrap lower bound; agreement: raw agreement, Wilson lower bound."),
  minLower: finite
    .min(-1, 'must be between -1 and 1')
    .max(1, 'must be between -1 and 1')
    .describe(
      'The lower bound of agreement between each model judge and independent reviewers, at least this.',
    ),
  minItems: count(MAX_REVIEW_ITEMS).describe(
    "Reviewed items of the judge's metric needed before agreement is judged at all.",
  ),
  metric: slug.optional().describe('One judge metric; absent: every model judge metric of the suite.'),
});

const approvalsRule = z.strictObject({
  kind: z.literal('approvals'),
  count: count(MAX_APPROVALS),
  role: z.literal('reviewer'),
  reviewerRoleGrantedByOther: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe(
      'Only reviewers whose reviewer role was granted by someone else (not by themselves) may approve.',
    ),
  via: z
    .literal('oidc', { error: 'must be oidc (or left out)' })
    .optional()
    .describe(
      'oidc: only approvals made in a page session opened through the identity provider count (not an API token or a token sign-in).',
    ),
});

export const gateRuleSchema = z.discriminatedUnion('kind', [
  suitePassedRule,
  metricRule,
  noRegressionRule,
  unscoredMaxRule,
  evidenceRule,
  pilotMetricRule,
  humanReviewRule,
  judgeAgreementRule,
  approvalsRule,
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const gateSchema = z.strictObject({
  tier: z.enum(RISK_TIERS),
  to: z.enum(GATE_TARGETS),
  rules: z
    .array(gateRuleSchema)
    .min(1, 'must have at least one rule')
    .max(MAX_RULES_PER_GATE, `must have at most ${MAX_RULES_PER_GATE} rules`)
    .superRefine(
      (rules: unknown[], ctx) => {
        const approvals = rules.flatMap((rule, index) =>
          isRecord(rule) && rule.kind === 'approvals' ? [index] : [],
        );
        if (approvals.length === 0) {
          ctx.addIssue({
            code: 'custom',
            message:
              'must include an approvals rule: every stage move needs at least one independent reviewer',
          });
        }
        for (const index of approvals.slice(1)) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `is a second approvals rule (the first is rules[${approvals[0]}]): give one, with the count`,
          });
        }
      },
      { when: () => true },
    ),
});

const TIER_SET = new Set<unknown>(RISK_TIERS);
const TARGET_SET = new Set<unknown>(GATE_TARGETS);

export const gatePolicyDocumentSchema = z.strictObject({
  description: z
    .string()
    .max(2000, 'must be at most 2000 characters')
    .refine((value) => value.trim().length > 0, 'must not be blank')
    .optional(),
  gates: z
    .array(gateSchema)
    .max(
      RISK_TIERS.length * GATE_TARGETS.length,
      `must have one gate per tier and target (${RISK_TIERS.length * GATE_TARGETS.length})`,
    )
    .superRefine(
      // Runs even when a gate is malformed, so a missing or duplicate gate is reported with the other problems.
      (gates: unknown[], ctx) => {
        const seen = new Map<string, number>();
        gates.forEach((gate, index) => {
          if (!isRecord(gate) || !TIER_SET.has(gate.tier) || !TARGET_SET.has(gate.to)) {
            return;
          }
          const key = `${String(gate.tier)} → ${String(gate.to)}`;
          const first = seen.get(key);
          if (first === undefined) {
            seen.set(key, index);
          } else {
            ctx.addIssue({
              code: 'custom',
              path: [index],
              message: `duplicates the gate for ${key} at gates[${first}]: give one gate per tier and target`,
            });
          }
        });
        for (const tier of RISK_TIERS) {
          for (const to of GATE_TARGETS) {
            if (!seen.has(`${tier} → ${to}`)) {
              ctx.addIssue({
                code: 'custom',
                message: `has no gate for ${tier} → ${to}: a policy version needs a gate for every tier and target`,
              });
            }
          }
        }
      },
      { when: () => true },
    ),
}) satisfies z.ZodType<GatePolicyDocument>;

/** Parses a policy document, or throws a validation DomainError naming every bad field. */
export function parseGatePolicyDocument(input: unknown, prefix = ''): GatePolicyDocument {
  const parsed = gatePolicyDocumentSchema.safeParse(input);
  if (!parsed.success) {
    throw DomainError.validation(zodProblems(parsed.error, prefix), 'The gate policy is not valid.');
  }
  return parsed.data;
}
