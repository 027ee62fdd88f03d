import {
  type AiType,
  type AiUseCaseRecord,
  type AssessmentKind,
  type AssessmentStatus,
  type DecisionRole,
  type Likelihood,
  type ModelComponent,
  type ProtectedCharacteristic,
  type ServiceDomain,
} from '../ai-use-cases/ai-use-case-record';
import { type RiskTier, type Stage } from '../ai-use-cases/stage';
import { DomainError, type FieldProblem } from '../errors/domain-error';
import { type GateTarget } from '../gates/gate-policy';

/**
 * The public transparency record of an AI use case, shaped like the Algorithmic Transparency Recording
 * Standard (ATRS): a Tier 1 summary for the general public and Tier 2 sections (owner and responsibility,
 * description and rationale, decision-making process, tool specification, data, model performance, risks
 * and impact assessments), per shared/research/standards-and-inspect.md §3.2. It is generated from the
 * use-case record and the latest approved gate evaluation, never typed in by hand.
 *
 * People appear by role only: the senior responsible owner's role title is published, but no name or email
 * of any individual (the record's people, risk owners and assessment approvers stay internal). The public
 * contact is the record's `publicContactEmail`, which is there to be published.
 */
export const TRANSPARENCY_RECORD_FORMAT = 'gatehouse.transparency-record/v1';
/** The ATRS template the sections follow (field labels reconstructed from published records). */
export const ATRS_TEMPLATE_VERSION = '3.0';

/**
 * Fields that may be withheld under the ATRS Mandatory Scope and Exemptions Policy (security, commercial
 * sensitivity, prejudice to an investigation…). The Tier 1 summary, the owner, the decision role and human
 * oversight, the lawful basis and the gate verdict with its hash are always published.
 */
export const REDACTABLE_FIELDS = [
  'tier2.ownerAndResponsibility.thirdParties',
  'tier2.descriptionAndRationale.previousProcess',
  'tier2.descriptionAndRationale.alternativesConsidered',
  'tier2.decisionMaking.frequencyAndScale',
  'tier2.toolSpecification.architecture',
  'tier2.toolSpecification.models',
  'tier2.data.sources',
  'tier2.modelPerformance.metrics',
  'tier2.risks',
  'tier2.impactAssessments',
] as const;
export type RedactableField = (typeof REDACTABLE_FIELDS)[number];

export const DEFAULT_REDACTION_REASON =
  'Withheld under the Algorithmic Transparency Recording Standard scope and exemptions policy.';

export interface Redacted {
  redacted: true;
  reason: string;
}
export type Redactable<T> = T | Redacted;

export function isRedacted(value: unknown): value is Redacted {
  return typeof value === 'object' && value !== null && (value as { redacted?: unknown }).redacted === true;
}

/** ATRS's phase names for our stages. */
export type AtrsPhase = 'pre_deployment' | 'beta_pilot' | 'production' | 'retired';
export const ATRS_PHASE: Readonly<Record<Stage, AtrsPhase>> = {
  proposed: 'pre_deployment',
  test: 'pre_deployment',
  learn: 'beta_pilot',
  scale: 'production',
  retired: 'retired',
};

/** One metric of the approved gate evaluation, from the run it was read from. */
export interface ApprovedEvaluationMetric {
  suite: string;
  version: number;
  runId: string;
  metric: string;
  value: number | null;
  ciLower: number | null;
  ciUpper: number | null;
  n: number;
}

/** The latest approved gate evaluation of the use case: its model performance evidence. */
export interface ApprovedEvaluationSummary {
  to: GateTarget;
  verdict: 'pass' | 'fail';
  hash: string;
  approvedAt: string;
  /** When the evaluation was made, if known. */
  evaluatedAt?: string;
  metrics: ApprovedEvaluationMetric[];
}

export interface TransparencyRecordInput {
  id: string;
  name: string;
  teamName: string;
  stage: Stage;
  tier: RiskTier;
  record: AiUseCaseRecord;
  evaluation: ApprovedEvaluationSummary | null;
  /** ISO timestamp of this publication (the caller's clock: the builder reads none). */
  publishedAt: string;
  /** Paths from REDACTABLE_FIELDS to withhold. */
  redactions: readonly string[];
  /** Shown in place of every withheld field; defaults to DEFAULT_REDACTION_REASON. */
  redactionReason?: string;
}

export interface TransparencyThirdParty {
  name: string;
  companiesHouseNumber: string | null;
  role: string;
  procurementRoute: string | null;
  dataAccessTerms: string | null;
}

export interface TransparencyModel {
  name: string;
  provider: string;
  version: string | null;
  hosting: ModelComponent['hosting'] | null;
  task: string | null;
  fineTuned: boolean | null;
}

export interface TransparencyDataSource {
  name: string;
  description: string | null;
  source: string | null;
  sensitiveAttributes: string[];
  completenessAndRepresentativeness: string | null;
  retention: string | null;
}

export interface TransparencyRisk {
  description: string;
  likelihood: Likelihood;
  impact: Likelihood;
  mitigation: string;
}

export interface TransparencyImpactAssessment {
  kind: AssessmentKind;
  name: string;
  status: AssessmentStatus;
  date: string | null;
  link: string | null;
}

export interface TransparencyRecord {
  format: typeof TRANSPARENCY_RECORD_FORMAT;
  metadata: {
    aiUseCaseId: string;
    title: string;
    organisation: string | null;
    team: string;
    function: ServiceDomain;
    phase: AtrsPhase;
    stage: Stage;
    riskTier: RiskTier;
    publishedAt: string;
    atrsTemplateVersion: typeof ATRS_TEMPLATE_VERSION;
    /** Every withheld field, sorted: what is missing is itself public. */
    redactedFields: RedactableField[];
  };
  tier1: {
    name: string;
    description: string;
    websiteUrl: string | null;
    contactEmail: string | null;
  };
  tier2: {
    ownerAndResponsibility: {
      organisation: string | null;
      team: string;
      serviceArea: string | null;
      /** ATRS 1.3: the role, not the person. */
      seniorResponsibleOwnerRole: string;
      thirdParties: Redactable<TransparencyThirdParty[]>;
    };
    descriptionAndRationale: {
      detailedDescription: string;
      problemStatement: string;
      inScope: string[];
      outOfScope: string[];
      benefits: string;
      successCriteria: string[];
      previousProcess: Redactable<string | null>;
      alternativesConsidered: Redactable<string | null>;
    };
    decisionMaking: {
      decisionRole: DecisionRole;
      humanOversight: string;
      aboutIndividuals: boolean;
      significantDecision: boolean;
      solelyAutomated: boolean;
      frequencyAndScale: Redactable<string | null>;
      staffTraining: string | null;
      appealsAndRedress: string | null;
      userGroups: string[];
      affectedGroups: string[];
      protectedCharacteristicsInScope: ProtectedCharacteristic[];
      publicFacing: boolean;
      children: boolean;
      vulnerableUsers: boolean;
    };
    toolSpecification: {
      aiType: AiType;
      phase: AtrsPhase;
      architecture: Redactable<string | null>;
      models: Redactable<TransparencyModel[]>;
    };
    data: {
      personalData: boolean;
      specialCategoryData: boolean;
      specialCategoryCondition: string | null;
      lawfulBasis: string | null;
      sources: Redactable<TransparencyDataSource[]>;
    };
    modelPerformance: {
      /** The approved evaluation the figures come from; its hash lets anyone check them against the audit log. */
      evaluation: {
        gate: GateTarget;
        verdict: 'pass' | 'fail';
        hash: string;
        evaluatedAt: string | null;
        approvedAt: string;
      } | null;
      metrics: Redactable<ApprovedEvaluationMetric[]>;
    };
    risks: Redactable<TransparencyRisk[]>;
    impactAssessments: Redactable<TransparencyImpactAssessment[]>;
  };
}

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

// ---------------------------------------------------------------------------------------------------
// A readable form: ordered sections of label/value rows that a page renders without knowing the shape.

export interface TransparencySection {
  heading: string;
  rows: { label: string; value: string }[];
}

const NOT_RECORDED = 'Not recorded';
const yesNo = (value: boolean) => (value ? 'Yes' : 'No');
const words = (value: string) => value.replace(/_/g, ' ');
const sentence = (value: string) => (value ? value[0].toUpperCase() + value.slice(1) : value);
const text = (value: string | null) => (value === null || value.trim() === '' ? NOT_RECORDED : value);
const list = (values: readonly string[]) => (values.length === 0 ? 'None recorded' : values.join('; '));
const withheld = (value: Redacted) => `Withheld: ${value.reason}`;

const PHASE_LABELS: Readonly<Record<AtrsPhase, string>> = {
  pre_deployment: 'Pre-deployment',
  beta_pilot: 'Beta/pilot',
  production: 'Production',
  retired: 'Retired',
};

const DECISION_ROLE_LABELS: Readonly<Record<DecisionRole, string>> = {
  assistive: 'Assistive: it helps people do their work; people make every decision',
  recommends: 'Recommends: it suggests an outcome that a person confirms or changes',
  decides: 'Decides: it makes the decision',
};

const AI_TYPE_LABELS: Readonly<Record<AiType, string>> = {
  rule_based: 'Rule-based',
  machine_learning: 'Machine learning',
  generative: 'Generative AI',
  agentic: 'Agentic AI',
};

const HOSTING_LABELS: Readonly<Record<NonNullable<ModelComponent['hosting']>, string>> = {
  vendor_api: "the supplier's API",
  cloud_tenancy: 'our cloud tenancy',
  self_hosted: 'our own infrastructure',
  on_device: 'on the device',
};

/** `0.03846` → `0.0385`: enough digits to read, the same string every time. */
function figure(value: number | null): string {
  return value === null ? 'not computed' : String(Math.round(value * 10_000) / 10_000);
}

/** A scalar field: its text, or "Withheld: …". */
function field(value: Redactable<string | null>): string {
  return isRedacted(value) ? withheld(value) : text(value);
}

/** A list field: one row per entry, or one row saying it is withheld or empty. */
function rowsOf<T>(
  value: Redactable<T[]>,
  label: string,
  row: (item: T, index: number) => { label: string; value: string },
): { label: string; value: string }[] {
  if (isRedacted(value)) {
    return [{ label, value: withheld(value) }];
  }
  return value.length === 0 ? [{ label, value: 'None recorded' }] : value.map(row);
}

function describeModel(model: TransparencyModel): string {
  return [
    `provided by ${model.provider}`,
    model.version && `version ${model.version}`,
    model.hosting && `hosted on ${HOSTING_LABELS[model.hosting]}`,
    model.task && `used for ${model.task}`,
    model.fineTuned === null ? null : model.fineTuned ? 'fine-tuned' : 'not fine-tuned',
  ]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(', ');
}

function describeSource(source: TransparencyDataSource): string {
  return [
    source.description,
    source.source && `Source: ${source.source}`,
    source.sensitiveAttributes.length > 0 && `Sensitive attributes: ${source.sensitiveAttributes.join(', ')}`,
    source.completenessAndRepresentativeness &&
      `Completeness and representativeness: ${source.completenessAndRepresentativeness}`,
    source.retention && `Retention: ${source.retention}`,
  ]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join('. ');
}

function describeMetric(m: ApprovedEvaluationMetric): string {
  const interval =
    m.ciLower !== null && m.ciUpper !== null
      ? ` (95% interval ${figure(m.ciLower)} to ${figure(m.ciUpper)})`
      : '';
  return `${figure(m.value)}${interval}, n = ${m.n}, run ${m.runId}`;
}

/**
 * The record as ordered sections of label/value rows (Tier 1 first, then the Tier 2 sections in ATRS
 * order, then what the record is): every value is already a string, withheld fields say so.
 */
export function transparencyRecordSections(record: TransparencyRecord): TransparencySection[] {
  const { metadata, tier1, tier2 } = record;
  const owner = tier2.ownerAndResponsibility;
  const rationale = tier2.descriptionAndRationale;
  const decision = tier2.decisionMaking;
  const tool = tier2.toolSpecification;
  const performance = tier2.modelPerformance;
  return [
    {
      heading: 'Summary',
      rows: [
        { label: 'Name', value: tier1.name },
        { label: 'Description', value: tier1.description },
        { label: 'Website', value: text(tier1.websiteUrl) },
        { label: 'Contact email', value: text(tier1.contactEmail) },
      ],
    },
    {
      heading: '1. Owner and responsibility',
      rows: [
        { label: 'Organisation', value: text(owner.organisation) },
        { label: 'Team', value: owner.team },
        { label: 'Service area', value: text(owner.serviceArea) },
        { label: 'Senior responsible owner (role)', value: owner.seniorResponsibleOwnerRole },
        ...rowsOf(owner.thirdParties, 'Third parties', (s) => ({
          label: `Third party: ${s.name}`,
          value: [
            s.role,
            s.companiesHouseNumber && `Companies House number ${s.companiesHouseNumber}`,
            s.procurementRoute && `Procurement: ${s.procurementRoute}`,
            s.dataAccessTerms && `Data access terms: ${s.dataAccessTerms}`,
          ]
            .filter((part): part is string => typeof part === 'string' && part !== '')
            .join('. '),
        })),
      ],
    },
    {
      heading: '2. Description and rationale',
      rows: [
        { label: 'Detailed description', value: rationale.detailedDescription },
        { label: 'Problem it addresses', value: rationale.problemStatement },
        { label: 'What it is for', value: list(rationale.inScope) },
        { label: 'What it is not for', value: list(rationale.outOfScope) },
        { label: 'Benefits', value: rationale.benefits },
        { label: 'Success criteria', value: list(rationale.successCriteria) },
        { label: 'Previous process', value: field(rationale.previousProcess) },
        { label: 'Alternatives considered', value: field(rationale.alternativesConsidered) },
      ],
    },
    {
      heading: '3. Decision-making process',
      rows: [
        { label: 'Role in decisions', value: DECISION_ROLE_LABELS[decision.decisionRole] },
        { label: 'Human decisions and review', value: decision.humanOversight },
        { label: 'Informs decisions about individuals', value: yesNo(decision.aboutIndividuals) },
        { label: 'Legal or similarly significant effects', value: yesNo(decision.significantDecision) },
        {
          label: 'Decisions taken with no meaningful human involvement',
          value: yesNo(decision.solelyAutomated),
        },
        { label: 'Frequency and scale of use', value: field(decision.frequencyAndScale) },
        { label: 'Required training', value: text(decision.staffTraining) },
        { label: 'Appeals and review', value: text(decision.appealsAndRedress) },
        { label: 'Who uses it', value: list(decision.userGroups) },
        { label: 'Who it affects', value: list(decision.affectedGroups) },
        {
          label: 'Protected characteristics in scope',
          value: list(decision.protectedCharacteristicsInScope.map(words)),
        },
        { label: 'Used directly by the public', value: yesNo(decision.publicFacing) },
        { label: 'Affects children', value: yesNo(decision.children) },
        { label: 'Affects people who may be vulnerable', value: yesNo(decision.vulnerableUsers) },
      ],
    },
    {
      heading: '4. Tool specification',
      rows: [
        { label: 'Type of AI', value: AI_TYPE_LABELS[tool.aiType] },
        { label: 'Phase', value: PHASE_LABELS[tool.phase] },
        { label: 'System architecture', value: field(tool.architecture) },
        ...rowsOf(tool.models, 'Models', (m) => ({ label: `Model: ${m.name}`, value: describeModel(m) })),
      ],
    },
    {
      heading: '4.3 Data',
      rows: [
        { label: 'Personal data', value: yesNo(tier2.data.personalData) },
        { label: 'Special category data', value: yesNo(tier2.data.specialCategoryData) },
        ...(tier2.data.specialCategoryData
          ? [{ label: 'Special category condition', value: text(tier2.data.specialCategoryCondition) }]
          : []),
        { label: 'Lawful basis', value: text(tier2.data.lawfulBasis) },
        ...rowsOf(tier2.data.sources, 'Data sources', (s) => ({
          label: `Data source: ${s.name}`,
          value: describeSource(s) || NOT_RECORDED,
        })),
      ],
    },
    {
      heading: '4.2.7 Model performance',
      rows: performance.evaluation
        ? [
            {
              label: 'Evidence',
              value: `Gate evaluation for the move to ${performance.evaluation.gate}: ${performance.evaluation.verdict === 'pass' ? 'passed' : 'failed'}`,
            },
            { label: 'Evaluation hash', value: performance.evaluation.hash },
            ...(performance.evaluation.evaluatedAt
              ? [{ label: 'Evaluated at', value: performance.evaluation.evaluatedAt }]
              : []),
            { label: 'Approved at', value: performance.evaluation.approvedAt },
            ...rowsOf(performance.metrics, 'Metrics', (m) => ({
              label: `${m.suite}@${m.version}: ${m.metric}`,
              value: describeMetric(m),
            })),
          ]
        : [{ label: 'Evidence', value: 'No gate evaluation has been approved yet' }],
    },
    {
      heading: '5.1 Impact assessments',
      rows: rowsOf(tier2.impactAssessments, 'Impact assessments', (a) => ({
        label: a.name,
        value: [sentence(words(a.status)), a.date && `on ${a.date}`, a.link && `(${a.link})`]
          .filter((part): part is string => typeof part === 'string' && part !== '')
          .join(' '),
      })),
    },
    {
      heading: '5.2 Risks and mitigations',
      rows: rowsOf(tier2.risks, 'Risks', (r, index) => ({
        label: `Risk ${index + 1}`,
        value: `${r.description} (likelihood ${r.likelihood}, impact ${r.impact}). Mitigation: ${r.mitigation}`,
      })),
    },
    {
      heading: 'About this record',
      rows: [
        { label: 'AI use case', value: metadata.aiUseCaseId },
        { label: 'Function', value: sentence(words(metadata.function)) },
        { label: 'Stage', value: `${metadata.stage} (${PHASE_LABELS[metadata.phase]})` },
        { label: 'Risk tier', value: metadata.riskTier },
        { label: 'Published', value: metadata.publishedAt },
        {
          label: 'Standard',
          value: `Algorithmic Transparency Recording Standard ${metadata.atrsTemplateVersion}`,
        },
        { label: 'Withheld fields', value: list(metadata.redactedFields) },
      ],
    },
  ];
}
