import { type Percentiles } from '../evaluation/run-summary';

/** Arithmetic mean; null for no values. */
export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : meanOfNonEmpty(values);
}

/** A running mean, so that equal values give exactly that value (a sum divided by n may not). */
export function meanOfNonEmpty(values: readonly number[]): number {
  let m = 0;
  values.forEach((v, i) => {
    m += (v - m) / (i + 1);
  });
  return m;
}

/**
 * The p-quantile (0 ≤ p ≤ 1) of ascending values, interpolating linearly between the closest ranks
 * (numpy's default method, R's type 7).
 */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    throw new RangeError('quantile of no values');
  }
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** p50, p95, p99 (linear interpolation between closest ranks, as numpy) and the mean; all null for no values. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) {
    return { p50: null, p95: null, p99: null, mean: null };
  }
  const sorted = sortedAscending(values);
  return {
    p50: quantileOfSorted(sorted, 0.5),
    p95: quantileOfSorted(sorted, 0.95),
    p99: quantileOfSorted(sorted, 0.99),
    mean: mean(values),
  };
}
