import { type AiUseCaseRecord, type Role } from '@gatehouse/domain';

/** The example organisation a newcomer's `npm start` is seeded with (fictional people and teams). */
export const DEMO_TEAMS = [
  {
    key: 'benefits',
    name: 'Benefits Enquiries Service',
    description: 'Runs the phone, web-chat and letter channels for benefit enquiries.',
  },
  {
    key: 'assurance',
    name: 'AI Assurance',
    description: 'Independent assurance of AI-enabled services before and during rollout.',
  },
] as const;

export const DEMO_USERS: {
  name: string;
  email: string;
  team: (typeof DEMO_TEAMS)[number]['key'];
  roles: Role[];
}[] = [
  { name: 'Sam Patel', email: 'sam.patel@example.gov.uk', team: 'benefits', roles: ['service_team'] },
  { name: 'Eve Okafor', email: 'eve.okafor@example.gov.uk', team: 'benefits', roles: ['engineer'] },
  { name: 'Rita Chen', email: 'rita.chen@example.gov.uk', team: 'assurance', roles: ['reviewer'] },
  { name: 'Jon Price', email: 'jon.price@example.gov.uk', team: 'assurance', roles: ['reviewer'] },
];

export function demoAiUseCaseRecord(): AiUseCaseRecord {
  return {
    name: 'Benefit enquiry triage assistant',
    summary:
      'Reads incoming benefit enquiries from web chat and letters and suggests which team should handle each one and how urgent it is.',
    organisation: 'Department for Example Services',
    serviceArea: 'Working-age benefits',
    domain: 'benefits',
    publicContactEmail: 'ai-transparency@example.gov.uk',
    ownership: {
      seniorResponsibleOwner: {
        name: 'Priya Shah',
        role: 'Director, Benefit Enquiries',
        email: 'priya.shah@example.gov.uk',
      },
      productOwner: { name: 'Sam Patel', role: 'Product owner' },
      technicalLead: { name: 'Eve Okafor', role: 'Lead evaluation engineer' },
    },
    suppliers: [
      { name: 'Example Model Provider Ltd', role: 'Hosted language model', procurementRoute: 'G-Cloud 14' },
    ],
    purpose: {
      problemStatement:
        'About 40,000 enquiries a week arrive unsorted; agents spend around four minutes per enquiry working out which team should answer it, and urgent cases (no money for food, risk of eviction) can wait two days.',
      description:
        'For each enquiry the assistant proposes a routing label (Universal Credit, Personal Independence Payment, Carer’s Allowance, overpayments, or general) and flags possible urgency. An agent accepts or changes the suggestion before the enquiry moves on.',
      inScope: [
        'Routing enquiries to the right team',
        'Flagging enquiries that may be urgent for an agent to check first',
      ],
      outOfScope: [
        'Deciding entitlement or the amount of any award',
        'Replying to the claimant',
        'Fraud or compliance referrals',
      ],
      alternativesConsidered:
        'Keyword rules (tried in 2024: 61% correct routing) and more agents at the front door.',
    },
    benefits: {
      expected: 'Cut time to first response for urgent enquiries from two days to under four hours.',
      baseline:
        'Agents route correctly about 88% of the time and take about four minutes per enquiry (2025 sample of 2,000).',
      successCriteria: [
        'Routing accuracy at least as good as agents (lower 95% bound ≥ 0.85)',
        'No group of claimants routed worse than others by more than 5 points',
      ],
    },
    decision: {
      role: 'recommends',
      humanInvolvement:
        'An agent sees the suggested label and urgency with the reason, accepts or changes it, and can always route manually. Agents are told the suggestion may be wrong and how often it was overridden last week.',
      aboutIndividuals: true,
      significantDecision: false,
      solelyAutomated: false,
      frequencyAndScale: 'About 40,000 enquiries a week across England, Scotland and Wales.',
      staffTraining:
        'A 45-minute module on what the assistant can and cannot do, with examples of wrong suggestions.',
      appealsAndRedress:
        'Routing does not change entitlement; claimants complain through the usual complaints process.',
    },
    people: {
      userGroups: ['Front-door enquiry agents'],
      affectedGroups: ['People claiming working-age benefits', 'Carers'],
      protectedCharacteristicsInScope: ['age', 'disability', 'sex'],
      vulnerableUsers: true,
      children: false,
      publicFacing: false,
    },
    technology: {
      aiType: 'generative',
      architecture:
        'A prompted chat model called through the department’s model gateway; no fine-tuning; enquiries are redacted of NHS and National Insurance numbers before the call.',
      models: [
        {
          name: 'gpt-4o-mini',
          provider: 'Example Model Provider Ltd',
          hosting: 'vendor_api',
          task: 'Classification',
        },
      ],
    },
    data: {
      personalData: true,
      specialCategoryData: true,
      specialCategoryCondition:
        'UK GDPR Art. 9(2)(g) with DPA 2018 Sch. 1 para 6 (statutory and government purposes): enquiries can mention health.',
      lawfulBasis: 'UK GDPR Art. 6(1)(e): public task under the Social Security Administration Act 1992.',
      sources: [
        {
          name: 'Benefit enquiries 2025 sample',
          description: '2,000 enquiries with agent routing labels, age band and region, for evaluation only.',
          sensitiveAttributes: ['age band', 'region'],
          retention: '2 years',
        },
      ],
    },
    risks: [
      {
        description:
          'Urgent enquiries misrouted or not flagged, delaying help to people with no money for food.',
        likelihood: 'medium',
        impact: 'high',
        mitigation: 'Agents see every suggestion; urgency recall is a gate metric; weekly sample review.',
        owner: 'Priya Shah',
      },
      {
        description: 'Older claimants or those writing in non-standard English routed worse than others.',
        likelihood: 'medium',
        impact: 'medium',
        mitigation:
          'Per-group accuracy with intervals is a gate metric; override rates monitored by group during the pilot.',
      },
    ],
    impactAssessments: [
      { kind: 'dpia', status: 'in_progress', link: 'https://intranet.example.gov.uk/dpia/enquiry-triage' },
      { kind: 'eqia', status: 'not_started' },
    ],
    operations: {
      killSwitch: 'A feature flag returns the front door to manual routing within five minutes.',
      monitoring: 'Override rate, routing accuracy on a weekly sample, and complaints about misrouting.',
    },
  };
}
