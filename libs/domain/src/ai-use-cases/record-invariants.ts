import { type FieldProblem } from '../errors/domain-error';
import { type AiUseCaseRecord } from './ai-use-case-record';

/** Rules across fields that a per-field schema cannot express. Returns every problem, not the first. */
export function checkRecordInvariants(record: AiUseCaseRecord): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (record.data.specialCategoryData && !record.data.personalData) {
    problems.push({
      field: 'data.personalData',
      message: 'must be true when special category data is processed',
      code: 'special_category_implies_personal',
    });
  }
  if (record.data.specialCategoryData && !record.data.specialCategoryCondition?.trim()) {
    problems.push({
      field: 'data.specialCategoryCondition',
      message: 'is required when special category data is processed (the UK GDPR Art. 9 condition relied on)',
      code: 'required',
    });
  }
  if (record.decision.significantDecision && !record.decision.aboutIndividuals) {
    problems.push({
      field: 'decision.aboutIndividuals',
      message: 'must be true when decisions are significant (a significant decision is about a person)',
      code: 'significant_implies_about_individuals',
    });
  }
  if (record.decision.solelyAutomated && record.decision.role !== 'decides') {
    problems.push({
      field: 'decision.role',
      message: 'must be "decides" when some decisions are solely automated',
      code: 'solely_automated_implies_decides',
    });
  }
  const seen = new Map<string, number>();
  record.impactAssessments.forEach((assessment, index) => {
    const first = seen.get(assessment.kind);
    if (first !== undefined) {
      problems.push({
        field: `impactAssessments[${index}].kind`,
        message: `"${assessment.kind}" is already listed at impactAssessments[${first}]`,
        code: 'duplicate',
      });
    } else {
      seen.set(assessment.kind, index);
    }
    if (assessment.status === 'approved' && !assessment.date) {
      problems.push({
        field: `impactAssessments[${index}].date`,
        message: 'is required once the assessment is approved',
        code: 'required',
      });
    }
  });
  return problems;
}
