import { contentHash } from '../hashing/canonical-json';
import { type SeededRandom, seededRandom } from '../statistics/random';

/**
 * A review sample: the items of a completed run that people will review, drawn by a stated, recorded
 * design so that what they find can be weighted back to the whole run. Immutable once drawn, and hashed
 * like a dataset version.
 */

export const MAX_SAMPLE_SIZE = 2000;
export const MAX_OVERSAMPLE_WEIGHT = 20;

/** How a sample is drawn. Every stratum with a weight other than 1 is a stratum of its own. */
export interface SampleDesign {
  /** Items to draw: 1–MAX_SAMPLE_SIZE; fewer when the run has fewer reviewable items. */
  size: number;
  /** The seed of the draw: the same run, design and seed always give the same items in the same order. */
  seed: number;
  /** One of the suite's group keys (`groupBy`) to stratify by, or null. */
  groupKey: string | null;
  /**
   * Over-weighting in the allocation (1–MAX_OVERSAMPLE_WEIGHT): a stratum of failed items gets this many
   * times its share of the sample, and a stratum of items a model judge scored `judgedWeight` times.
   */
  failureWeight: number;
  judgedWeight: number;
}

/** One reviewable result of the run (scored, not errored), in the run's order (seq, then epoch). */
export interface SampleCandidate {
  itemId: string;
  epoch: number;
  /** Any scorer failed the item (a guardrail caught it, or a quality scorer failed it). */
  failed: boolean;
  /** A model judge (`rubric_judge`) scored the item. */
  judged: boolean;
  groups: Record<string, string>;
}

/** One stratum of the population: the cell of verdict × judged × group value. */
export interface SampleStratum {
  /** A stable key, e.g. `failed|judged|age_band=65+` (parts for dimensions not stratified are left out). */
  key: string;
  failed: boolean | null;
  judged: boolean | null;
  group: string | null;
  /** N_h: reviewable items of the run in this stratum. */
  population: number;
  /** n_h: items drawn from it. */
  drawn: number;
}

export interface SampledItem {
  /** 1-based position in the review order (shuffled with the seed, so failures do not come first). */
  position: number;
  itemId: string;
  epoch: number;
  stratum: string;
  /** Design weight N_h / n_h: how many items of the run this one stands for. */
  weight: number;
}

export interface DrawnSample {
  population: number;
  strata: SampleStratum[];
  items: SampledItem[];
}

/**
 * Draws a stratified random sample (without replacement, seeded) from a run's reviewable results.
 *
 * Strata: verdict (failed or not) when `failureWeight` ≠ 1, judged or not when `judgedWeight` ≠ 1 and some
 * but not all candidates were judged, and the value of `groupKey` when given (a missing value is its own
 * group, `(none)`). Allocation: n_h proportional to N_h × weight_h (largest remainder), at most N_h, and
 * at least one from every non-empty stratum when the size allows (so every stratum has an estimate).
 * Deterministic for the candidates' order, the design and the seed.
 *
 * Stratum keys join the stratified dimensions' parts with `|`: `failed` or `passed`, `judged` or
 * `unjudged`, `<groupKey>=<value>`; an unstratified design has the one stratum `all`. Strata are listed
 * failed before passed, judged before unjudged, then by group value (code-unit order), and only non-empty
 * ones. Within a stratum the draw is a partial Fisher–Yates shuffle of its candidates (in the run's
 * order), stratum by stratum in that order, from one seeded stream (which first orders the strata at
 * random for the allocation's ties); the drawn items are then shuffled into the review order with the
 * same stream. Size at or above the population takes every item.
 * O(N + n + H log H) for N candidates, n drawn and H strata.
 */
export function drawReviewSample(candidates: readonly SampleCandidate[], design: SampleDesign): DrawnSample {
  assertDesign(design);
  const strata = stratify(candidates, design);
  const random = seededRandom(design.seed);
  const allocation = allocateSample(
    design.size,
    strata.map((s) => s.members.length),
    strata.map((s) => s.weight),
    shuffled(
      strata.map((_, h) => h),
      random,
    ),
  );
  const drawn: Omit<SampledItem, 'position'>[] = [];
  strata.forEach((stratum, h) => {
    const members = stratum.members;
    const count = allocation[h];
    const weight = members.length / count;
    for (let i = 0; i < count; i++) {
      const j = i + random.nextInt(members.length - i);
      [members[i], members[j]] = [members[j], members[i]];
      const candidate = candidates[members[i]];
      drawn.push({ itemId: candidate.itemId, epoch: candidate.epoch, stratum: stratum.key, weight });
    }
  });
  for (let i = drawn.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [drawn[i], drawn[j]] = [drawn[j], drawn[i]];
  }
  return {
    population: candidates.length,
    strata: strata.map((stratum, h) => ({
      key: stratum.key,
      failed: stratum.failed,
      judged: stratum.judged,
      group: stratum.group,
      population: stratum.members.length,
      drawn: allocation[h],
    })),
    items: drawn.map((item, i) => ({ position: i + 1, ...item })),
  };
}

/** The group of a candidate that has no value for the sample's group key. */
export const NO_GROUP = '(none)';

/** The last line of defence (the application validates designs first): a RangeError naming the field. */
function assertDesign(design: SampleDesign): void {
  if (!Number.isSafeInteger(design.size) || design.size < 1 || design.size > MAX_SAMPLE_SIZE) {
    throw new RangeError(`size must be an integer from 1 to ${MAX_SAMPLE_SIZE}, got ${design.size}`);
  }
  if (!Number.isSafeInteger(design.seed)) {
    throw new RangeError(`seed must be a safe integer, got ${design.seed}`);
  }
  for (const field of ['failureWeight', 'judgedWeight'] as const) {
    const weight = design[field];
    if (!Number.isFinite(weight) || weight < 1 || weight > MAX_OVERSAMPLE_WEIGHT) {
      throw new RangeError(`${field} must be a number from 1 to ${MAX_OVERSAMPLE_WEIGHT}, got ${weight}`);
    }
  }
  if (design.groupKey !== null && (typeof design.groupKey !== 'string' || design.groupKey === '')) {
    throw new RangeError(`groupKey must be a non-empty string or null, got ${String(design.groupKey)}`);
  }
}

interface Stratum {
  key: string;
  failed: boolean | null;
  judged: boolean | null;
  group: string | null;
  /** Allocation weight: failureWeight for failed items times judgedWeight for judged ones. */
  weight: number;
  /** Indexes of the stratum's candidates, in the run's order. */
  members: number[];
}

function stratify(candidates: readonly SampleCandidate[], design: SampleDesign): Stratum[] {
  const byVerdict = design.failureWeight !== 1;
  const judgedCount = candidates.reduce((count, c) => count + (c.judged === true ? 1 : 0), 0);
  const byJudged = design.judgedWeight !== 1 && judgedCount > 0 && judgedCount < candidates.length;
  const groupKey = design.groupKey;
  // Verdict × judged cell (0–3), then group value: the key string is built once per stratum, not per item.
  const cells = [0, 1, 2, 3].map(() => new Map<string | null, Stratum>());
  candidates.forEach((candidate, index) => {
    const failed = byVerdict ? candidate.failed === true : null;
    const judged = byJudged ? candidate.judged === true : null;
    const group = groupKey === null ? null : groupOf(candidate, groupKey);
    const cell = cells[(failed ? 2 : 0) + (judged ? 1 : 0)];
    let stratum = cell.get(group);
    if (!stratum) {
      const parts = [
        ...(failed === null ? [] : [failed ? 'failed' : 'passed']),
        ...(judged === null ? [] : [judged ? 'judged' : 'unjudged']),
        ...(group === null ? [] : [`${groupKey}=${group}`]),
      ];
      const key = parts.length === 0 ? 'all' : parts.join('|');
      const weight = (failed ? design.failureWeight : 1) * (judged ? design.judgedWeight : 1);
      stratum = { key, failed, judged, group, weight, members: [] };
      cell.set(group, stratum);
    }
    stratum.members.push(index);
  });
  const strata = cells.flatMap((cell) => [...cell.values()]);
  const rank = (flag: boolean | null) => (flag === true ? 0 : 1);
  return strata.sort(
    (a, b) =>
      rank(a.failed) - rank(b.failed) ||
      rank(a.judged) - rank(b.judged) ||
      compareCodeUnits(a.group ?? '', b.group ?? ''),
  );
}

/** The candidate's own value for the key (never one inherited from Object.prototype), else NO_GROUP. */
function groupOf(candidate: SampleCandidate, key: string): string {
  const groups: unknown = candidate.groups;
  const value: unknown =
    typeof groups === 'object' && groups !== null && Object.hasOwn(groups, key)
      ? (groups as Record<string, unknown>)[key]
      : undefined;
  return typeof value === 'string' ? value : NO_GROUP;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The values in a seeded random order (Fisher–Yates). */
function shuffled<T>(values: T[], random: SeededRandom): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

/**
 * n_h for a sample of `size` from strata of `populations` with allocation `weights`: the quota
 * q_h = clamp(λ N_h w_h, lower_h, N_h) with λ such that Σ q_h = size (lower_h = 1 when the size covers one
 * per stratum, else 0), then rounded by largest remainder within the same bounds. The clamping is the
 * redistribution: what a capped stratum cannot take goes to the others in proportion to their shares.
 * Equal remainders go in the order of `tieBreak` (a rank per stratum; the draw passes a seeded random
 * one, so that with more strata than items which equal strata are represented is not decided by their
 * names).
 */
export function allocateSample(
  size: number,
  populations: readonly number[],
  weights: readonly number[],
  tieBreak: readonly number[] = populations.map((_, h) => h),
): number[] {
  const total = populations.reduce((sum, n) => sum + n, 0);
  if (size >= total) {
    return [...populations];
  }
  const lower = populations.map((n) => (size >= populations.length && n > 0 ? 1 : 0));
  const shares = populations.map((n, h) => n * weights[h]);
  const quotaAt = (scale: number) =>
    shares.map((share, h) => Math.min(populations[h], Math.max(lower[h], scale * share)));
  const sumAt = (scale: number) => quotaAt(scale).reduce((sum, q) => sum + q, 0);
  // Σ q_h(λ) is continuous and non-decreasing in λ, from Σ lower ≤ size to N > size: bisect for λ, then
  // take λ exactly from the strata it leaves unclamped.
  let low = 0;
  let high = populations.reduce((most, n, h) => Math.max(most, shares[h] > 0 ? n / shares[h] : 0), 0);
  for (let i = 0; i < 200 && high - low > high * 1e-15; i++) {
    const middle = (low + high) / 2;
    if (sumAt(middle) < size) {
      low = middle;
    } else {
      high = middle;
    }
  }
  const clamped = quotaAt(high);
  const free = clamped.map((q, h) => q > lower[h] && q < populations[h]);
  const fixedSum = clamped.reduce((sum, q, h) => sum + (free[h] ? 0 : q), 0);
  const freeShares = shares.reduce((sum, share, h) => sum + (free[h] ? share : 0), 0);
  const quotas = clamped.map((q, h) =>
    free[h] ? Math.min(populations[h], ((size - fixedSum) * shares[h]) / freeShares) : q,
  );
  const counts = quotas.map((q, h) => Math.max(lower[h], Math.min(populations[h], Math.floor(q + 1e-9))));
  let missing = size - counts.reduce((sum, n) => sum + n, 0);
  // Largest remainder first (to 1e-9, so rounding noise does not break ties); a rounding surplus comes
  // off the smallest.
  const order = quotas
    .map((q, h) => ({ h, remainder: Math.round((q - counts[h]) * 1e9) }))
    .sort((a, b) => b.remainder - a.remainder || tieBreak[a.h] - tieBreak[b.h]);
  while (missing !== 0) {
    const before = missing;
    for (const { h } of missing > 0 ? order : [...order].reverse()) {
      if (missing > 0 && counts[h] < populations[h]) {
        counts[h] += 1;
        missing -= 1;
      } else if (missing < 0 && counts[h] > lower[h]) {
        counts[h] -= 1;
        missing += 1;
      }
      if (missing === 0) {
        break;
      }
    }
    if (missing === before) {
      throw new Error(`allocate: cannot place ${missing} items within the strata's bounds`);
    }
  }
  return counts;
}

/** The hash a sample is known by: its run, design, strata and items (canonical JSON, sha256). */
export function reviewSampleHash(runId: string, design: SampleDesign, drawn: DrawnSample): string {
  return contentHash({
    runId,
    design,
    population: drawn.population,
    strata: drawn.strata,
    items: drawn.items.map((item) => [item.position, item.itemId, item.epoch, item.stratum, item.weight]),
  });
}
