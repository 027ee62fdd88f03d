import { type FieldProblem } from '@gatehouse/domain';
import { type EvalsError, SuiteValidationError } from '@gatehouse/evals';

/** An evals problem (file, line, field) as field problems for the API. */
export function evalsProblems(error: EvalsError): FieldProblem[] {
  if (error instanceof SuiteValidationError) {
    return error.problems.map((p) => ({
      field: p.field,
      message: `${p.message}${p.line ? ` (line ${p.line}, column ${p.column})` : ''}`,
      code: 'invalid',
    }));
  }
  const { field, line } = error.location;
  return [
    {
      field: field ?? '(body)',
      message: line ? `line ${line}: ${error.reason}` : error.reason,
      code: 'invalid',
    },
  ];
}
