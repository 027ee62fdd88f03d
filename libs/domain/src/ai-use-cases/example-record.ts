import { type AiUseCaseRecord } from './ai-use-case-record';

/**
 * A low-risk record (internal drafting help, no personal data) that tests and seeds start from and
 * then change one field at a time.
 */
export function exampleLowRiskRecord(): AiUseCaseRecord {
  return {
    name: 'Policy briefing summariser',
    summary: 'Drafts one-page summaries of published policy papers for internal briefing packs.',
    domain: 'internal_operations',
    ownership: { seniorResponsibleOwner: { name: 'Alex Morgan', role: 'Deputy Director, Strategy' } },
    purpose: {
      problemStatement: 'Analysts spend two days a month summarising published papers.',
      inScope: ['Published policy papers'],
      outOfScope: ['Personal data', 'Decisions about individuals'],
    },
    benefits: { expected: 'Halve the time spent on briefing packs.' },
    decision: {
      role: 'assistive',
      humanInvolvement: 'An analyst edits every summary before it is used.',
      aboutIndividuals: false,
      significantDecision: false,
      solelyAutomated: false,
    },
    people: {
      userGroups: ['Policy analysts'],
      affectedGroups: [],
      protectedCharacteristicsInScope: [],
      vulnerableUsers: false,
      children: false,
      publicFacing: false,
    },
    technology: { aiType: 'generative', models: [{ name: 'gpt-4o-mini', provider: 'OpenAI' }] },
    data: { personalData: false, specialCategoryData: false, sources: [] },
    risks: [],
    impactAssessments: [],
  };
}
