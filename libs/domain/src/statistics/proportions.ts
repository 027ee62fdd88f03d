import { lazy } from './lazy';

const quantileOfBeta = lazy(
  () =>
    require('@stdlib/stats-base-dists-beta-quantile') as typeof import('@stdlib/stats-base-dists-beta-quantile'),
);
import { type Interval } from '../evaluation/run-summary';
import { assertCount, assertLevel } from './validate';

/**
 * The standard normal quantile Φ⁻¹(p), 0 < p < 1, by Acklam's rational approximation (relative error
 * below 1.2e-9; no normal quantile is among the allowed libraries).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    throw new RangeError(`p must be between 0 and 1 (exclusive), got ${p}`);
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  const pLow = 0.02425;
  if (p < pLow) {
    return tail(Math.sqrt(-2 * Math.log(p)));
  }
  if (p > 1 - pLow) {
    return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Wilson score interval for n > 0 (inputs already validated). */
export function wilson(successes: number, n: number, level: number): Interval {
  const z = normalQuantile(1 - (1 - level) / 2);
  const z2 = z * z;
  const centre = (successes + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((successes * (n - successes)) / n + z2 / 4)) / (n + z2);
  return {
    lower: successes === 0 ? 0 : centre - half,
    upper: successes === n ? 1 : centre + half,
    level,
    method: 'wilson',
  };
}

/** Two-sided Wilson score interval of a proportion (method 'wilson'); null when n = 0. */
export function wilsonInterval(successes: number, n: number, level = 0.95): Interval | null {
  assertCount('successes', successes, n);
  assertLevel(level);
  return n === 0 ? null : wilson(successes, n, level);
}

/** Exact two-sided Clopper–Pearson interval of a proportion (method 'clopper_pearson'); null when n = 0. */
export function clopperPearsonInterval(successes: number, n: number, level = 0.95): Interval | null {
  assertCount('successes', successes, n);
  assertLevel(level);
  if (n === 0) {
    return null;
  }
  const tail = (1 - level) / 2;
  return {
    lower: successes === 0 ? 0 : quantileOfBeta()(tail, successes, n - successes + 1),
    upper: successes === n ? 1 : quantileOfBeta()(1 - tail, successes + 1, n - successes),
    level,
    method: 'clopper_pearson',
  };
}

/**
 * One-sided exact (Clopper–Pearson) upper bound of a failure rate: the `level` quantile of
 * Beta(failures + 1, n − failures), 1 when every item failed; null when n = 0. With no failures it is
 * 1 − (1 − level)^(1/n), about 3/n at 95% (the rule of three).
 */
export function exactUpperBound(failures: number, n: number, level = 0.95): number | null {
  assertCount('failures', failures, n);
  assertLevel(level);
  if (n === 0) {
    return null;
  }
  return failures === n ? 1 : quantileOfBeta()(level, failures + 1, n - failures);
}
