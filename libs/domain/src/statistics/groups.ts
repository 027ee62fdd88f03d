import { type GroupBreakdown, type GroupMetric } from '../evaluation/run-summary';
import {
  bootstrapMeanInterval,
  DEFAULT_RESAMPLES,
  LARGE_SAMPLE,
  meanAndStandardError,
  percentileInterval,
  replicate,
  resampleMean,
} from './bootstrap';
import { meanOfNonEmpty } from './descriptive';
import { wilson } from './proportions';
import { seededRandom } from './random';
import { assertLevel } from './validate';

export interface GroupBreakdownOptions {
  /** Values are pass (1) / fail (0): group values are pass rates with Wilson intervals. */
  binary: boolean;
  /** Groups with fewer observations are listed in `smallGroups` and left out of the gap. */
  minGroupSize: number;
  seed: number;
  level?: number;
}

/**
 * Per-group means (pass rates with Wilson intervals when binary, otherwise percentile bootstrap
 * intervals), groups sorted by name (UTF-16 order). `maxGap` is the largest difference between eligible
 * groups (n ≥ minGroupSize), `between: [highest, lowest]` (ties: the first name for the highest, the last
 * for the lowest), with a stratified bootstrap interval: resample within each eligible group, recompute
 * max − min, take percentiles. max − min is biased upwards, so the interval can sit above a small observed
 * gap; its upper bound is the conservative figure gates use. Deterministic for a seed.
 */
export function groupBreakdown(
  key: string,
  observations: readonly { group: string; value: number }[],
  options: GroupBreakdownOptions,
): GroupBreakdown {
  const { binary, minGroupSize, seed, level = 0.95 } = options;
  assertLevel(level);
  const byGroup = new Map<string, number[]>();
  for (const { group, value } of observations) {
    if (binary && value !== 0 && value !== 1) {
      throw new RangeError(`group ${group}: binary values must be 0 or 1, got ${value}`);
    }
    const values = byGroup.get(group);
    if (values) {
      values.push(value);
    } else {
      byGroup.set(group, [value]);
    }
  }
  const samples = [...byGroup].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const groups = samples.map(([group, values]): GroupMetric => {
    const n = values.length;
    if (binary) {
      const passes = values.filter((v) => v === 1).length;
      return { group, n, value: passes / n, interval: wilson(passes, n, level) };
    }
    return {
      group,
      n,
      value: meanOfNonEmpty(values),
      interval: bootstrapMeanInterval(values, { seed, level }) as GroupMetric['interval'],
    };
  });
  const eligible = groups.flatMap((g, i) =>
    g.n >= minGroupSize ? [{ metric: g, values: samples[i][1] }] : [],
  );
  return {
    key,
    groups,
    smallGroups: groups.filter((g) => g.n < minGroupSize).map((g) => g.group),
    maxGap: eligible.length < 2 ? null : maxGap(eligible, binary, seed, level),
  };
}

function maxGap(
  eligible: readonly { metric: GroupMetric; values: readonly number[] }[],
  binary: boolean,
  seed: number,
  level: number,
): GroupBreakdown['maxGap'] {
  let highest = eligible[0].metric;
  let lowest = eligible[0].metric;
  for (const { metric } of eligible) {
    highest = metric.value > highest.value ? metric : highest;
    lowest = metric.value <= lowest.value ? metric : lowest;
  }
  const rng = seededRandom(seed);
  // Each replicate resamples every group. For pass/fail values that is exactly a binomial draw of the
  // group's passes; for large groups of scores, a normal draw of the group mean (the CLT), so the cost
  // does not grow with the number of items.
  const draws = eligible.map(({ values }) => {
    if (binary) {
      const passes = values.reduce((sum, v) => sum + v, 0);
      return () => rng.binomial(values.length, passes / values.length) / values.length;
    }
    if (values.length > LARGE_SAMPLE) {
      const { mean, standardError } = meanAndStandardError(values);
      return () => rng.normal(mean, standardError);
    }
    return () => resampleMean(values, rng);
  });
  const resampledGap = (): number => {
    const means = draws.map((draw) => draw());
    return Math.max(...means) - Math.min(...means);
  };
  return {
    value: highest.value - lowest.value,
    between: [highest.group, lowest.group],
    interval: percentileInterval(replicate(DEFAULT_RESAMPLES, resampledGap), level),
  };
}
