import { type Interval } from '../evaluation/run-summary';
import { quantileOfSorted, sortedAscending } from './descriptive';
import { type SeededRandom, seededRandom } from './random';
import { assertLevel, assertPositiveInteger } from './validate';

export const DEFAULT_RESAMPLES = 2000;

export interface BootstrapOptions {
  seed: number;
  /** Number of bootstrap resamples; 2000 by default. */
  resamples?: number;
  /** Confidence level; 0.95 by default. */
  level?: number;
}

/** The mean of one resample (with replacement, same size) of non-empty values. */
export function resampleMean(values: readonly number[], rng: SeededRandom): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    m += (values[rng.nextInt(values.length)] - m) / (i + 1);
  }
  return m;
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
 * values. Equal values (or a single one) give an interval collapsed to that value.
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions): Interval | null {
  const { resamples, level } = bootstrapSettings(options);
  if (values.length === 0) {
    return null;
  }
  const rng = seededRandom(options.seed);
  return percentileInterval(
    replicate(resamples, () => resampleMean(values, rng)),
    level,
  );
}
