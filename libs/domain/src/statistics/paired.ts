import { lazy } from './lazy';

const binomialCdf = lazy(
  () =>
    require('@stdlib/stats-base-dists-binomial-cdf') as typeof import('@stdlib/stats-base-dists-binomial-cdf'),
);
import { type Interval } from '../evaluation/run-summary';
import {
  type BootstrapOptions,
  bootstrapSettings,
  percentileInterval,
  replicate,
  resampleMean,
} from './bootstrap';
import { mean } from './descriptive';
import { wilson } from './proportions';
import { type SeededRandom, seededRandom } from './random';
import { assertLevel, assertNonNegativeInteger } from './validate';

/**
 * Two-sided exact McNemar test: the binomial test of the discordant pairs against p = 0.5,
 * min(1, 2·P(X ≤ min(onlyA, onlyB))) with X ~ Bin(onlyA + onlyB, 0.5); 1 with no discordant pairs.
 */
export function mcnemarExact(onlyA: number, onlyB: number): number {
  assertNonNegativeInteger('onlyA', onlyA);
  assertNonNegativeInteger('onlyB', onlyB);
  const discordant = onlyA + onlyB;
  return discordant === 0 ? 1 : Math.min(1, 2 * binomialCdf()(Math.min(onlyA, onlyB), discordant, 0.5));
}

export interface PairedPassFailComparison {
  n: number;
  aRate: number | null;
  bRate: number | null;
  /** bRate − aRate. */
  difference: number | null;
  interval: Interval | null;
  onlyA: number;
  onlyB: number;
  pValue: number;
  test: 'mcnemar_exact';
}

/**
 * Compares the pass rates of runs A and B on the same items: the difference bRate − aRate with Newcombe's
 * score interval for paired proportions (1998, method 10, with the continuity-adjusted correlation as in
 * Fagerland, Lydersen and Laake; method 'newcombe'), and the exact McNemar p-value. The interval is
 * deterministic: `seed` is accepted so both paired comparisons take the same options, and is not used.
 */
export function comparePairedPassFail(
  pairs: readonly { a: boolean; b: boolean }[],
  options: { seed: number; level?: number },
): PairedPassFailComparison {
  const { level = 0.95 } = options;
  assertLevel(level);
  const n = pairs.length;
  const both = pairs.filter((p) => p.a && p.b).length;
  const onlyA = pairs.filter((p) => p.a && !p.b).length;
  const onlyB = pairs.filter((p) => !p.a && p.b).length;
  const pValue = mcnemarExact(onlyA, onlyB);
  if (n === 0) {
    return {
      n,
      aRate: null,
      bRate: null,
      difference: null,
      interval: null,
      onlyA,
      onlyB,
      pValue,
      test: 'mcnemar_exact',
    };
  }
  const aPass = both + onlyA;
  const bPass = both + onlyB;
  const aRate = aPass / n;
  const bRate = bPass / n;
  const difference = bRate - aRate;
  const a = wilson(aPass, n, level);
  const b = wilson(bPass, n, level);
  const psi = pairedCorrelation(both, onlyA, onlyB, n - both - onlyA - onlyB);
  const spread = (x: number, y: number): number => Math.sqrt(x * x + y * y - 2 * psi * x * y);
  const interval: Interval = {
    lower: difference - spread(bRate - b.lower, a.upper - aRate),
    upper: difference + spread(aRate - a.lower, b.upper - bRate),
    level,
    method: 'newcombe',
  };
  return { n, aRate, bRate, difference, interval, onlyA, onlyB, pValue, test: 'mcnemar_exact' };
}

/** Newcombe's correlation estimate for paired proportions, shrunk by n/2 when positive; 0 with an empty margin. */
function pairedCorrelation(both: number, onlyA: number, onlyB: number, neither: number): number {
  const margins = (both + onlyA) * (onlyB + neither) * (both + onlyB) * (onlyA + neither);
  if (margins === 0) {
    return 0;
  }
  const n = both + onlyA + onlyB + neither;
  const cross = both * neither - onlyA * onlyB;
  if (cross < 0) {
    return cross / Math.sqrt(margins);
  }
  return cross > n / 2 ? (cross - n / 2) / Math.sqrt(margins) : 0;
}

export interface PairedScoreComparison {
  n: number;
  meanA: number | null;
  meanB: number | null;
  /** mean(b − a). */
  difference: number | null;
  interval: Interval | null;
  pValue: number;
  test: 'paired_bootstrap';
}

/**
 * Compares scores of runs A and B on the same items: the mean paired difference b − a with a percentile
 * bootstrap interval of the differences (method 'bootstrap'), and a two-sided p-value from a Monte Carlo
 * sign-flip (permutation) test of the differences, (1 + #{|flipped mean| ≥ |observed mean|}) / (1 + resamples),
 * which is valid at any n when differences are symmetric about 0 under the null. Deterministic for a seed.
 */
export function comparePairedScores(
  pairs: readonly { a: number; b: number }[],
  options: BootstrapOptions,
): PairedScoreComparison {
  const { resamples, level } = bootstrapSettings(options);
  const n = pairs.length;
  const differences = pairs.map((p) => p.b - p.a);
  const difference = mean(differences);
  const result = { n, meanA: mean(pairs.map((p) => p.a)), meanB: mean(pairs.map((p) => p.b)), difference };
  if (difference === null) {
    return { ...result, interval: null, pValue: 1, test: 'paired_bootstrap' };
  }
  const rng = seededRandom(options.seed);
  const interval = percentileInterval(
    replicate(resamples, () => resampleMean(differences, rng)),
    level,
  );
  const pValue = signFlipPValue(differences, Math.abs(difference), rng, resamples);
  return { ...result, interval, pValue, test: 'paired_bootstrap' };
}

function signFlipPValue(
  differences: readonly number[],
  observed: number,
  rng: SeededRandom,
  resamples: number,
): number {
  // A relative tolerance, so sign patterns whose mean equals the observed one up to rounding count as ties.
  const threshold = observed * (1 - 1e-12);
  let atLeastAsExtreme = 0;
  for (let r = 0; r < resamples; r++) {
    let m = 0;
    differences.forEach((d, i) => {
      m += ((rng.nextInt(2) === 0 ? d : -d) - m) / (i + 1);
    });
    if (Math.abs(m) >= threshold) {
      atLeastAsExtreme++;
    }
  }
  return (atLeastAsExtreme + 1) / (resamples + 1);
}
