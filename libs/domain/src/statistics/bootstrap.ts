import { type Interval } from '../evaluation/run-summary';
import { meanOfNonEmpty, quantileOfSorted, sortedAscending } from './descriptive';
import { normalQuantile } from './proportions';
import { type SeededRandom, seededRandom } from './random';
import { assertLevel, assertPositiveInteger } from './validate';

export const DEFAULT_RESAMPLES = 2000;

/**
 * Above this many values the interval of a mean is the normal-theory one (method 'normal'): at that size
 * the percentile bootstrap and the normal interval agree to a fraction of a point, and resampling 2,000
 * times would cost seconds for a 100,000-item run.
 */
export const LARGE_SAMPLE = 2000;

export interface BootstrapOptions {
  seed: number;
  /** Number of bootstrap resamples; 2000 by default. */
  resamples?: number;
  /** Confidence level; 0.95 by default. */
  level?: number;
}

/** The mean of one resample (with replacement, same size) of non-empty values. */
export function resampleMean(values: readonly number[], rng: SeededRandom): number {
  const draw = rng.intBelow(values.length);
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    m += (values[draw()] - m) / (i + 1);
  }
  return m;
}

/** Mean and standard error of non-empty values (sample standard deviation / √n). */
export function meanAndStandardError(values: readonly number[]): { mean: number; standardError: number } {
  const m = meanOfNonEmpty(values);
  if (values.length < 2) {
    return { mean: m, standardError: 0 };
  }
  let squares = 0;
  for (const v of values) {
    squares += (v - m) ** 2;
  }
  return { mean: m, standardError: Math.sqrt(squares / (values.length - 1) / values.length) };
}

/** The normal-theory interval of a mean (method 'normal'). */
export function normalMeanInterval(values: readonly number[], level: number): Interval {
  const { mean, standardError } = meanAndStandardError(values);
  const z = normalQuantile(1 - (1 - level) / 2);
  return { lower: mean - z * standardError, upper: mean + z * standardError, level, method: 'normal' };
}

/** The percentile interval (equal tails, numpy-style quantiles) of bootstrap replicates. */
export function percentileInterval(replicates: readonly number[], level: number): Interval {
  const sorted = sortedAscending(replicates);
  const tail = (1 - level) / 2;
  return {
    lower: quantileOfSorted(sorted, tail),
    upper: quantileOfSorted(sorted, 1 - tail),
    level,
    method: 'bootstrap',
  };
}

/** `resamples` replicates of a statistic, drawn one after another. */
export function replicate(resamples: number, statistic: () => number): number[] {
  return Array.from({ length: resamples }, statistic);
}

/** Validated resamples and level with their defaults. */
export function bootstrapSettings(options: BootstrapOptions): { resamples: number; level: number } {
  const { resamples = DEFAULT_RESAMPLES, level = 0.95 } = options;
  assertPositiveInteger('resamples', resamples);
  assertLevel(level);
  return { resamples, level };
}

/**
 * Percentile bootstrap interval of the mean (method 'bootstrap'), deterministic for a seed; null for no
 * values. Equal values (or a single one) give an interval collapsed to that value. Above LARGE_SAMPLE
 * values, the normal-theory interval (method 'normal').
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions): Interval | null {
  const { resamples, level } = bootstrapSettings(options);
  if (values.length === 0) {
    return null;
  }
  if (values.length > LARGE_SAMPLE) {
    return normalMeanInterval(values, level);
  }
  const rng = seededRandom(options.seed);
  return percentileInterval(
    replicate(resamples, () => resampleMean(values, rng)),
    level,
  );
}
