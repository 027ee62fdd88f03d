import { type AiUseCaseRecord } from './ai-use-case-record';
import { exampleLowRiskRecord } from './example-record';
import { applyMergePatch } from './merge-patch';
import { deriveRiskTier, effectiveRiskTier, type RiskTierOverride } from './risk-tier';

const record = (patch: object): AiUseCaseRecord =>
  applyMergePatch(exampleLowRiskRecord(), patch) as AiUseCaseRecord;

describe('deriveRiskTier', () => {
  it.each<[string, object, 'low' | 'medium' | 'high', string]>([
    ['internal assistance, no personal data', {}, 'low', 'no_elevating_criteria'],
    ['personal data', { data: { personalData: true } }, 'medium', 'personal_data'],
    ['public facing', { people: { publicFacing: true } }, 'medium', 'public_facing'],
    ['recommends', { decision: { role: 'recommends' } }, 'medium', 'decision_support'],
    ['about individuals', { decision: { aboutIndividuals: true } }, 'medium', 'about_individuals'],
    [
      'protected characteristics',
      { people: { protectedCharacteristicsInScope: ['age'] } },
      'medium',
      'protected_characteristics_in_scope',
    ],
    ['high-stakes domain, internal only', { domain: 'health' }, 'medium', 'high_stakes_domain_internal'],
    ['vulnerable users, not about them', { people: { vulnerableUsers: true } }, 'medium', 'vulnerable_users'],
    [
      'solely automated, not about people',
      { decision: { solelyAutomated: true, role: 'decides' } },
      'medium',
      'solely_automated_elements',
    ],
    [
      'significant decision about individuals',
      { decision: { aboutIndividuals: true, significantDecision: true } },
      'high',
      'significant_decision_about_individuals',
    ],
    [
      'solely automated about individuals',
      { decision: { solelyAutomated: true, aboutIndividuals: true, role: 'decides' } },
      'high',
      'solely_automated_decisions',
    ],
    [
      'special category data',
      { data: { personalData: true, specialCategoryData: true } },
      'high',
      'special_category_data',
    ],
    ['children', { people: { children: true } }, 'high', 'children'],
    [
      'benefits domain with personal data',
      { domain: 'benefits', data: { personalData: true } },
      'high',
      'high_stakes_domain',
    ],
    [
      'immigration, public facing',
      { domain: 'immigration', people: { publicFacing: true } },
      'high',
      'high_stakes_domain',
    ],
    [
      'justice, about individuals',
      { domain: 'justice', decision: { aboutIndividuals: true } },
      'high',
      'high_stakes_domain',
    ],
    [
      'tax with personal data (not high-stakes list)',
      { domain: 'tax', data: { personalData: true } },
      'medium',
      'personal_data',
    ],
    [
      'vulnerable people, decisions about them',
      { people: { vulnerableUsers: true }, decision: { aboutIndividuals: true } },
      'high',
      'vulnerable_people_affected',
    ],
  ])('%s → %s', (_name, patch, tier, criterion) => {
    const assessment = deriveRiskTier(record(patch));
    expect(assessment.tier).toBe(tier);
    expect(assessment.reasons.map((r) => r.criterion)).toContain(criterion);
    expect(assessment.reasons[0].tier).toBe(tier);
  });

  it('lists every criterion that applied, highest first', () => {
    const assessment = deriveRiskTier(
      record({
        domain: 'benefits',
        data: { personalData: true },
        people: { children: true, publicFacing: true },
      }),
    );
    expect(assessment.reasons.map((r) => r.tier)).toEqual(['high', 'high', 'medium', 'medium', 'medium']);
  });
});

describe('effectiveRiskTier', () => {
  const override: RiskTierOverride = {
    tier: 'medium',
    reason: 'Outputs are reviewed by two caseworkers.',
    derivedTier: 'high',
    decidedBy: 'u1',
    decidedAt: '2026-01-01T00:00:00.000Z',
  };
  it('applies an override decided against the current derived tier', () => {
    expect(effectiveRiskTier('high', override)).toBe('medium');
  });
  it('ignores an override once the record has moved the derived tier', () => {
    expect(effectiveRiskTier('low', override)).toBe('low');
  });
  it('uses the derived tier without an override', () => {
    expect(effectiveRiskTier('high', null)).toBe('high');
  });
});
