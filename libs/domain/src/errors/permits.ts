import { DomainError } from './domain-error';

/**
 * Whether an assert-style rule lets an action through: a refusal is a DomainError, anything else is a bug
 * and is rethrown. The pages build what they offer from the same asserts the services enforce.
 */
export function permits(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof DomainError) {
      return false;
    }
    throw error;
  }
}
