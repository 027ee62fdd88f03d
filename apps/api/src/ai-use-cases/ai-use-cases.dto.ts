import {
  aiUseCaseRecordSchema,
  type AiUseCaseRevisionView,
  type AiUseCaseView,
  newAiUseCaseRecordSchema,
} from '@gatehouse/application';
import { RISK_TIERS, STAGES } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paged, pagination } from '../http/common.dto';

const recordSchema = aiUseCaseRecordSchema.meta({ id: 'AiUseCaseRecord' });

export class RegisterAiUseCaseDto extends createZodDto(
  z.strictObject({
    ownerTeamId: z.uuid({ message: 'must be a UUID' }).optional().describe('Defaults to your own team.'),
    record: newAiUseCaseRecordSchema.meta({ id: 'NewAiUseCaseRecord' }),
  }),
) {}

export class UpdateAiUseCaseDto extends createZodDto(
  z.strictObject({
    changes: z
      .record(z.string(), z.unknown())
      .describe('A JSON Merge Patch (RFC 7396) of the record: objects merge, null removes, arrays replace.'),
    reason: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('Why the record changes; kept with the revision.'),
    expectedRevision: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Refuse the change (412) unless the use case is still at this revision.'),
  }),
) {}

export class OverrideRiskTierDto extends createZodDto(
  z.strictObject({
    tier: z.enum(RISK_TIERS),
    reason: z
      .string()
      .min(10, 'must explain the override in at least 10 characters')
      .max(2000)
      .refine((v) => v.trim().length >= 10, 'must explain the override in at least 10 characters'),
  }),
) {}

export class AiUseCaseListQueryDto extends createZodDto(
  z.strictObject({
    stage: z.enum(STAGES).optional(),
    riskTier: z.enum(RISK_TIERS).optional(),
    teamId: z.uuid({ message: 'must be a UUID' }).optional(),
    ...pagination,
  }),
) {}

const reasonSchema = z.object({ criterion: z.string(), tier: z.enum(RISK_TIERS), explanation: z.string() });
const overrideSchema = z.object({
  tier: z.enum(RISK_TIERS),
  reason: z.string(),
  derivedTier: z.enum(RISK_TIERS),
  decidedBy: z.string(),
  decidedAt: z.string(),
});

export const aiUseCaseSchema = z.object({
  id: z.string(),
  name: z.string(),
  ownerTeam: z.object({ id: z.string(), name: z.string() }),
  stage: z.enum(STAGES),
  riskTier: z.enum(RISK_TIERS).describe('The tier that chooses the gate policy.'),
  derivedRiskTier: z.enum(RISK_TIERS).describe('The tier the record implies.'),
  riskTierReasons: z.array(reasonSchema),
  riskTierOverride: overrideSchema.nullable(),
  revision: z.number().int(),
  record: recordSchema,
  target: z
    .object({
      config: z.record(z.string(), z.unknown()),
      hash: z.string(),
      cassettes: z
        .record(z.string(), z.string())
        .nullable()
        .describe(
          'For a replay target: the cassettes (name → sha256) pinned at registration; its runs replay exactly these.',
        ),
    })
    .nullable()
    .describe('The registered system under test: gate rules read only runs against this configuration.'),
  underChangeSince: z
    .string()
    .nullable()
    .describe(
      'Set when the target changed at learn or scale, or the live service attested a configuration the reviewers did not approve, until a re-evaluation is approved.',
    ),
  underReviewSince: z
    .string()
    .nullable()
    .describe(
      'Set when the watch found something reviewers must look at (a scheduled re-evaluation regressed, evidence about to expire, a live rate drifted), until a re-evaluation is approved.',
    ),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<AiUseCaseView>;

export class RegisterTargetDto extends createZodDto(
  z.strictObject({
    target: z
      .record(z.string(), z.unknown())
      .describe("A target configuration, validated like a suite's `target` (secrets named by env variable)."),
    reason: z.string().trim().min(1).max(2000).optional(),
  }),
) {}

export class AiUseCaseDto extends createZodDto(aiUseCaseSchema) {}
export class AiUseCasePageDto extends createZodDto(paged(aiUseCaseSchema.meta({ id: 'AiUseCase' }))) {}

const revisionSchema = z.object({
  revision: z.number().int(),
  stage: z.enum(STAGES),
  riskTier: z.enum(RISK_TIERS),
  derivedRiskTier: z.enum(RISK_TIERS),
  changedPaths: z.array(z.string()),
  changeReason: z.string().nullable(),
  changedBy: z.string(),
  createdAt: z.string(),
  record: recordSchema,
}) satisfies z.ZodType<AiUseCaseRevisionView>;
export class AiUseCaseRevisionListDto extends createZodDto(
  z.array(revisionSchema.meta({ id: 'AiUseCaseRevision' })),
) {}
