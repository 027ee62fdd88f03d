import { ConfigError } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { EvalsError } from '@gatehouse/evals';

/** Exit codes: 0 done or passed, 1 a check failed (gate, audit chain, thresholds), 2 bad input or error. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

/** A problem the user can fix, reported as one clear message (file and line where there is one). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof EvalsError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.error;
  }
  if (error instanceof DomainError) {
    const fields = error.problems.map((p) => `\n  - ${p.field}: ${p.message}`).join('');
    process.stderr.write(`gatehouse: ${error.message}${fields}\n`);
    return EXIT.error;
  }
  process.stderr.write(
    `gatehouse: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.error;
}
