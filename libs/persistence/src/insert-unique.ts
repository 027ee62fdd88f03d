import { type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { isUniqueViolation } from './database-errors';

/**
 * Inserts a row; false when a unique constraint refused it (a concurrent insert that slipped past the
 * caller's pre-check), so the caller can answer 409. On PostgreSQL the transaction is then aborted: the
 * caller must throw, not carry on.
 */
export async function insertUnique<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  row: T,
): Promise<boolean> {
  try {
    await manager.insert(target, row as never);
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) {
      return false;
    }
    throw error;
  }
}
