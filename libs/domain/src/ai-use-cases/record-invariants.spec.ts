import { type AiUseCaseRecord } from './ai-use-case-record';
import { exampleLowRiskRecord } from './example-record';
import { applyMergePatch } from './merge-patch';
import { checkRecordInvariants } from './record-invariants';

const record = (patch: object): AiUseCaseRecord =>
  applyMergePatch(exampleLowRiskRecord(), patch) as AiUseCaseRecord;

describe('checkRecordInvariants', () => {
  it('accepts a consistent record', () => {
    expect(checkRecordInvariants(exampleLowRiskRecord())).toEqual([]);
  });

  it.each<[string, object, string[]]>([
    [
      'special category without personal data',
      { data: { specialCategoryData: true } },
      ['data.personalData', 'data.specialCategoryCondition'],
    ],
    [
      'special category without its condition',
      { data: { personalData: true, specialCategoryData: true } },
      ['data.specialCategoryCondition'],
    ],
    ['solely automated but only assisting', { decision: { solelyAutomated: true } }, ['decision.role']],
    [
      'significant but not about individuals',
      { decision: { significantDecision: true } },
      ['decision.aboutIndividuals'],
    ],
    [
      'two DPIAs and an undated approval',
      {
        impactAssessments: [
          { kind: 'dpia', status: 'approved' },
          { kind: 'dpia', status: 'in_progress' },
        ],
      },
      ['impactAssessments[0].date', 'impactAssessments[1].kind'],
    ],
  ])('%s → problems at %p', (_name, patch, fields) => {
    expect(
      checkRecordInvariants(record(patch))
        .map((p) => p.field)
        .sort(),
    ).toEqual(fields.sort());
  });
});
