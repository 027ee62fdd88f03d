import { type AssessmentKind } from '../ai-use-cases/ai-use-case-record';
import { DomainError, type FieldProblem } from '../errors/domain-error';
import {
  type ApprovedEvaluationMetric,
  ATRS_PHASE,
  ATRS_TEMPLATE_VERSION,
  DEFAULT_REDACTION_REASON,
  REDACTABLE_FIELDS,
  type Redactable,
  type RedactableField,
  TRANSPARENCY_RECORD_FORMAT,
  type TransparencyRecord,
  type TransparencyRecordInput,
} from './transparency-record-types';

// The record's shape, its redactable fields and its format are in transparency-record-types.ts; its
// readable form (label/value sections for a page) in transparency-record-sections.ts.
export * from './transparency-record-types';
export * from './transparency-record-sections';

/** How a published record says where the pilot figures came from. */
export const PILOT_SOURCE_DESCRIPTIONS: Record<'live' | 'recorded', string> = {
  live: 'Measured from live use: traces and feedback the service sent, counted by Gatehouse',
  recorded: 'Recorded by the team: pilot observations typed in by the service team',
};

const ASSESSMENT_NAMES: Readonly<Record<AssessmentKind, string>> = {
  dpia: 'Data protection impact assessment (DPIA)',
  eqia: 'Equality impact assessment (EqIA)',
  security: 'Security review',
  human_rights: 'Human rights impact assessment',
  accessibility: 'Accessibility review',
  playbook_self_assessment: 'AI Playbook self-assessment',
};

const orNull = <T>(value: T | undefined): T | null => value ?? null;

const isTimestamp = (value: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
  !Number.isNaN(Date.parse(value));

function checkInput(input: TransparencyRecordInput): Set<RedactableField> {
  const known = new Set<string>(REDACTABLE_FIELDS);
  const problems: FieldProblem[] = input.redactions.flatMap((path, index) =>
    known.has(path)
      ? []
      : [
          {
            field: `redactions[${index}]`,
            message: `"${path}" is not a field that can be withheld; one of: ${REDACTABLE_FIELDS.join(', ')}`,
            code: 'unknown_redaction_field',
          },
        ],
  );
  if (!isTimestamp(input.publishedAt)) {
    problems.push({ field: 'publishedAt', message: 'must be an ISO timestamp', code: 'invalid_timestamp' });
  }
  if (input.redactionReason !== undefined && input.redactionReason.trim() === '') {
    problems.push({ field: 'redactionReason', message: 'must not be blank', code: 'blank' });
  }
  if (problems.length > 0) {
    throw DomainError.validation(problems, 'The transparency record cannot be built.');
  }
  return new Set(input.redactions as RedactableField[]);
}

const byMetric = (a: ApprovedEvaluationMetric, b: ApprovedEvaluationMetric) =>
  compare(a.suite, b.suite) ||
  a.version - b.version ||
  compare(a.metric, b.metric) ||
  compare(a.runId, b.runId);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the ATRS-shaped record. Pure and deterministic: the same input gives the same record (metrics are
 * sorted; no clock is read). Throws a validation DomainError naming any redaction path that is not in
 * REDACTABLE_FIELDS, or a publishedAt that is not a timestamp.
 */
export function buildTransparencyRecord(input: TransparencyRecordInput): TransparencyRecord {
  const withheld = checkInput(input);
  const reason = input.redactionReason?.trim() ?? DEFAULT_REDACTION_REASON;
  const unless = <T>(field: RedactableField, value: T): Redactable<T> =>
    withheld.has(field) ? { redacted: true, reason } : value;
  const { record, evaluation } = input;
  const phase = ATRS_PHASE[input.stage];

  return {
    format: TRANSPARENCY_RECORD_FORMAT,
    metadata: {
      aiUseCaseId: input.id,
      title: input.name,
      organisation: orNull(record.organisation),
      team: input.teamName,
      function: record.domain,
      phase,
      stage: input.stage,
      riskTier: input.tier,
      publishedAt: input.publishedAt,
      atrsTemplateVersion: ATRS_TEMPLATE_VERSION,
      redactedFields: REDACTABLE_FIELDS.filter((field) => withheld.has(field)).sort(),
    },
    tier1: {
      name: input.name,
      description: record.summary,
      websiteUrl: orNull(record.websiteUrl),
      contactEmail: orNull(record.publicContactEmail),
    },
    tier2: {
      ownerAndResponsibility: {
        organisation: orNull(record.organisation),
        team: input.teamName,
        serviceArea: orNull(record.serviceArea),
        seniorResponsibleOwnerRole: record.ownership.seniorResponsibleOwner.role,
        thirdParties: unless(
          'tier2.ownerAndResponsibility.thirdParties',
          (record.suppliers ?? []).map((s) => ({
            name: s.name,
            companiesHouseNumber: orNull(s.companiesHouseNumber),
            role: s.role,
            procurementRoute: orNull(s.procurementRoute),
            dataAccessTerms: orNull(s.dataAccessTerms),
          })),
        ),
      },
      descriptionAndRationale: {
        detailedDescription: record.purpose.description ?? record.summary,
        problemStatement: record.purpose.problemStatement,
        inScope: [...record.purpose.inScope],
        outOfScope: [...record.purpose.outOfScope],
        benefits: record.benefits.expected,
        successCriteria: [...(record.benefits.successCriteria ?? [])],
        previousProcess: unless(
          'tier2.descriptionAndRationale.previousProcess',
          orNull(record.benefits.baseline),
        ),
        alternativesConsidered: unless(
          'tier2.descriptionAndRationale.alternativesConsidered',
          orNull(record.purpose.alternativesConsidered),
        ),
      },
      decisionMaking: {
        decisionRole: record.decision.role,
        humanOversight: record.decision.humanInvolvement,
        aboutIndividuals: record.decision.aboutIndividuals,
        significantDecision: record.decision.significantDecision,
        solelyAutomated: record.decision.solelyAutomated,
        frequencyAndScale: unless(
          'tier2.decisionMaking.frequencyAndScale',
          orNull(record.decision.frequencyAndScale),
        ),
        staffTraining: orNull(record.decision.staffTraining),
        appealsAndRedress: orNull(record.decision.appealsAndRedress),
        userGroups: [...record.people.userGroups],
        affectedGroups: [...record.people.affectedGroups],
        protectedCharacteristicsInScope: [...record.people.protectedCharacteristicsInScope],
        publicFacing: record.people.publicFacing,
        children: record.people.children,
        vulnerableUsers: record.people.vulnerableUsers,
      },
      toolSpecification: {
        aiType: record.technology.aiType,
        phase,
        architecture: unless('tier2.toolSpecification.architecture', orNull(record.technology.architecture)),
        models: unless(
          'tier2.toolSpecification.models',
          record.technology.models.map((m) => ({
            name: m.name,
            provider: m.provider,
            version: orNull(m.version),
            hosting: orNull(m.hosting),
            task: orNull(m.task),
            fineTuned: orNull(m.fineTuned),
          })),
        ),
      },
      data: {
        personalData: record.data.personalData,
        specialCategoryData: record.data.specialCategoryData,
        specialCategoryCondition: orNull(record.data.specialCategoryCondition),
        lawfulBasis: orNull(record.data.lawfulBasis),
        sources: unless(
          'tier2.data.sources',
          record.data.sources.map((s) => ({
            name: s.name,
            description: orNull(s.description),
            source: orNull(s.source),
            sensitiveAttributes: [...(s.sensitiveAttributes ?? [])],
            completenessAndRepresentativeness: orNull(s.completenessAndRepresentativeness),
            retention: orNull(s.retention),
          })),
        ),
      },
      modelPerformance: {
        evaluation: evaluation && {
          gate: evaluation.to,
          verdict: evaluation.verdict,
          hash: evaluation.hash,
          evaluatedAt: orNull(evaluation.evaluatedAt),
          approvedAt: evaluation.approvedAt,
        },
        metrics: unless(
          'tier2.modelPerformance.metrics',
          (evaluation?.metrics ?? [])
            .map((m) => ({
              suite: m.suite,
              version: m.version,
              runId: m.runId,
              metric: m.metric,
              value: m.value,
              ciLower: m.ciLower,
              ciUpper: m.ciUpper,
              n: m.n,
            }))
            .sort(byMetric),
        ),
        ...(evaluation?.pilot
          ? {
              pilot: {
                source: evaluation.pilot.source,
                description: PILOT_SOURCE_DESCRIPTIONS[evaluation.pilot.source],
                window: evaluation.pilot.window && { ...evaluation.pilot.window },
                measures: evaluation.pilot.measures.map((m) => ({ ...m })),
              },
            }
          : {}),
      },
      risks: unless(
        'tier2.risks',
        record.risks.map((r) => ({
          description: r.description,
          likelihood: r.likelihood,
          impact: r.impact,
          mitigation: r.mitigation,
        })),
      ),
      impactAssessments: unless(
        'tier2.impactAssessments',
        record.impactAssessments.map((a) => ({
          kind: a.kind,
          name: ASSESSMENT_NAMES[a.kind],
          status: a.status,
          date: orNull(a.date),
          link: orNull(a.link),
        })),
      ),
    },
  };
}
