/**
 * Business rules fail with a DomainError carrying a stable code. The API maps codes to HTTP statuses in
 * one place; the CLI and the worker print or record them. Domain code never throws HTTP errors.
 */
export type DomainErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'separation_of_duties'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'invalid_state'
  | 'payload_too_large'
  | 'unsupported_media_type';

export interface FieldProblem {
  /** JSON path of the offending field, e.g. `record.decision.role` or `[3].input`. */
  field: string;
  message: string;
  code?: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly problems: FieldProblem[] = [],
    /** Machine-readable name of the rule that refused the action, e.g. `approver_not_in_owning_team`. */
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static validation(problems: FieldProblem[], message = 'The request is not valid.'): DomainError {
    return new DomainError('validation_failed', message, problems);
  }

  static notFound(what: string): DomainError {
    return new DomainError('not_found', `${what} was not found.`);
  }

  static forbidden(message: string, rule?: string): DomainError {
    return new DomainError('forbidden', message, [], rule);
  }
}
