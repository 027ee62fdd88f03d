/** Throws a RangeError unless 0 < level < 1. */
export function assertLevel(level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`level must be between 0 and 1 (exclusive), got ${level}`);
  }
}

/** Throws a RangeError unless `value` is an integer ≥ 0. */
export function assertNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** Throws a RangeError unless `value` is an integer ≥ 1. */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** Throws a RangeError unless `count` and `n` are integers with 0 ≤ count ≤ n. */
export function assertCount(name: string, count: number, n: number): void {
  assertNonNegativeInteger('n', n);
  assertNonNegativeInteger(name, count);
  if (count > n) {
    throw new RangeError(`${name} (${count}) must not exceed n (${n})`);
  }
}
