import { type AiUseCaseRecord, HIGH_STAKES_DOMAINS } from './ai-use-case-record';
import { RISK_TIERS, type RiskTier } from './stage';

export interface RiskTierReason {
  /** Stable key of the criterion, e.g. `significant_decision_about_individuals`. */
  criterion: string;
  tier: RiskTier;
  explanation: string;
}

export interface RiskTierAssessment {
  tier: RiskTier;
  /** Every criterion that applied, highest tier first: the explanation shown beside the tier. */
  reasons: RiskTierReason[];
}

export interface RiskTierOverride {
  tier: RiskTier;
  reason: string;
  /** The derived tier this override was decided against: a record change that moves it voids the override. */
  derivedTier: RiskTier;
  decidedBy: string;
  decidedAt: string;
}

type Rule = [
  criterion: string,
  tier: RiskTier,
  applies: (r: AiUseCaseRecord) => boolean,
  explanation: string,
];

const RULES: Rule[] = [
  [
    'significant_decision_about_individuals',
    'high',
    (r) => r.decision.significantDecision && r.decision.aboutIndividuals,
    'It informs decisions with legal or similarly significant effects on individuals (UK GDPR Art. 22A).',
  ],
  [
    'solely_automated_decisions',
    'high',
    (r) => r.decision.solelyAutomated && (r.decision.aboutIndividuals || r.decision.significantDecision),
    'Some decisions about people are taken with no meaningful human involvement.',
  ],
  [
    'special_category_data',
    'high',
    (r) => r.data.specialCategoryData,
    'It processes special category personal data (UK GDPR Art. 9).',
  ],
  ['children', 'high', (r) => r.people.children, 'Children are among the people affected.'],
  [
    'high_stakes_domain',
    'high',
    (r) =>
      HIGH_STAKES_DOMAINS.includes(r.domain) &&
      (r.decision.aboutIndividuals || r.data.personalData || r.people.publicFacing),
    'It touches individuals in a high-stakes domain (benefits, health, social care, justice, policing, immigration, education or employment).',
  ],
  [
    'vulnerable_people_affected',
    'high',
    (r) => r.people.vulnerableUsers && r.decision.aboutIndividuals,
    'It informs decisions about people who may be vulnerable.',
  ],
  [
    'solely_automated_elements',
    'medium',
    (r) => r.decision.solelyAutomated,
    'Part of the process runs with no human in the loop.',
  ],
  [
    'decision_support',
    'medium',
    (r) => r.decision.role !== 'assistive',
    'It recommends or takes decisions rather than only assisting staff.',
  ],
  ['personal_data', 'medium', (r) => r.data.personalData, 'It processes personal data.'],
  [
    'public_facing',
    'medium',
    (r) => r.people.publicFacing,
    'Members of the public interact with it directly.',
  ],
  [
    'about_individuals',
    'medium',
    (r) => r.decision.aboutIndividuals,
    'Its output is about particular people.',
  ],
  [
    'protected_characteristics_in_scope',
    'medium',
    (r) => r.people.protectedCharacteristicsInScope.length > 0,
    'Protected characteristics are in scope, so the Public Sector Equality Duty needs evidence.',
  ],
  [
    'high_stakes_domain_internal',
    'medium',
    (r) => HIGH_STAKES_DOMAINS.includes(r.domain),
    'It sits in a high-stakes service domain, even if it does not touch individuals directly.',
  ],
  [
    'vulnerable_users',
    'medium',
    (r) => r.people.vulnerableUsers,
    'People who may be vulnerable use it or are affected by it.',
  ],
];

const rank = (tier: RiskTier) => RISK_TIERS.indexOf(tier);

/**
 * Derives the risk tier of an AI use case from its record. High: significant or solely automated
 * decisions about people, special category data, children, high-stakes domains touching individuals.
 * Medium: personal data, public-facing, decision support, protected characteristics in scope.
 * Low: internal assistance with none of those. Pure and total: every record has exactly one tier.
 */
export function deriveRiskTier(record: AiUseCaseRecord): RiskTierAssessment {
  const reasons = RULES.filter(([, , applies]) => applies(record))
    .map(([criterion, tier, , explanation]) => ({ criterion, tier, explanation }))
    .sort((a, b) => rank(b.tier) - rank(a.tier));
  if (reasons.length === 0) {
    return {
      tier: 'low',
      reasons: [
        {
          criterion: 'no_elevating_criteria',
          tier: 'low',
          explanation:
            'Internal assistance with no personal data and no influence on decisions about individuals.',
        },
      ],
    };
  }
  return { tier: reasons[0].tier, reasons };
}

/** The tier that chooses the gate policy: an override, while it still stands, else the derived tier. */
export function effectiveRiskTier(derived: RiskTier, override: RiskTierOverride | null): RiskTier {
  return override && override.derivedTier === derived ? override.tier : derived;
}
