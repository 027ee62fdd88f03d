/**
 * The record of one AI-enabled service change: a superset of the Algorithmic Transparency Recording
 * Standard (ATRS) Tier 1 and Tier 2 fields plus what the gates need (decision role, human involvement,
 * UK GDPR Art. 22A-22D flags, Equality Act protected characteristics, impact assessments).
 * Field-by-field sources: shared/research/standards-and-inspect.md section 5.1.
 */

export const SERVICE_DOMAINS = [
  'benefits',
  'health',
  'social_care',
  'justice',
  'policing',
  'immigration',
  'education',
  'employment',
  'housing',
  'tax',
  'transport',
  'local_services',
  'internal_operations',
  'other',
] as const;
export type ServiceDomain = (typeof SERVICE_DOMAINS)[number];

/** Domains that the EU AI Act's Annex III and the ATRS scope treat as high-stakes for individuals. */
export const HIGH_STAKES_DOMAINS: readonly ServiceDomain[] = [
  'benefits',
  'health',
  'social_care',
  'justice',
  'policing',
  'immigration',
  'education',
  'employment',
];

export const DECISION_ROLES = ['assistive', 'recommends', 'decides'] as const;
export type DecisionRole = (typeof DECISION_ROLES)[number];

/** Equality Act 2010, s.4. */
export const PROTECTED_CHARACTERISTICS = [
  'age',
  'disability',
  'gender_reassignment',
  'marriage_and_civil_partnership',
  'pregnancy_and_maternity',
  'race',
  'religion_or_belief',
  'sex',
  'sexual_orientation',
] as const;
export type ProtectedCharacteristic = (typeof PROTECTED_CHARACTERISTICS)[number];

export const AI_TYPES = ['rule_based', 'machine_learning', 'generative', 'agentic'] as const;
export type AiType = (typeof AI_TYPES)[number];

export const LIKELIHOODS = ['low', 'medium', 'high'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];

export const ASSESSMENT_KINDS = [
  'dpia',
  'eqia',
  'security',
  'human_rights',
  'accessibility',
  'playbook_self_assessment',
] as const;
export type AssessmentKind = (typeof ASSESSMENT_KINDS)[number];

export const ASSESSMENT_STATUSES = [
  'not_started',
  'in_progress',
  'completed',
  'approved',
  'not_required',
] as const;
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

export interface ResponsiblePerson {
  name: string;
  role: string;
  email?: string;
}

export interface Supplier {
  name: string;
  companiesHouseNumber?: string;
  role: string;
  procurementRoute?: string;
  dataAccessTerms?: string;
}

export interface ModelComponent {
  name: string;
  provider: string;
  version?: string;
  hosting?: 'vendor_api' | 'cloud_tenancy' | 'self_hosted' | 'on_device';
  task?: string;
  fineTuned?: boolean;
}

export interface DataSource {
  name: string;
  description?: string;
  source?: string;
  sensitiveAttributes?: string[];
  completenessAndRepresentativeness?: string;
  retention?: string;
}

export interface RiskEntry {
  description: string;
  likelihood: Likelihood;
  impact: Likelihood;
  mitigation: string;
  owner?: string;
}

export interface ImpactAssessment {
  kind: AssessmentKind;
  status: AssessmentStatus;
  link?: string;
  /** ISO date (YYYY-MM-DD) the assessment was completed or approved. */
  date?: string;
  approvedBy?: string;
  notes?: string;
}

export interface AiUseCaseRecord {
  /** Tier 1: the name of the tool or service change. */
  name: string;
  /** Tier 1: one plain-English sentence on what it does and why. */
  summary: string;
  organisation?: string;
  serviceArea?: string;
  domain: ServiceDomain;
  publicContactEmail?: string;
  websiteUrl?: string;
  tags?: string[];
  ownership: {
    seniorResponsibleOwner: ResponsiblePerson;
    productOwner?: ResponsiblePerson;
    technicalLead?: ResponsiblePerson;
    assuranceLead?: ResponsiblePerson;
    dataProtectionOfficer?: ResponsiblePerson;
  };
  suppliers?: Supplier[];
  purpose: {
    problemStatement: string;
    description?: string;
    inScope: string[];
    outOfScope: string[];
    alternativesConsidered?: string;
  };
  benefits: {
    expected: string;
    /** What is done today and how well, so the pilot can be judged against it. */
    baseline?: string;
    successCriteria?: string[];
  };
  decision: {
    role: DecisionRole;
    /** Who reviews what the tool produces, with what authority, and how they can disagree with it. */
    humanInvolvement: string;
    /** The tool's output feeds a decision about a particular person. */
    aboutIndividuals: boolean;
    /** UK GDPR Art. 22A: the decision has legal or similarly significant effects on the person. */
    significantDecision: boolean;
    /** Some decisions are taken with no meaningful human involvement. */
    solelyAutomated: boolean;
    frequencyAndScale?: string;
    staffTraining?: string;
    appealsAndRedress?: string;
  };
  people: {
    userGroups: string[];
    affectedGroups: string[];
    protectedCharacteristicsInScope: ProtectedCharacteristic[];
    vulnerableUsers: boolean;
    children: boolean;
    publicFacing: boolean;
  };
  technology: {
    aiType: AiType;
    architecture?: string;
    models: ModelComponent[];
  };
  data: {
    personalData: boolean;
    specialCategoryData: boolean;
    specialCategoryCondition?: string;
    lawfulBasis?: string;
    sources: DataSource[];
  };
  risks: RiskEntry[];
  impactAssessments: ImpactAssessment[];
  operations?: {
    killSwitch?: string;
    monitoring?: string;
    incidentProcess?: string;
  };
}
