/**
 * A problem with an evaluation input the user can fix: a bad dataset line, an invalid suite field, a
 * missing recording. It names the file, the line (1-based) and the field where it can, so the CLI prints
 * `evals/suites/triage.yaml:12:5 scorers[1].type: …` rather than a stack trace.
 */
export class EvalsError extends Error {
  /** The message without its location prefix. */
  readonly reason: string;

  constructor(
    message: string,
    readonly location: { file?: string; line?: number; column?: number; field?: string } = {},
  ) {
    super(formatLocation(location) + message);
    this.name = 'EvalsError';
    this.reason = message;
  }
}

function formatLocation({ file, line, column, field }: EvalsError['location']): string {
  const where = file ? `${file}${line ? `:${line}${column ? `:${column}` : ''}` : ''}` : '';
  const parts = [where, field].filter(Boolean);
  return parts.length > 0 ? `${parts.join(' ')}: ` : '';
}
