import { meanOfNonEmpty, quantileOfSorted, sortedAscending } from './descriptive';

const NAMED_REDUCERS = ['mean', 'median', 'max', 'min', 'majority', 'all'] as const;
type NamedReducer = (typeof NAMED_REDUCERS)[number];

/** How an item's scores over several epochs become one score. */
export type EpochReducer = NamedReducer | `pass_at_${number}`;

const PASS_AT = 'pass_at_';

/** An epoch reducer from its name (`pass_at_k` with an integer k ≥ 1); null when it is not one. */
export function parseEpochReducer(s: string): EpochReducer | null {
  if ((NAMED_REDUCERS as readonly string[]).includes(s)) {
    return s as NamedReducer;
  }
  return /^pass_at_[1-9][0-9]*$/.test(s) ? (s as `pass_at_${number}`) : null;
}

/**
 * Reduces one item's epoch values. 'mean', 'median' (numpy's), 'max', 'min' take any numbers; the others
 * take pass (1) / fail (0): 'all' is 1 only if every epoch passed, 'majority' 1 if more than half passed,
 * `pass_at_k` the unbiased estimator 1 − C(n−c, k)/C(n, k) of passing at least once in k tries (n epochs,
 * c passes). Throws a RangeError with no values, non-binary values where binary ones are needed, or k > n.
 */
export function reduceEpochs(values: readonly number[], reducer: EpochReducer): number {
  if (values.length === 0) {
    throw new RangeError('reduceEpochs: no epoch values');
  }
  const n = values.length;
  switch (reducer) {
    case 'mean':
      return meanOfNonEmpty(values);
    case 'median':
      return quantileOfSorted(sortedAscending(values), 0.5);
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'majority':
      return 2 * passes(values) > n ? 1 : 0;
    case 'all':
      return passes(values) === n ? 1 : 0;
    default:
      return passAtK(n, passes(values), Number(reducer.slice(PASS_AT.length)));
  }
}

function passes(values: readonly number[]): number {
  for (const v of values) {
    if (v !== 0 && v !== 1) {
      throw new RangeError(`epoch values must be 0 or 1 for this reducer, got ${v}`);
    }
  }
  return values.filter((v) => v === 1).length;
}

/** 1 − C(n−c, k)/C(n, k), computed as 1 − ∏_{i=n−c+1}^{n} (1 − k/i) to avoid huge binomials. */
function passAtK(n: number, c: number, k: number): number {
  if (!Number.isSafeInteger(k) || k < 1 || k > n) {
    throw new RangeError(`pass_at_k needs an integer k from 1 to the number of epochs (${n}), got ${k}`);
  }
  if (n - c < k) {
    return 1;
  }
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) {
    allFail *= 1 - k / i;
  }
  return 1 - allFail;
}
