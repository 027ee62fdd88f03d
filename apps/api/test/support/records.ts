import { exampleLowRiskRecord } from '@gatehouse/domain';

/** A complete, valid record for registration tests (low risk: internal drafting help). */
export const lowRiskRecord = () => exampleLowRiskRecord();

/** The risks a team records before the gate to test (the `risks_recorded` evidence). */
export const recordedRisks = () => [
  {
    description: 'Wrong answer sent',
    likelihood: 'low',
    impact: 'medium',
    mitigation: 'Staff check every draft',
  },
];

/** A record that derives high: benefits domain, decisions about people, special category data. */
export const highRiskRecord = () => ({
  ...exampleLowRiskRecord(),
  name: 'Benefit enquiry triage',
  domain: 'benefits',
  decision: { ...exampleLowRiskRecord().decision, role: 'recommends', aboutIndividuals: true },
  data: {
    personalData: true,
    specialCategoryData: true,
    specialCategoryCondition: 'Art. 9(2)(g)',
    sources: [],
  },
});
