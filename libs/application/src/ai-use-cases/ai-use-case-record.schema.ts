import {
  AI_TYPES,
  type AiUseCaseRecord,
  ASSESSMENT_KINDS,
  ASSESSMENT_STATUSES,
  DECISION_ROLES,
  LIKELIHOODS,
  PROTECTED_CHARACTERISTICS,
  SERVICE_DOMAINS,
} from '@gatehouse/domain';
import { z } from 'zod';

/**
 * The wire and storage schema of an AI use case record (the domain type is AiUseCaseRecord; the
 * `satisfies` below keeps the two in step). Strict objects: an unknown field is an error, not silently
 * dropped. Every string and list has a limit so one request cannot store megabytes of text.
 */
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => value.trim().length > 0, 'must not be blank');
const shortText = text(200);
const longText = text(5000);
const list = <T extends z.ZodType>(item: T, max = 50) =>
  z.array(item).max(max, `must have at most ${max} entries`);
const isoDate = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });

const person = z.strictObject({
  name: shortText,
  role: shortText,
  email: z.email({ message: 'must be an email address' }).max(254).optional(),
});

export const aiUseCaseRecordSchema = z.strictObject({
  name: shortText,
  summary: text(500),
  organisation: shortText.optional(),
  serviceArea: shortText.optional(),
  domain: z.enum(SERVICE_DOMAINS),
  publicContactEmail: z.email({ message: 'must be an email address' }).max(254).optional(),
  websiteUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .max(2000)
    .optional(),
  tags: list(text(50), 20).optional(),
  ownership: z.strictObject({
    seniorResponsibleOwner: person,
    productOwner: person.optional(),
    technicalLead: person.optional(),
    assuranceLead: person.optional(),
    dataProtectionOfficer: person.optional(),
  }),
  suppliers: list(
    z.strictObject({
      name: shortText,
      companiesHouseNumber: z
        .string()
        .regex(/^[A-Z0-9]{8}$/, 'must be an 8-character Companies House number')
        .optional(),
      role: shortText,
      procurementRoute: shortText.optional(),
      dataAccessTerms: longText.optional(),
    }),
    20,
  ).optional(),
  purpose: z.strictObject({
    problemStatement: longText,
    description: longText.optional(),
    inScope: list(text(500)),
    outOfScope: list(text(500)),
    alternativesConsidered: longText.optional(),
  }),
  benefits: z.strictObject({
    expected: longText,
    baseline: longText.optional(),
    successCriteria: list(text(500)).optional(),
  }),
  decision: z.strictObject({
    role: z.enum(DECISION_ROLES),
    humanInvolvement: longText,
    aboutIndividuals: z.boolean(),
    significantDecision: z.boolean(),
    solelyAutomated: z.boolean(),
    frequencyAndScale: longText.optional(),
    staffTraining: longText.optional(),
    appealsAndRedress: longText.optional(),
  }),
  people: z.strictObject({
    userGroups: list(shortText),
    affectedGroups: list(shortText),
    protectedCharacteristicsInScope: list(
      z.enum(PROTECTED_CHARACTERISTICS),
      PROTECTED_CHARACTERISTICS.length,
    ),
    vulnerableUsers: z.boolean(),
    children: z.boolean(),
    publicFacing: z.boolean(),
  }),
  technology: z.strictObject({
    aiType: z.enum(AI_TYPES),
    architecture: longText.optional(),
    models: list(
      z.strictObject({
        name: shortText,
        provider: shortText,
        version: shortText.optional(),
        hosting: z.enum(['vendor_api', 'cloud_tenancy', 'self_hosted', 'on_device']).optional(),
        task: shortText.optional(),
        fineTuned: z.boolean().optional(),
      }),
      20,
    ),
  }),
  data: z.strictObject({
    personalData: z.boolean(),
    specialCategoryData: z.boolean(),
    specialCategoryCondition: longText.optional(),
    lawfulBasis: longText.optional(),
    sources: list(
      z.strictObject({
        name: shortText,
        description: longText.optional(),
        source: shortText.optional(),
        sensitiveAttributes: list(shortText, 20).optional(),
        completenessAndRepresentativeness: longText.optional(),
        retention: shortText.optional(),
      }),
      30,
    ),
  }),
  risks: list(
    z.strictObject({
      description: longText,
      likelihood: z.enum(LIKELIHOODS),
      impact: z.enum(LIKELIHOODS),
      mitigation: longText,
      owner: shortText.optional(),
    }),
    100,
  ),
  impactAssessments: list(
    z.strictObject({
      kind: z.enum(ASSESSMENT_KINDS),
      status: z.enum(ASSESSMENT_STATUSES),
      link: z
        .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
        .max(2000)
        .optional(),
      date: isoDate.optional(),
      approvedBy: shortText.optional(),
      notes: longText.optional(),
    }),
    ASSESSMENT_KINDS.length,
  ),
  operations: z
    .strictObject({
      killSwitch: longText.optional(),
      monitoring: longText.optional(),
      incidentProcess: longText.optional(),
    })
    .optional(),
}) satisfies z.ZodType<AiUseCaseRecord>;

/** What a registration may leave out: these lists start empty. */
export const newAiUseCaseRecordSchema = aiUseCaseRecordSchema.extend({
  risks: aiUseCaseRecordSchema.shape.risks.default([]),
  impactAssessments: aiUseCaseRecordSchema.shape.impactAssessments.default([]),
  purpose: aiUseCaseRecordSchema.shape.purpose.extend({
    inScope: aiUseCaseRecordSchema.shape.purpose.shape.inScope.default([]),
    outOfScope: aiUseCaseRecordSchema.shape.purpose.shape.outOfScope.default([]),
  }),
  technology: aiUseCaseRecordSchema.shape.technology.extend({
    models: aiUseCaseRecordSchema.shape.technology.shape.models.default([]),
  }),
  data: aiUseCaseRecordSchema.shape.data.extend({
    sources: aiUseCaseRecordSchema.shape.data.shape.sources.default([]),
  }),
});
