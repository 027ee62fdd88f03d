import { contentHash } from '../hashing/canonical-json';

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
 */
export function drawReviewSample(candidates: readonly SampleCandidate[], design: SampleDesign): DrawnSample {
  void candidates;
  void design;
  throw new Error('drawReviewSample: not implemented yet');
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
