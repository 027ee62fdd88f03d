import { type AiType, type DecisionRole, type ModelComponent } from '../ai-use-cases/ai-use-case-record';
import {
  type ApprovedEvaluationMetric,
  type AtrsPhase,
  isRedacted,
  type Redactable,
  type Redacted,
  type TransparencyDataSource,
  type TransparencyModel,
  type TransparencyRecord,
} from './transparency-record-types';

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
            ...(performance.pilot
              ? [
                  {
                    label: 'Pilot evidence',
                    value: performance.pilot.window
                      ? `${performance.pilot.description} (${performance.pilot.window.since.slice(0, 10)} to ${performance.pilot.window.until.slice(0, 10)})`
                      : performance.pilot.description,
                  },
                  ...performance.pilot.measures.map((m) => ({
                    label: `Pilot: ${m.rule}`,
                    value: `${m.verdict === 'pass' ? 'met' : m.verdict === 'fail' ? 'not met' : 'not enough evidence'}${m.value === null ? '' : ` (${m.value.toFixed(3)})`}`,
                  })),
                ]
              : []),
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
