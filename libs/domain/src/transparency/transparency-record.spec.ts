import { type AiUseCaseRecord } from '../ai-use-cases/ai-use-case-record';
import { exampleLowRiskRecord } from '../ai-use-cases/example-record';
import { type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { canonicalJson } from '../hashing/canonical-json';
import {
  type ApprovedEvaluationSummary,
  ATRS_PHASE,
  buildTransparencyRecord,
  DEFAULT_REDACTION_REASON,
  isRedacted,
  REDACTABLE_FIELDS,
  type TransparencyRecordInput,
  transparencyRecordSections,
} from './transparency-record';

/** A record that fills every field, with people's names and emails where the record holds them. */
function fullRecord(): AiUseCaseRecord {
  return {
    ...exampleLowRiskRecord(),
    name: 'Benefit enquiry router',
    summary: 'Suggests which team should handle a benefit enquiry.',
    organisation: 'Department for Work and Pensions',
    serviceArea: 'Universal Credit enquiries',
    domain: 'benefits',
    publicContactEmail: 'ai-transparency@example.gov.uk',
    websiteUrl: 'https://www.gov.uk/example',
    ownership: {
      seniorResponsibleOwner: {
        name: 'Priya Chandrasekar',
        role: 'Director, Universal Credit Operations',
        email: 'priya.chandrasekar@example.gov.uk',
      },
      productOwner: { name: 'Tomasz Wiśniewski', role: 'Product owner', email: 'tomasz.w@example.gov.uk' },
      dataProtectionOfficer: { name: 'Olu Adebayo', role: 'DPO', email: 'olu.adebayo@example.gov.uk' },
    },
    suppliers: [
      {
        name: 'Acme AI Ltd',
        companiesHouseNumber: '01234567',
        role: 'Model hosting',
        procurementRoute: 'G-Cloud 14',
        dataAccessTerms: 'No retention of prompts',
      },
    ],
    purpose: {
      problemStatement: 'Enquiries wait two days for triage.',
      description: 'Reads an enquiry and suggests a team; an agent confirms.',
      inScope: ['Written enquiries'],
      outOfScope: ['Eligibility decisions'],
      alternativesConsidered: 'Keyword rules (too brittle).',
    },
    benefits: {
      expected: 'Same-day triage.',
      baseline: 'Manual triage, 2 days on average.',
      successCriteria: ['Routing accuracy ci_lower >= 0.85'],
    },
    decision: {
      role: 'recommends',
      humanInvolvement: 'An agent confirms or changes every suggested team.',
      aboutIndividuals: true,
      significantDecision: false,
      solelyAutomated: false,
      frequencyAndScale: 'About 40,000 enquiries a month.',
      staffTraining: 'A one-hour module.',
      appealsAndRedress: 'Claimants can ask for a review.',
    },
    people: {
      userGroups: ['Enquiry agents'],
      affectedGroups: ['Claimants'],
      protectedCharacteristicsInScope: ['age', 'disability'],
      vulnerableUsers: true,
      children: false,
      publicFacing: false,
    },
    technology: {
      aiType: 'generative',
      architecture: 'Prompted LLM behind an internal API.',
      models: [
        {
          name: 'gpt-4o-mini',
          provider: 'OpenAI',
          version: '2024-07-18',
          hosting: 'cloud_tenancy',
          task: 'classification',
          fineTuned: false,
        },
      ],
    },
    data: {
      personalData: true,
      specialCategoryData: true,
      specialCategoryCondition: 'Art. 9(2)(g) substantial public interest',
      lawfulBasis: 'Art. 6(1)(e) public task',
      sources: [
        {
          name: 'Enquiry inbox',
          description: 'Written enquiries',
          source: 'Journal',
          sensitiveAttributes: ['health'],
          completenessAndRepresentativeness: 'All channels, 2025',
          retention: '6 months',
        },
      ],
    },
    risks: [
      {
        description: 'Misrouted urgent enquiry',
        likelihood: 'medium',
        impact: 'high',
        mitigation: 'Agent confirms every route',
        owner: 'Hamish MacLeod',
      },
    ],
    impactAssessments: [
      {
        kind: 'dpia',
        status: 'approved',
        date: '2026-04-01',
        link: 'https://example.gov.uk/dpia',
        approvedBy: 'Olu Adebayo',
        notes: 'Internal: see the DPO thread with Olu',
      },
      { kind: 'eqia', status: 'completed', date: '2026-04-10' },
    ],
    operations: {
      killSwitch: 'Feature flag',
      monitoring: 'Weekly sampling',
      incidentProcess: 'P2 via service desk',
    },
  };
}

const EVALUATION: ApprovedEvaluationSummary = {
  to: 'learn',
  verdict: 'pass',
  hash: 'c0ffee'.repeat(10) + 'abcd',
  approvedAt: '2026-06-01T10:00:00.000Z',
  evaluatedAt: '2026-05-30T09:00:00.000Z',
  metrics: [
    {
      suite: 'safety-refusals',
      version: 1,
      runId: 'run-9',
      metric: 'over_refusal',
      value: 0.0577,
      ciLower: 0.0215,
      ciUpper: 0.1107,
      n: 104,
    },
    {
      suite: 'benefits-triage',
      version: 2,
      runId: 'run-7',
      metric: 'routing',
      value: 0.88,
      ciLower: 0.834,
      ciUpper: 0.915,
      n: 250,
    },
    {
      suite: 'safety-refusals',
      version: 1,
      runId: 'run-9',
      metric: 'harmful_compliance',
      value: 0.03846,
      ciLower: null,
      ciUpper: 0.0859,
      n: 104,
    },
  ],
};

function input(overrides: Partial<TransparencyRecordInput> = {}): TransparencyRecordInput {
  return {
    id: 'uc-42',
    name: 'Benefit enquiry router',
    teamName: 'UC Digital',
    stage: 'learn',
    tier: 'high',
    record: fullRecord(),
    evaluation: EVALUATION,
    publishedAt: '2026-06-02T08:00:00.000Z',
    redactions: [],
    ...overrides,
  };
}

function at(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('buildTransparencyRecord', () => {
  it('fills Tier 1 and the Tier 2 sections from the record', () => {
    const record = buildTransparencyRecord(input());
    expect(record.tier1).toEqual({
      name: 'Benefit enquiry router',
      description: 'Suggests which team should handle a benefit enquiry.',
      websiteUrl: 'https://www.gov.uk/example',
      contactEmail: 'ai-transparency@example.gov.uk',
    });
    expect(record.metadata).toMatchObject({
      aiUseCaseId: 'uc-42',
      team: 'UC Digital',
      function: 'benefits',
      phase: 'beta_pilot',
      stage: 'learn',
      riskTier: 'high',
      publishedAt: '2026-06-02T08:00:00.000Z',
      redactedFields: [],
    });
    expect(record.tier2.ownerAndResponsibility).toEqual({
      organisation: 'Department for Work and Pensions',
      team: 'UC Digital',
      serviceArea: 'Universal Credit enquiries',
      seniorResponsibleOwnerRole: 'Director, Universal Credit Operations',
      thirdParties: [
        {
          name: 'Acme AI Ltd',
          companiesHouseNumber: '01234567',
          role: 'Model hosting',
          procurementRoute: 'G-Cloud 14',
          dataAccessTerms: 'No retention of prompts',
        },
      ],
    });
    expect(record.tier2.decisionMaking).toMatchObject({
      decisionRole: 'recommends',
      humanOversight: 'An agent confirms or changes every suggested team.',
      aboutIndividuals: true,
      vulnerableUsers: true,
      protectedCharacteristicsInScope: ['age', 'disability'],
    });
    expect(record.tier2.data).toMatchObject({
      personalData: true,
      specialCategoryData: true,
      lawfulBasis: 'Art. 6(1)(e) public task',
      specialCategoryCondition: 'Art. 9(2)(g) substantial public interest',
    });
    expect(record.tier2.toolSpecification.models).toEqual([
      {
        name: 'gpt-4o-mini',
        provider: 'OpenAI',
        version: '2024-07-18',
        hosting: 'cloud_tenancy',
        task: 'classification',
        fineTuned: false,
      },
    ]);
    expect(record.tier2.impactAssessments).toEqual([
      {
        kind: 'dpia',
        name: 'Data protection impact assessment (DPIA)',
        status: 'approved',
        date: '2026-04-01',
        link: 'https://example.gov.uk/dpia',
      },
      {
        kind: 'eqia',
        name: 'Equality impact assessment (EqIA)',
        status: 'completed',
        date: '2026-04-10',
        link: null,
      },
    ]);
  });

  it('fills absent optional fields with null and empty lists, never undefined', () => {
    const record = buildTransparencyRecord(input({ record: exampleLowRiskRecord(), evaluation: null }));
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
    expect(record.tier1.websiteUrl).toBeNull();
    expect(record.tier2.ownerAndResponsibility.thirdParties).toEqual([]);
    expect(record.tier2.descriptionAndRationale.detailedDescription).toBe(exampleLowRiskRecord().summary);
    expect(record.tier2.modelPerformance).toEqual({ evaluation: null, metrics: [] });
  });

  it.each(Object.entries(ATRS_PHASE) as [Stage, string][])(
    'stage %s is published as ATRS phase %s',
    (stage, phase) => {
      const record = buildTransparencyRecord(input({ stage }));
      expect([record.metadata.phase, record.tier2.toolSpecification.phase]).toEqual([phase, phase]);
    },
  );

  describe('model performance', () => {
    it('carries the approved evaluation: its hash, dates and every metric with its interval, suite version and run', () => {
      const performance = buildTransparencyRecord(input()).tier2.modelPerformance;
      expect(performance.evaluation).toEqual({
        gate: 'learn',
        verdict: 'pass',
        hash: EVALUATION.hash,
        evaluatedAt: '2026-05-30T09:00:00.000Z',
        approvedAt: '2026-06-01T10:00:00.000Z',
      });
      // Sorted by suite, version, metric: the order the evaluation listed them in does not matter.
      expect(performance.metrics).toEqual([
        EVALUATION.metrics[1],
        EVALUATION.metrics[2],
        EVALUATION.metrics[0],
      ]);
    });

    it('shows the metrics as rows a page can print', () => {
      const section = transparencyRecordSections(buildTransparencyRecord(input())).find(
        (s) => s.heading === '4.2.7 Model performance',
      );
      expect(section?.rows).toEqual([
        { label: 'Evidence', value: 'Gate evaluation for the move to learn: passed' },
        { label: 'Evaluation hash', value: EVALUATION.hash },
        { label: 'Evaluated at', value: '2026-05-30T09:00:00.000Z' },
        { label: 'Approved at', value: '2026-06-01T10:00:00.000Z' },
        {
          label: 'benefits-triage@2: routing',
          value: '0.88 (95% interval 0.834 to 0.915), n = 250, run run-7',
        },
        { label: 'safety-refusals@1: harmful_compliance', value: '0.0385, n = 104, run run-9' },
        {
          label: 'safety-refusals@1: over_refusal',
          value: '0.0577 (95% interval 0.0215 to 0.1107), n = 104, run run-9',
        },
      ]);
    });

    it('says when no evaluation has been approved', () => {
      const section = transparencyRecordSections(buildTransparencyRecord(input({ evaluation: null }))).find(
        (s) => s.heading === '4.2.7 Model performance',
      );
      expect(section?.rows).toEqual([
        { label: 'Evidence', value: 'No gate evaluation has been approved yet' },
      ]);
    });
  });

  describe('redactions', () => {
    it.each(REDACTABLE_FIELDS)('withholds %s and nothing else', (path) => {
      const open = buildTransparencyRecord(input());
      const record = buildTransparencyRecord(input({ redactions: [path] }));
      expect(isRedacted(at(open, path))).toBe(false);
      expect(at(open, path)).not.toBeNull();
      expect(at(record, path)).toEqual({ redacted: true, reason: DEFAULT_REDACTION_REASON });
      expect(record.metadata.redactedFields).toEqual([path]);
      for (const other of REDACTABLE_FIELDS.filter((p) => p !== path)) {
        expect(at(record, other)).toEqual(at(open, other));
      }
      const rows = transparencyRecordSections(record).flatMap((s) => s.rows);
      expect(rows.filter((r) => r.value === `Withheld: ${DEFAULT_REDACTION_REASON}`)).toHaveLength(1);
    });

    it('withholds the figures but keeps the evaluation hash, so they can still be checked', () => {
      const record = buildTransparencyRecord(
        input({
          redactions: ['tier2.modelPerformance.metrics'],
          redactionReason: 'Security: reveals test prompts.',
        }),
      );
      expect(record.tier2.modelPerformance.evaluation?.hash).toBe(EVALUATION.hash);
      expect(record.tier2.modelPerformance.metrics).toEqual({
        redacted: true,
        reason: 'Security: reveals test prompts.',
      });
      expect(JSON.stringify(record)).not.toContain('harmful_compliance');
    });

    it('lists withheld fields in a stable order, whatever order they were given in', () => {
      const a = buildTransparencyRecord(
        input({ redactions: ['tier2.risks', 'tier2.data.sources', 'tier2.risks'] }),
      );
      const b = buildTransparencyRecord(input({ redactions: ['tier2.data.sources', 'tier2.risks'] }));
      expect(a).toEqual(b);
      expect(a.metadata.redactedFields).toEqual(['tier2.data.sources', 'tier2.risks']);
    });

    it.each([
      ['tier1.name'],
      ['tier2.data.lawfulBasis'],
      ['tier2.decisionMaking.humanOversight'],
      ['tier2.modelPerformance.evaluation'],
      ['tier2.data'],
      ['tier2.data.sources.0'],
      ['metadata.title'],
      ['TIER2.RISKS'],
      [''],
    ])('refuses %j, naming it', (path) => {
      const error = refusal(() => buildTransparencyRecord(input({ redactions: ['tier2.risks', path] })));
      expect(error.code).toBe('validation_failed');
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({ field: 'redactions[1]', code: 'unknown_redaction_field' });
      expect(error.problems[0].message).toContain(`"${path}"`);
    });

    it('reports every bad path at once', () => {
      const error = refusal(() => buildTransparencyRecord(input({ redactions: ['a', 'tier2.risks', 'b'] })));
      expect(error.problems.map((p) => p.field)).toEqual(['redactions[0]', 'redactions[2]']);
    });
  });

  describe('pilot evidence: measured from live use or recorded by the team', () => {
    const pilot = (source: 'live' | 'recorded') => ({
      source,
      window:
        source === 'live' ? { since: '2026-05-01T09:00:00.000Z', until: '2026-05-30T00:00:00.000Z' } : null,
      measures: [
        {
          rule: 'pilot override rate upper95 <= 0.05 (at least 100 cases)',
          verdict: 'pass' as const,
          value: 0.03,
        },
      ],
    });
    const rowsOf = (record: ReturnType<typeof buildTransparencyRecord>) =>
      transparencyRecordSections(record).find((s) => s.heading === '4.2.7 Model performance')?.rows ?? [];

    it.each([
      [
        'live',
        'Measured from live use',
        'Measured from live use: traces and feedback the service sent, counted by Gatehouse (2026-05-01 to 2026-05-30)',
      ],
      [
        'recorded',
        'Recorded by the team',
        'Recorded by the team: pilot observations typed in by the service team',
      ],
    ] as const)('%s evidence is published as such', (source, description, row) => {
      const record = buildTransparencyRecord(input({ evaluation: { ...EVALUATION, pilot: pilot(source) } }));
      expect(record.tier2.modelPerformance.pilot).toMatchObject({
        source,
        description: expect.stringContaining(description),
        measures: [{ verdict: 'pass', value: 0.03 }],
      });
      expect(rowsOf(record)).toEqual(
        expect.arrayContaining([
          { label: 'Pilot evidence', value: row },
          { label: 'Pilot: pilot override rate upper95 <= 0.05 (at least 100 cases)', value: 'met (0.030)' },
        ]),
      );
    });

    it('an evaluation without pilot rules publishes no pilot evidence', () => {
      const record = buildTransparencyRecord(input());
      expect(record.tier2.modelPerformance).not.toHaveProperty('pilot');
      expect(rowsOf(record).map((r) => r.label)).not.toContain('Pilot evidence');
    });
  });

  it.each([['yesterday'], ['2026-06-02'], ['2026-13-40T00:00:00Z'], ['']])(
    'refuses publishedAt %j',
    (publishedAt) => {
      const error = refusal(() => buildTransparencyRecord(input({ publishedAt })));
      expect(error.problems).toEqual([expect.objectContaining({ field: 'publishedAt' })]);
    },
  );

  it('refuses a blank redaction reason', () => {
    const error = refusal(() => buildTransparencyRecord(input({ redactionReason: '  ' })));
    expect(error.problems).toEqual([expect.objectContaining({ field: 'redactionReason' })]);
  });

  it('names people by role only: no name or email of an individual reaches the record or the page', () => {
    const record = buildTransparencyRecord(input());
    const published = JSON.stringify(record) + JSON.stringify(transparencyRecordSections(record));
    for (const personal of [
      'Priya',
      'Chandrasekar',
      'priya.chandrasekar@example.gov.uk',
      'Tomasz',
      'tomasz.w@example.gov.uk',
      'Olu',
      'olu.adebayo@example.gov.uk',
      'Hamish MacLeod',
      'Internal: see the DPO thread',
    ]) {
      expect(published).not.toContain(personal);
    }
    expect(published).toContain('Director, Universal Credit Operations');
    expect(published).toContain('ai-transparency@example.gov.uk');
  });

  it('is deterministic and leaves its input alone', () => {
    const given = input({ redactions: ['tier2.data.sources'] });
    const before = canonicalJson(given);
    const first = buildTransparencyRecord(given);
    const shuffled = buildTransparencyRecord({
      ...given,
      evaluation: { ...EVALUATION, metrics: [...EVALUATION.metrics].reverse() },
    });
    expect(canonicalJson(shuffled)).toBe(canonicalJson(first));
    expect(canonicalJson(buildTransparencyRecord(given))).toBe(canonicalJson(first));
    expect(canonicalJson(given)).toBe(before);
    // The record does not share lists with the use-case record.
    (first.tier2.descriptionAndRationale.inScope as string[]).push('changed');
    expect(given.record.purpose.inScope).toEqual(['Written enquiries']);
  });
});

describe('transparencyRecordSections', () => {
  it('orders Tier 1, the Tier 2 sections, then the record metadata, every value a readable string', () => {
    const sections = transparencyRecordSections(buildTransparencyRecord(input()));
    expect(sections.map((s) => s.heading)).toEqual([
      'Summary',
      '1. Owner and responsibility',
      '2. Description and rationale',
      '3. Decision-making process',
      '4. Tool specification',
      '4.3 Data',
      '4.2.7 Model performance',
      '5.1 Impact assessments',
      '5.2 Risks and mitigations',
      'About this record',
    ]);
    for (const row of sections.flatMap((s) => s.rows)) {
      expect(typeof row.value).toBe('string');
      expect(row.value.trim()).not.toBe('');
      expect(row.value).not.toMatch(/undefined|null|\[object/);
    }
  });

  it.each([
    [
      '3. Decision-making process',
      'Role in decisions',
      'Recommends: it suggests an outcome that a person confirms or changes',
    ],
    ['3. Decision-making process', 'Informs decisions about individuals', 'Yes'],
    ['3. Decision-making process', 'Legal or similarly significant effects', 'No'],
    ['3. Decision-making process', 'Protected characteristics in scope', 'age; disability'],
    [
      '1. Owner and responsibility',
      'Senior responsible owner (role)',
      'Director, Universal Credit Operations',
    ],
    [
      '1. Owner and responsibility',
      'Third party: Acme AI Ltd',
      'Model hosting. Companies House number 01234567. Procurement: G-Cloud 14. Data access terms: No retention of prompts',
    ],
    [
      '4. Tool specification',
      'Model: gpt-4o-mini',
      'provided by OpenAI, version 2024-07-18, hosted on our cloud tenancy, used for classification, not fine-tuned',
    ],
    ['4.3 Data', 'Special category condition', 'Art. 9(2)(g) substantial public interest'],
    [
      '5.1 Impact assessments',
      'Data protection impact assessment (DPIA)',
      'Approved on 2026-04-01 (https://example.gov.uk/dpia)',
    ],
    [
      '5.2 Risks and mitigations',
      'Risk 1',
      'Misrouted urgent enquiry (likelihood medium, impact high). Mitigation: Agent confirms every route',
    ],
    ['About this record', 'Stage', 'learn (Beta/pilot)'],
    ['About this record', 'Withheld fields', 'None recorded'],
  ])('%s: %s reads %j', (heading, label, value) => {
    const section = transparencyRecordSections(buildTransparencyRecord(input())).find(
      (s) => s.heading === heading,
    );
    expect(section?.rows.find((r) => r.label === label)?.value).toBe(value);
  });

  it('shows empty lists and unrecorded fields plainly', () => {
    const sections = transparencyRecordSections(
      buildTransparencyRecord(input({ record: exampleLowRiskRecord(), evaluation: null })),
    );
    const rows = Object.fromEntries(
      sections.flatMap((s) => s.rows.map((r) => [`${s.heading} / ${r.label}`, r.value])),
    );
    expect(rows['5.2 Risks and mitigations / Risks']).toBe('None recorded');
    expect(rows['4.3 Data / Data sources']).toBe('None recorded');
    expect(rows['2. Description and rationale / Previous process']).toBe('Not recorded');
    expect(rows['4.3 Data / Special category condition']).toBeUndefined();
  });
});
