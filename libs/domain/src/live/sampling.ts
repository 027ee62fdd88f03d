import { sha256Hex } from '../hashing/canonical-json';

/**
 * Whether a trace is in the online-scoring sample at `rate` (0–1). Decided from the trace id alone, so
 * every span of a trace goes the same way and an exporter's retry is decided as before.
 */
export function traceSampled(traceId: string, rate: number): boolean {
  if (!(rate > 0)) {
    return false;
  }
  if (rate >= 1) {
    return true;
  }
  // The first 52 bits of the hash, as a number in [0, 1).
  const bucket = parseInt(sha256Hex(traceId).slice(0, 13), 16) / 2 ** 52;
  return bucket < rate;
}
