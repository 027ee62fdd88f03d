import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';
import { assertPositiveInteger } from './validate';

export interface SeededRandom {
  /** A uniform integer from 0 to maxExclusive − 1. */
  nextInt(maxExclusive: number): number;
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
  return {
    nextInt(maxExclusive: number): number {
      assertPositiveInteger('maxExclusive', maxExclusive);
      return uniformInt(rng, 0, maxExclusive - 1);
    },
  };
}
