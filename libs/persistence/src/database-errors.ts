import { QueryFailedError } from 'typeorm';

/** True when a write failed on a UNIQUE or PRIMARY KEY constraint, on either driver. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const driverError = error.driverError as { code?: string } | undefined;
  return (
    driverError?.code === '23505' || /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(driverError?.code ?? '')
  );
}
