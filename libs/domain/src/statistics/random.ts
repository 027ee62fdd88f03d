import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';
import { lazy } from './lazy';

const binomialFactory = lazy(
  () => (require('@stdlib/random-base-binomial') as typeof import('@stdlib/random-base-binomial')).factory,
);
const normalFactory = lazy(
  () => (require('@stdlib/random-base-normal') as typeof import('@stdlib/random-base-normal')).factory,
);

import { assertPositiveInteger } from './validate';

export interface SeededRandom {
  /** A uniform integer from 0 to maxExclusive − 1. */
  nextInt(maxExclusive: number): number;
  /** A generator of uniform integers below `maxExclusive`, checked once: for hot resampling loops. */
  intBelow(maxExclusive: number): () => number;
  /** A binomial draw (successes in `trials` with probability `p`), from the same seeded stream. */
  binomial(trials: number, p: number): number;
  /** A normal draw with this mean and standard deviation, from the same seeded stream. */
  normal(mean: number, sd: number): number;
}

/**
 * A deterministic pseudo-random generator: the same integer seed (its low 32 bits) always gives the same
 * sequence. MT19937 from pure-rand, because its seeding scrambles the seed; xoroshiro128+ seeded directly
 * gives first outputs that follow the seed almost linearly.
 */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  const rng = mersenne(seed);
  // stdlib's exact binomial and normal samplers, driven by this generator so one seed fixes everything.
  const uniform = () => (uniformInt(rng, 0, 0x7fffffff) + 0.5) / 0x80000000;
  const binomialDraw = lazy(() => binomialFactory()({ prng: uniform }));
  const normalDraw = lazy(() => normalFactory()({ prng: uniform }));
  return {
    nextInt(maxExclusive: number): number {
      assertPositiveInteger('maxExclusive', maxExclusive);
      return uniformInt(rng, 0, maxExclusive - 1);
    },
    intBelow(maxExclusive: number): () => number {
      assertPositiveInteger('maxExclusive', maxExclusive);
      const max = maxExclusive - 1;
      return () => uniformInt(rng, 0, max);
    },
    binomial: (trials, p) => (p <= 0 ? 0 : p >= 1 ? trials : binomialDraw()(trials, p)),
    normal: (mean, sd) => (sd === 0 ? mean : normalDraw()(mean, sd)),
  };
}
