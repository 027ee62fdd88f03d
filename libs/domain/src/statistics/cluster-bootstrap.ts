import { type Interval } from '../evaluation/run-summary';
import { percentileInterval } from './bootstrap';
import { seededRandom } from './random';
import { assertLevel, assertPositiveInteger } from './validate';

export interface ClusterBootstrapOptions {
  seed: number;
  /** Replicates to draw (2,000 by default). */
  resamples?: number;
  /** Confidence level, 0.95 by default. */
  level?: number;
  /**
   * The least share of replicates that must give a defined statistic (0.5 by default): below it the
   * interval is null, because the defined ones are a biased subset of the resamples.
   */
  minDefinedShare?: number;
}

/** A statistic of clustered data, from additive per-cluster totals. */
export interface ClusterStatistic {
  /** Row c (`width` numbers) holds cluster c's totals: a flat array of clusters × width numbers. */
  totals: Float64Array;
  /** Totals per cluster: 1 to 4. */
  width: number;
  /** The statistic of a replicate's summed rows; null (or not finite) when undefined for it. */
  statistic: (sums: Float64Array) => number | null;
}

/**
 * Percentile bootstrap interval of a statistic of clustered data (method 'bootstrap'). Each cluster (an
 * item, with all its reviews) is summarised by `width` additive totals, row c of `totals`. A replicate
 * draws as many clusters as there are, with replacement, adds up their rows and evaluates `statistic` on
 * the sums; replicates where the statistic is undefined (null or not finite) are dropped. Null when there
 * are no clusters or fewer than `minDefinedShare` of the replicates are defined.
 *
 * Resampling whole clusters keeps the dependence between an item's reviews (same item, several
 * reviewers) in every replicate. No array is allocated per replicate: `statistic` receives the same
 * buffer each time and must not keep it. Deterministic for the seed.
 */
export function clusterBootstrapInterval(
  totals: Float64Array,
  width: number,
  statistic: (sums: Float64Array) => number | null,
  options: ClusterBootstrapOptions,
): Interval | null {
  return clusterBootstrapIntervals([{ totals, width, statistic }], options)[0];
}

/**
 * clusterBootstrapInterval of several statistics at once, each interval exactly what it would be alone
 * (every statistic's replicates come from a stream seeded with `seed`). Statistics with the same number of
 * clusters share one pass of draws, which is what costs: 2,000 resamples of 2,000 clusters is 4 million
 * draws, and ten statistics of five metrics then cost little more than one.
 */
export function clusterBootstrapIntervals(
  statistics: readonly ClusterStatistic[],
  options: ClusterBootstrapOptions,
): (Interval | null)[] {
  const { resamples = 2000, level = 0.95, minDefinedShare = 0.5 } = options;
  assertPositiveInteger('resamples', resamples);
  assertLevel(level);
  if (!Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be an integer, got ${options.seed}`);
  }
  const byClusters = new Map<number, number[]>();
  statistics.forEach(({ totals, width }, s) => {
    if (!Number.isSafeInteger(width) || width < 1 || width > MAX_WIDTH) {
      throw new RangeError(`width must be an integer from 1 to ${MAX_WIDTH}, got ${width}`);
    }
    if (totals.length % width !== 0) {
      throw new RangeError(`totals must hold whole rows of ${width}, got ${totals.length} numbers`);
    }
    const clusters = totals.length / width;
    byClusters.set(clusters, [...(byClusters.get(clusters) ?? []), s]);
  });
  const intervals: (Interval | null)[] = statistics.map(() => null);
  for (const [clusters, members] of byClusters) {
    if (clusters === 0) {
      continue;
    }
    const group = members.map((s) => statistics[s]);
    const replicates = resampleTogether(group, clusters, resamples, options.seed);
    members.forEach((s, g) => {
      const defined = replicates[g];
      if (defined.length > 0 && defined.length >= resamples * minDefinedShare) {
        intervals[s] = percentileInterval(defined, level);
      }
    });
  }
  return intervals;
}

/** The most totals a cluster may carry: four, added into locals in the hot loop. */
const MAX_WIDTH = 4;

/**
 * The defined replicates of each statistic, all of the same number of clusters, from one stream: a
 * replicate draws its clusters once, then each statistic adds up its rows (padded to four totals) in four
 * locals. Measured with ten statistics of 2,000 clusters and 2,000 resamples: about 5 times faster than
 * ten separate passes, which spend most of their time drawing.
 */
function resampleTogether(
  group: readonly ClusterStatistic[],
  clusters: number,
  resamples: number,
  seed: number,
): number[][] {
  const tables = group.map(({ totals, width }) => (width === MAX_WIDTH ? totals : padRows(totals, width)));
  const sums = group.map(() => new Float64Array(MAX_WIDTH));
  const views = group.map(({ width }, g) => sums[g].subarray(0, width));
  const replicates = group.map((): number[] => []);
  const picks = new Int32Array(clusters);
  const draw = seededRandom(seed).intBelow(clusters);
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < clusters; k++) {
      picks[k] = draw() * MAX_WIDTH;
    }
    for (let g = 0; g < group.length; g++) {
      const table = tables[g];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < clusters; k++) {
        const row = picks[k];
        s0 += table[row];
        s1 += table[row + 1];
        s2 += table[row + 2];
        s3 += table[row + 3];
      }
      const total = sums[g];
      total[0] = s0;
      total[1] = s1;
      total[2] = s2;
      total[3] = s3;
      const value = group[g].statistic(views[g]);
      if (value !== null && Number.isFinite(value)) {
        replicates[g].push(value);
      }
    }
  }
  return replicates;
}

function padRows(totals: Float64Array, width: number): Float64Array {
  const rows = totals.length / width;
  const padded = new Float64Array(rows * MAX_WIDTH);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      padded[r * MAX_WIDTH + j] = totals[r * width + j];
    }
  }
  return padded;
}
