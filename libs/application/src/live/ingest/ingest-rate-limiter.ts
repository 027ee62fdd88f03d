import { type GatehouseConfig } from '@gatehouse/config';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { InjectConfig } from '../../gatehouse-config.module';
import { MetricsService } from '../../metrics/metrics.service';

/** The limiter's clock (milliseconds); `Date.now` unless a test provides one. */
export const INGEST_RATE_CLOCK = Symbol('INGEST_RATE_CLOCK');

/** The operator setting a refusal names. */
export const INGEST_RATE_SETTING = 'GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND';

/** Whether a body may be decoded now, and if not how long the sender should wait. */
export type IngestRateDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** Whole seconds (at least 1) until the bucket holds this body's bytes, at the configured rate. */
      retryAfterSeconds: number;
      bytesPerSecond: number;
      burstBytes: number;
    };

/** Buckets kept per process (one per use case sending here); idle ones are dropped first. */
export const MAX_INGEST_BUCKETS = 10_000;
/** A use case over its rate is logged at most this often. */
const WARN_EVERY_MS = 60_000;

interface Bucket {
  /** Bytes the use case may send now. */
  bytes: number;
  /** When `bytes` was last brought up to date. */
  at: number;
  /** When the last warning was logged, and the refusals since then. */
  warnedAt: number;
  refused: number;
}

/**
 * Each use case's ingest bytes per second, per API process: a token bucket of `live.ingestBurstBytes`
 * refilled at `live.maxIngestBytesPerSecond` (0: no limit). The guard asks once the body is read (its
 * decompressed size) and before anything is decoded, so a service sending more than its share costs this
 * process the reading of its bodies and no more, and other use cases' requests do not wait behind it. A
 * refused body takes nothing from the bucket (a sender that waits out Retry-After is then accepted). With N
 * API processes a use case may send N times the rate.
 *
 * Cheap by design: a Map lookup and arithmetic, no timers. The map is bounded: a full bucket is the same as
 * none, so buckets idle long enough to have refilled are dropped first, then the least recently used.
 */
@Injectable()
export class IngestRateLimiter {
  private readonly logger = new Logger(IngestRateLimiter.name);
  private readonly buckets = new Map<string, Bucket>();
  private readonly refusals: Counter<'reason'>;
  private readonly now: () => number;
  readonly bytesPerSecond: number;
  readonly burstBytes: number;

  constructor(
    @InjectConfig() config: GatehouseConfig,
    metrics: MetricsService,
    @Optional() @Inject(INGEST_RATE_CLOCK) clock?: () => number,
  ) {
    this.bytesPerSecond = config.live.maxIngestBytesPerSecond;
    this.burstBytes = config.live.ingestBurstBytes;
    this.now = clock ?? Date.now;
    this.refusals =
      (metrics.registry.getSingleMetric('gatehouse_ingest_refused_total') as Counter<'reason'> | undefined) ??
      new Counter({
        name: 'gatehouse_ingest_refused_total',
        help: 'Ingest requests refused after their body was read and before it was decoded, by reason (rate_limited: the use case was over GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND).',
        labelNames: ['reason'] as const,
        registers: [metrics.registry],
      });
  }

  /** Whether the limit is on (a rate above 0). */
  get enabled(): boolean {
    return this.bytesPerSecond > 0;
  }

  /** Buckets held now (tests). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes `bytes` from the use case's bucket if they are there. A body larger than the bucket (possible
   * only if the limiter is used with a smaller burst than the largest body) is taken from a full bucket.
   */
  take(aiUseCaseId: string, bytes: number): IngestRateDecision {
    return this.decide(aiUseCaseId, bytes, true);
  }

  /**
   * Whether the bucket holds at least `bytes` now, taking nothing: asked before a body is read with the
   * least it can hold (its Content-Length; a gzip body inflates to more), so a use case over its rate is
   * refused before its body is read or inflated (a 4 KB gzip body of zeros inflates to 4 MiB: 6-7 ms of CPU
   * each, however many it sends).
   */
  admits(aiUseCaseId: string, bytes: number): IngestRateDecision {
    return this.decide(aiUseCaseId, bytes, false);
  }

  private decide(aiUseCaseId: string, bytes: number, taking: boolean): IngestRateDecision {
    if (!this.enabled) {
      return { allowed: true };
    }
    const now = this.now();
    const cost = Math.min(Math.max(bytes, 0), this.burstBytes);
    let bucket = this.buckets.get(aiUseCaseId);
    if (bucket) {
      bucket.bytes = Math.min(
        this.burstBytes,
        bucket.bytes + (Math.max(now - bucket.at, 0) * this.bytesPerSecond) / 1000,
      );
      bucket.at = now;
      // Most recently used last, so the oldest are dropped first when the map is full.
      this.buckets.delete(aiUseCaseId);
    } else {
      if (this.buckets.size >= MAX_INGEST_BUCKETS) {
        this.evict(now);
      }
      bucket = { bytes: this.burstBytes, at: now, warnedAt: -Infinity, refused: 0 };
    }
    this.buckets.set(aiUseCaseId, bucket);
    if (cost <= bucket.bytes) {
      if (taking) {
        bucket.bytes -= cost;
      }
      return { allowed: true };
    }
    this.refused(aiUseCaseId, bucket, now);
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.bytes) / this.bytesPerSecond)),
      bytesPerSecond: this.bytesPerSecond,
      burstBytes: this.burstBytes,
    };
  }

  /** Forgets every bucket (tests). */
  clear(): void {
    this.buckets.clear();
  }

  private refused(aiUseCaseId: string, bucket: Bucket, now: number): void {
    this.refusals.inc({ reason: 'rate_limited' });
    bucket.refused += 1;
    if (now - bucket.warnedAt >= WARN_EVERY_MS) {
      this.logger.warn(
        `AI use case ${aiUseCaseId} is sending live data faster than ${INGEST_RATE_SETTING} (${this.bytesPerSecond} bytes a second, bursts of ${this.burstBytes}) allows this process: ${bucket.refused} request(s) refused with 429 since the last warning.`,
      );
      bucket.warnedAt = now;
      bucket.refused = 0;
    }
  }

  private evict(now: number): void {
    // A bucket idle long enough to refill is the same as no bucket.
    const refillMs = (this.burstBytes / this.bytesPerSecond) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= refillMs && now - bucket.warnedAt >= WARN_EVERY_MS) {
        this.buckets.delete(key);
      }
    }
    // Still mostly full: drop the least recently used down to half (a Map iterates in insertion order), so
    // the next scan is thousands of new use cases away.
    if (this.buckets.size > (MAX_INGEST_BUCKETS * 3) / 4) {
      let drop = this.buckets.size - MAX_INGEST_BUCKETS / 2;
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) {
          break;
        }
        this.buckets.delete(key);
      }
    }
  }
}
