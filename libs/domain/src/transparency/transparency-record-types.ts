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

/**
 * The pilot evidence an approved evaluation's pilot rules read: measured from live use (traces and feedback
 * over a window) or recorded by the team, with each pilot rule's verdict and number.
 */
export interface ApprovedPilotEvidence {
  source: 'live' | 'recorded';
  window: { since: string; until: string } | null;
  measures: { rule: string; verdict: 'pass' | 'fail' | 'missing'; value: number | null }[];
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
  /** Present when the evaluation had pilot rules. */
  pilot?: ApprovedPilotEvidence;
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
      /**
       * Present when the approved evaluation had pilot rules: where the pilot figures came from ("measured
       * from live use" or "recorded by the team") and each pilot rule's verdict.
       */
      pilot?: ApprovedPilotEvidence & { description: string };
    };
    risks: Redactable<TransparencyRisk[]>;
    impactAssessments: Redactable<TransparencyImpactAssessment[]>;
  };
}
