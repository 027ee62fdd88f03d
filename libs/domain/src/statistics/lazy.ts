/**
 * Loads a dependency on first use. stdlib's distributions pull in dozens of modules (10-15 MB each); a
 * run that never needs an exact bound or a binomial draw should not pay for them.
 */
export function lazy<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}
