import { type Interval } from '../evaluation/run-summary';
import { lazy } from './lazy';
import { assertLevel, assertNonNegativeInteger } from './validate';

const quantileOfBeta = lazy(
  () =>
    require('@stdlib/stats-base-dists-beta-quantile') as typeof import('@stdlib/stats-base-dists-beta-quantile'),
);

/**
 * Stratum variance used when a stratum has a single observed unit, whose sample variance is undefined:
 * 0.25, the largest variance a variable in [0, 1] can have. Conservative on purpose: the alternative,
 * ȳ(1 − ȳ), is 0 for a single 0/1 reading and would claim that stratum is known exactly.
 */
export const SINGLETON_STRATUM_VARIANCE = 0.25;

/** The observations of one stratum of a stratified sample. */
export interface StratumObservations {
  /** N_h: units of the population in the stratum. */
  population: number;
  /** The observed units' values, each in [0, 1] (a 0/1 reading, or the share of raters saying yes). */
  values: readonly number[];
}

/** A stratified estimate of a population proportion. */
export interface StratifiedProportion {
  /** Σ_h W_h ȳ_h, the weights W_h = N_h / N renormalised over the strata with observations. */
  value: number;
  /** Estimated variance of `value`: Σ_h W_h² (1 − n_h / N_h) s_h² / n_h. */
  variance: number;
  /** Observed units (Σ n_h over the covered strata). */
  n: number;
  /** Σ W_h over the strata with at least one observation: the share of the population the estimate covers. */
  coverage: number;
  /** Strata with at least one observation. */
  strata: number;
}

/**
 * The stratified estimate of a proportion (Cochran 1977, "Sampling Techniques", §5.2–5.3; Lohr,
 * "Sampling: Design and Analysis", §3.2): ȳ_st = Σ W_h ȳ_h, v(ȳ_st) = Σ W_h² (1 − f_h) s_h² / n_h with
 * s_h² the sample variance (divisor n_h − 1) and f_h = n_h / N_h the sampling fraction (taken as 1 when a
 * stratum has more observations than units, so its term is 0 instead of negative). Strata with no
 * observation are left out and the others' weights renormalised; `coverage` says how much was left out.
 * A stratum with one observation has the variance SINGLETON_STRATUM_VARIANCE. Null when no stratum with
 * units has an observation.
 */
export function stratifiedProportion(strata: readonly StratumObservations[]): StratifiedProportion | null {
  let total = 0;
  for (const stratum of strata) {
    assertNonNegativeInteger('population', stratum.population);
    for (const value of stratum.values) {
      if (!(value >= 0 && value <= 1)) {
        throw new RangeError(`stratum values must be between 0 and 1, got ${value}`);
      }
    }
    total += stratum.population;
  }
  const covered = strata.filter((stratum) => stratum.population > 0 && stratum.values.length > 0);
  const coveredPopulation = covered.reduce((sum, stratum) => sum + stratum.population, 0);
  if (coveredPopulation === 0) {
    return null;
  }
  let value = 0;
  let variance = 0;
  let n = 0;
  for (const stratum of covered) {
    const weight = stratum.population / coveredPopulation;
    const count = stratum.values.length;
    let sum = 0;
    for (const y of stratum.values) {
      sum += y;
    }
    const mean = sum / count;
    let squares = 0;
    for (const y of stratum.values) {
      squares += (y - mean) ** 2;
    }
    const spread = count === 1 ? SINGLETON_STRATUM_VARIANCE : squares / (count - 1);
    const unsampled = Math.max(0, 1 - count / stratum.population);
    value += weight * mean;
    variance += (weight * weight * unsampled * spread) / count;
    n += count;
  }
  return {
    value: Math.min(1, Math.max(0, value)),
    variance,
    n,
    coverage: coveredPopulation / total,
    strata: covered.length,
  };
}

/** A proportion's interval with its one-sided upper bound. */
export interface ProportionBounds {
  interval: Interval;
  /** One-sided upper bound at the interval's level (e.g. 95%). */
  upper: number;
  /** The (effective) number of trials the Beta quantiles were taken at. */
  effectiveN: number;
}

/**
 * Clopper–Pearson bounds for x successes in n trials where x and n need not be integers (an effective
 * count): the two-sided `level` interval [B(α/2; x, n − x + 1), B(1 − α/2; x + 1, n − x)] and the one-sided
 * bound B(level; x + 1, n − x), with B the Beta quantile; 0 for the lower when x = 0, 1 for the uppers
 * when x = n. For integers it is the exact interval (clopperPearsonInterval, exactUpperBound).
 */
export function clopperPearsonBounds(successes: number, n: number, level = 0.95): ProportionBounds {
  assertLevel(level);
  if (!(n > 0 && Number.isFinite(n) && successes >= 0 && successes <= n)) {
    throw new RangeError(`Clopper–Pearson needs 0 ≤ successes ≤ n and n > 0, got ${successes} of ${n}`);
  }
  const beta = quantileOfBeta();
  const tail = (1 - level) / 2;
  const all = successes >= n;
  return {
    interval: {
      lower: successes <= 0 ? 0 : beta(tail, successes, n - successes + 1),
      upper: all ? 1 : beta(1 - tail, successes + 1, n - successes),
      level,
      method: 'clopper_pearson',
    },
    upper: all ? 1 : beta(level, successes + 1, n - successes),
    effectiveN: n,
  };
}

/**
 * Korn & Graubard (1998), "Confidence intervals for proportions with small expected number of positive
 * counts estimated from survey data", Survey Methodology 24(2):193–201: the Clopper–Pearson interval at
 * the design's effective sample size n* = p(1 − p) / v (the n at which a simple random sample would have
 * the variance v), capped at the n observed so the design never claims more than a simple random sample
 * of its size would, and x* = p·n*. When v = 0 or p is 0 or 1 the variance says nothing about n*, and
 * n* = n. Not applied: their degrees-of-freedom adjustment (n* × (t_{n−1}/t_df)²), which needs a t
 * quantile; with strata of a few units it would widen the interval slightly.
 */
export function kornGraubardBounds(p: number, variance: number, n: number, level = 0.95): ProportionBounds {
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`p must be between 0 and 1, got ${p}`);
  }
  if (!(variance >= 0 && Number.isFinite(variance))) {
    throw new RangeError(`variance must be finite and non-negative, got ${variance}`);
  }
  assertNonNegativeInteger('n', n);
  if (n === 0) {
    throw new RangeError('n must be positive');
  }
  const effective = variance > 0 && p > 0 && p < 1 ? Math.min(n, (p * (1 - p)) / variance) : n;
  return clopperPearsonBounds(p * effective, effective, level);
}
