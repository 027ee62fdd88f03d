import {
  gatePolicyDocumentSchema,
  gateRuleSchema,
  type GateEvaluationView,
  type GatePolicyView,
  type PilotObservationView,
  type StageChangeView,
} from '@gatehouse/application';
import { GATE_TARGETS, REDACTABLE_FIELDS, STAGES } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { aiUseCaseSchema } from '../ai-use-cases/ai-use-cases.dto';

/*
 * Request bodies are checked for shape here; the gate rules (stage order, separation of duties, reasons)
 * are checked in the service and the domain, so a refused attempt is audited wherever it comes from. A
 * DTO that checks more than shape (the target stage) sits on a route marked @AuditRefusals, so what it
 * refuses is audited too.
 */

export class EvaluateGateDto extends createZodDto(
  z.strictObject({
    to: z
      .enum(GATE_TARGETS, { message: `must be one of ${GATE_TARGETS.join(', ')}` })
      .describe(
        `The stage the gate leads to: ${GATE_TARGETS.join(', ')} (the next stage, or the current one while under change).`,
      ),
  }),
) {}

export class GateDecisionDto extends createZodDto(
  z.strictObject({
    decision: z.string().max(16).describe('approve or reject'),
    reason: z.string().max(4000).describe('What you checked, or why not (required).'),
    evaluationHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex')
      .optional()
      .describe('The hash of the evaluation you read: refused if it is no longer that evaluation.'),
  }),
) {}

export class PromoteDto extends createZodDto(
  z.strictObject({
    evaluationId: z.string().max(64).describe('A current, passing, fully approved gate evaluation.'),
  }),
) {}

export class StepBackDto extends createZodDto(
  z.strictObject({
    to: z
      .string()
      .max(32)
      .describe(`An earlier stage, or retired (${STAGES.join(', ')}).`),
    reason: z.string().max(4000).describe('Why (required).'),
  }),
) {}

const count = (what: string) => z.number().int().min(0).max(100_000_000).describe(what);

export class PilotObservationDto extends createZodDto(
  z.strictObject({
    periodStart: z.string().max(10).describe('First day of the period, YYYY-MM-DD.'),
    periodEnd: z.string().max(10).describe('Last day of the period, YYYY-MM-DD (not in the future).'),
    cases: count('Cases the tool handled in the period.'),
    overrides: count('Cases where a person overrode the tool’s output.'),
    undone: count('Decisions undone afterwards (appeals upheld, reversals).'),
    complaints: count('Complaints about the tool’s part in a decision.'),
    incidents: count('Incidents (harm, data, security) involving the tool.'),
    positiveFeedback: count('Positive user feedback responses.').optional(),
    negativeFeedback: count('Negative user feedback responses.').optional(),
    notes: z.string().max(4000).optional(),
  }),
) {}

export class PolicyVersionParamDto extends createZodDto(
  z.strictObject({ version: z.coerce.number().int().min(1).max(1_000_000) }),
) {}

const ruleVerdictSchema = z.object({
  index: z.number().int(),
  rule: gateRuleSchema.describe('The policy rule as written.'),
  title: z.string(),
  verdict: z.enum(['pass', 'fail', 'missing']),
  reason: z.string().describe('Plain English: the numbers and why.'),
  actual: z.number().nullable(),
  runId: z.string().nullable(),
});

const gateEvaluationSchema = z.object({
  id: z.string(),
  aiUseCaseId: z.string(),
  kind: z.enum(['promotion', 'reapproval']),
  from: z.enum(STAGES),
  to: z.enum(GATE_TARGETS),
  verdict: z.enum(['pass', 'fail']),
  rules: z.array(ruleVerdictSchema),
  runsUsed: z.array(
    z.object({
      id: z.string(),
      suite: z.string(),
      version: z.number().int(),
      resultsHash: z.string(),
      startedBy: z.string(),
      suiteAuthorId: z.string(),
    }),
  ),
  reviewsUsed: z
    .array(
      z.object({
        sampleId: z.string(),
        runId: z.string(),
        sampleHash: z.string(),
        reviewsHash: z
          .string()
          .describe('sha256 of the reviews by independent people the statistics counted.'),
        items: z.number().int(),
        reviewedItems: z.number().int(),
        reviewers: z.number().int(),
      }),
    )
    .describe('The review samples the human_review and judge_agreement rules read (empty when none).'),
  policy: z.object({ id: z.string(), version: z.number().int() }),
  riskTier: z.string(),
  useCaseRevision: z.number().int(),
  hash: z
    .string()
    .describe(
      'sha256 over the policy version, the use-case revision and target, the transition, the runs, pilot data and review samples (with their reviews) used, and the verdicts. The same inputs give the same hash; asking for an evaluation then answers 200 with this one.',
    ),
  evaluatedAt: z.string(),
  createdBy: z.string(),
  approvals: z.object({
    required: z.number().int(),
    state: z.enum(['pending', 'approved', 'rejected']),
    decisions: z.array(
      z.object({
        approverId: z.string(),
        approverName: z.string(),
        decision: z.enum(['approve', 'reject']),
        reason: z.string(),
        evaluationHash: z.string(),
        via: z
          .enum(['oidc', 'api_token'])
          .nullable()
          .describe(
            'How the reviewer had signed in when deciding: oidc (the identity provider), api_token (a token or a page session opened with one), or null when not recorded.',
          ),
        createdAt: z.string(),
      }),
    ),
  }),
  standing: z.object({ current: z.boolean(), voidedBecause: z.string().nullable() }),
  stageChangeId: z.string().nullable(),
  promotable: z.boolean(),
  pilot: z
    .object({
      source: z.enum(['live', 'recorded']),
      window: z.object({ since: z.string(), until: z.string() }).nullable(),
    })
    .nullable()
    .describe(
      'Where the pilot evidence came from: live (measured from traces and feedback over the window, from entry into learn to a closed UTC midnight), recorded (observations the team typed), or null when none was read.',
    ),
}) satisfies z.ZodType<GateEvaluationView>;

export class GateEvaluationDto extends createZodDto(gateEvaluationSchema) {}
export class GateEvaluationListDto extends createZodDto(z.array(gateEvaluationSchema)) {}

export class GateEvaluationVerificationDto extends createZodDto(
  z.object({
    id: z.string(),
    hash: z.string(),
    rederivedHash: z.string(),
    matches: z.boolean(),
    differences: z.array(z.string()).describe('Rules whose verdict or number came out differently.'),
  }),
) {}

const gatePolicySchema = z.object({
  id: z.string(),
  version: z.number().int(),
  sha256: z.string(),
  document: gatePolicyDocumentSchema,
  current: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<GatePolicyView>;

export class GatePolicyDto extends createZodDto(gatePolicySchema) {}
export class GatePolicyListDto extends createZodDto(z.array(gatePolicySchema)) {}

const stageChangeSchema = z.object({
  id: z.string(),
  aiUseCaseId: z.string(),
  kind: z.enum(['promotion', 'reapproval', 'demotion', 'retirement']),
  evaluationId: z.string().nullable(),
  from: z.enum(STAGES),
  to: z.enum(STAGES),
  reason: z.string().nullable(),
  changedBy: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<StageChangeView>;

export class StageChangeResultDto extends createZodDto(
  z.object({ stageChange: stageChangeSchema, aiUseCase: aiUseCaseSchema }),
) {}
export class StageChangeListDto extends createZodDto(z.array(stageChangeSchema)) {}

const pilotObservationSchema = z.object({
  id: z.string(),
  aiUseCaseId: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  cases: z.number().int(),
  overrides: z.number().int(),
  undone: z.number().int(),
  complaints: z.number().int(),
  incidents: z.number().int(),
  positiveFeedback: z.number().int(),
  negativeFeedback: z.number().int(),
  notes: z.string().nullable(),
  recordedBy: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<PilotObservationView>;

export class PilotObservationViewDto extends createZodDto(pilotObservationSchema) {}
export class PilotObservationListDto extends createZodDto(z.array(pilotObservationSchema)) {}

export class PublishTransparencyRecordDto extends createZodDto(
  z.strictObject({
    redactions: z
      .array(z.enum(REDACTABLE_FIELDS))
      .max(REDACTABLE_FIELDS.length)
      .optional()
      .describe('Fields withheld under the ATRS scope and exemptions policy.'),
    redactionReason: z
      .string()
      .trim()
      .min(3)
      .max(1000)
      .optional()
      .describe('Shown in place of each withheld field.'),
  }),
) {}

export class PublishedTransparencyRecordDto extends createZodDto(
  z.object({
    record: z
      .record(z.string(), z.unknown())
      .describe('The ATRS-shaped record, as the public register serves it.'),
    publishedAt: z.string(),
    updatedAt: z.string(),
  }),
) {}
