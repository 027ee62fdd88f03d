import {
  type IngestTokenListView,
  type IngestTokenView,
  type IssuedIngestTokenView,
  type LiveSettingsView,
  MAX_ACTIVE_INGEST_TOKENS,
  MAX_INGEST_TOKEN_NAME,
  MAX_LIVE_REASON,
} from '@gatehouse/application';
import { LIVE_SETTINGS_LIMITS as L } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const uuid = () => z.uuid({ message: 'must be a UUID' });

export class IngestTokenParamDto extends createZodDto(
  z.strictObject({
    id: uuid().describe('The AI use case.'),
    tokenId: uuid().describe('The ingest token (of that use case).'),
  }),
) {}

/*
 * The bodies are documented here and validated by the services (strictly, naming every bad field), so the
 * routes take them as `unknown` and the web pages get the same checks and messages.
 */

export class MintIngestTokenDto extends createZodDto(
  z.object({
    name: z
      .string()
      .min(1)
      .max(MAX_INGEST_TOKEN_NAME)
      .describe(
        `What the token is for, e.g. "payments-api production" (1-${MAX_INGEST_TOKEN_NAME} characters, one line).`,
      ),
  }),
) {}

export class RevokeIngestTokenDto extends createZodDto(
  z.object({
    reason: z
      .string()
      .max(MAX_LIVE_REASON)
      .optional()
      .describe('Why, for the audit log (an admin revoking a leaked token should say so).'),
  }),
) {}

const bounded = (limit: { min: number; max: number; integer: boolean }, description: string) => {
  const n = limit.integer ? z.number().int() : z.number();
  return n.min(limit.min).max(limit.max).describe(`${description} (${limit.min}-${limit.max}).`);
};

const driftSchema = z
  .object({
    windowDays: bounded(L.windowDays, 'Days of live traffic the drift watch compares with the evaluation'),
    minCases: bounded(L.minCases, 'Scored live interactions needed in the window before the watch alerts'),
    rateMargin: bounded(
      L.rateMargin,
      "How far a guardrail failure rate's lower 95% bound may rise above the evaluation-time rate",
    ),
    lengthRatio: bounded(L.lengthRatio, 'How far the median input length may move (either way), as a ratio'),
  })
  .meta({ id: 'LiveDriftPolicy' });

const settingsFields = {
  sampleRate: bounded(L.sampleRate, 'Share of traces scored online, decided per trace id'),
  captureText: z
    .boolean()
    .describe('Keep prompts and completions at all (false: only counts, lengths and scores are kept).'),
  redactPii: z
    .boolean()
    .describe('Redact UK personal data from captured text before it is stored (the PII guardrail).'),
  retentionDays: bounded(L.retentionDays, 'Days captured text is kept; then only scores and counts remain'),
  judgeCallsPerDay: bounded(L.judgeCallsPerDay, 'Model-judge calls per day online scoring may spend'),
  reevaluateEveryDays: bounded(
    L.reevaluateEveryDays,
    "Re-run the gate's suites against the registered target every this many days; null: never",
  ).nullable(),
  drift: driftSchema,
};

export class PutLiveSettingsDto extends createZodDto(
  z.object({
    ...settingsFields,
    reason: z
      .string()
      .max(MAX_LIVE_REASON)
      .optional()
      .describe(
        'Why, for the audit log. Required (at least 3 characters) when the change starts keeping captured text unredacted (captureText true, redactPii false).',
      ),
  }),
) {}

const settingsViewSchema = z.object({
  aiUseCaseId: z.uuid(),
  ...settingsFields,
  stored: z.boolean().describe('False while the use case never set any: these are the defaults.'),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
}) satisfies z.ZodType<LiveSettingsView>;

export class LiveSettingsDto extends createZodDto(settingsViewSchema) {}

const tokenFields = {
  id: z.uuid(),
  aiUseCaseId: z.uuid(),
  name: z.string(),
  displayPrefix: z.string().describe('The first characters of the token, to tell tokens apart.'),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  active: z.boolean().describe('Not revoked: the ingest endpoints accept it.'),
};

const tokenSchema = z.object(tokenFields).meta({ id: 'IngestToken' }) satisfies z.ZodType<IngestTokenView>;

export class IssuedIngestTokenDto extends createZodDto(
  z.object({
    ...tokenFields,
    token: z
      .string()
      .describe(
        'The token, shown this once: send it as `Authorization: Bearer <token>` to the ingest endpoints. Gatehouse keeps only its sha256.',
      ),
  }) satisfies z.ZodType<IssuedIngestTokenView>,
) {}

export class IngestTokenListDto extends createZodDto(
  z.object({
    items: z.array(tokenSchema).describe('Newest first, revoked ones included; never a secret.'),
    active: z.number().int().describe('Tokens not revoked.'),
    maxActive: z
      .number()
      .int()
      .describe(`The most a use case may have at once (${MAX_ACTIVE_INGEST_TOKENS}).`),
  }) satisfies z.ZodType<IngestTokenListView>,
) {}
