import { sha256Hex } from '../hashing/canonical-json';

/**
 * Whether a trace is in the online-scoring sample at `rate` (0–1), decided from the trace id and a `salt`
 * the server draws at random for each ingest request. The spans of one trace in one request go together;
 * the sender, who chooses its trace ids, cannot tell which ids would be scored (with no salt, the hash of
 * the id alone would let a service pick ids that stay out of the sample).
 */
export function traceSampled(traceId: string, rate: number, salt: string): boolean {
  if (!(rate > 0)) {
    return false;
  }
  if (rate >= 1) {
    return true;
  }
  // The first 52 bits of the hash, as a number in [0, 1).
  const bucket = parseInt(sha256Hex(`${salt}:${traceId}`).slice(0, 13), 16) / 2 ** 52;
  return bucket < rate;
}
