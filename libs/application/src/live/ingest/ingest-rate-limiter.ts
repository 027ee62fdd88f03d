import { type GatehouseConfig } from '@gatehouse/config';
import { withTimeout } from '@gatehouse/queue';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import Redis from 'ioredis';
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

/**
 * Bodies of one use case this process reads (and inflates) at once while the limit is on. A body is charged
 * once it is read, so without this a sender could start many at once on the same allowance (64 gzip bodies of
 * 4 KB sent together inflated 256 MiB before any was charged). A service's exporters rarely have more than a
 * couple of uploads in flight; past this they are answered 429 with Retry-After: 1.
 */
export const MAX_CONCURRENT_INGEST_READS = 4;

/** Buckets kept per process (one per use case sending here); idle ones are dropped first. */
export const MAX_INGEST_BUCKETS = 10_000;
/** A use case over its rate, and Redis not answering, are each logged at most this often. */
const WARN_EVERY_MS = 60_000;
/**
 * The longest a take waits for Redis (its connection at first, then each answer) before this process decides
 * alone. Redis answers in well under a millisecond when well: this bounds what a sick one adds to a request.
 */
export const INGEST_RATE_REDIS_TIMEOUT_MS = 200;
/** After Redis failed to answer in time, takes are decided in this process for this long before it is asked again. */
const REDIS_PAUSE_MS = 1_000;

/** The Redis key (under the queue's prefix) holding a use case's bucket while it is not full. */
export const ingestRateKey = (prefix: string, aiUseCaseId: string): string =>
  `${prefix}:ingest-rate:${aiUseCaseId}`;

/** The name the limiter's Redis connection goes by (CLIENT LIST), under the queue's prefix. */
export const ingestRateConnectionName = (prefix: string): string => `${prefix}:ingest-rate`;

/**
 * The shared bucket, charged atomically: KEYS[1] the bucket (a hash: `b` the bytes held, `t` when, in ms of
 * Redis's own clock); ARGV rate (bytes a second), burst, cost. The body is allowed if the bucket holds
 * `cost`; either way `cost` is taken (the body was read), the bucket going into debt down to -burst at most;
 * the key expires when the bucket would be full again (a full bucket is no key). Returns {1 allowed / 0
 * refused, the bytes held now (after the charge), as a string: Lua numbers are truncated to integers on the
 * way out}.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local held = redis.call('HMGET', KEYS[1], 'b', 't')
local bytes = burst
if held[1] and held[2] then
  bytes = math.min(burst, tonumber(held[1]) + math.max(now - tonumber(held[2]), 0) * rate / 1000)
end
local allowed = 1
if cost > bytes then
  allowed = 0
end
bytes = math.max(bytes - cost, -burst)
local fullInMs = math.ceil((burst - bytes) * 1000 / rate)
if fullInMs > 0 then
  redis.call('HSET', KEYS[1], 'b', bytes, 't', now)
  redis.call('PEXPIRE', KEYS[1], fullInMs)
else
  redis.call('DEL', KEYS[1])
end
return {allowed, tostring(bytes)}
`;

interface SharedBuckets extends Redis {
  gatehouseIngestTake(key: string, rate: number, burst: number, cost: number): Promise<[number, string]>;
}

interface Bucket {
  /** Bytes the use case may send now (with Redis: the shared bucket's, as its last answer here said). */
  bytes: number;
  /** When `bytes` was last brought up to date. */
  at: number;
  /** When the last warning was logged, and the refusals since then. */
  warnedAt: number;
  refused: number;
}

/** Why a take was decided in this process although Redis is configured. */
type LocalReason = 'unavailable' | 'timeout' | 'error';

/**
 * Each use case's ingest bytes per second: a token bucket of `live.ingestBurstBytes` refilled at
 * `live.maxIngestBytesPerSecond` (0: no limit). The guard asks `admits` before a body is read (its
 * Content-Length) and `take` once it is read (its decompressed size) and before anything is decoded, so a
 * service sending more than its share costs the API the reading of its bodies and no more, and other use
 * cases' requests do not wait behind it. Every body read is charged, refused or not (a 429 after reading,
 * and a body refused while it was read: a gzip bomb, corrupt gzip, a body cut off), the bucket going into
 * debt (down to minus a burst): reading and inflating is the cost the limit bounds, so a use case cannot
 * make the API inflate 4 MiB bodies it then refuses, for free. Retry-After counts the debt, so a sender that
 * waits it out is then accepted; until then `admits` refuses before reading. A request costs at least
 * `live.minIngestRequestBytes` (16 KiB: its fixed cost, authentication and a transaction, in bytes' worth), so
 * a byte allowance does not let tiny requests (heartbeats, single spans) through by the thousand a second.
 *
 * Where the bucket lives:
 * - the queue on Redis (`REDIS_URL`, several API processes): in Redis, under the queue's prefix, so the rate
 *   is the use case's across all API processes. `take` is one EVALSHA of an atomic script on Redis's clock
 *   (one round trip); `admits` asks nothing of Redis: it answers from the last shared answer this process
 *   had, refilled since, which is at least what the shared bucket holds (other processes only take from it),
 *   so it refuses only what `take` would. While Redis does not answer within INGEST_RATE_REDIS_TIMEOUT_MS
 *   (down, unreachable, slow), each take is decided by this process's own bucket, as without Redis (the rate
 *   per process), logged once a minute and counted in `gatehouse_ingest_rate_local_total`.
 * - the embedded default (in-process queue, one process): in this process's memory; Redis is never opened.
 *
 * Cheap by design: a Map lookup and arithmetic, no timer per request, and with Redis one round trip per
 * request (about 0.1-0.3 ms on a local network; a Lua script of two hash reads and a write). The map
 * is bounded: a full bucket is the same as none, so buckets idle long enough to have refilled are dropped
 * first, then the least recently used.
 */
@Injectable()
export class IngestRateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(IngestRateLimiter.name);
  private readonly buckets = new Map<string, Bucket>();
  /** Bodies being read now, per use case (only while the limit is on). */
  private readonly reading = new Map<string, number>();
  private readonly refusals: Counter<'reason'>;
  private readonly locals: Counter<'reason'>;
  private readonly now: () => number;
  /** The queue's Redis and prefix, when it runs on Redis (the embedded default is one process). */
  private readonly shared: { url: string; prefix: string } | null;
  private redis: SharedBuckets | null = null;
  /** The first connection, which takes wait for (bounded); null once it has settled. */
  private connecting: Promise<void> | null = null;
  /** Until when takes are decided here without asking Redis (it failed to answer in time), and why. */
  private localUntil = -Infinity;
  private localReason: LocalReason = 'timeout';
  /** Whether the last take was decided here for want of Redis, the warning's time, and the takes since it. */
  private degraded = false;
  private degradedWarnedAt = -Infinity;
  private degradedTakes = 0;
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  /** The least a request is charged (its fixed cost, in bytes' worth). */
  readonly minRequestBytes: number;

  constructor(
    @InjectConfig() config: GatehouseConfig,
    metrics: MetricsService,
    @Optional() @Inject(INGEST_RATE_CLOCK) clock?: () => number,
  ) {
    this.bytesPerSecond = config.live.maxIngestBytesPerSecond;
    this.burstBytes = config.live.ingestBurstBytes;
    this.minRequestBytes = config.live.minIngestRequestBytes;
    this.now = clock ?? Date.now;
    this.shared =
      config.queue.kind === 'redis' ? { url: config.queue.url.reveal(), prefix: config.queue.prefix } : null;
    this.refusals = counter(
      metrics,
      'gatehouse_ingest_refused_total',
      'Ingest requests refused by the byte rate, by reason (rate_limited: the use case was over GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND, before its body was read or after, before it was decoded; concurrent_reads: too many of its bodies were being read at once).',
    );
    this.locals = counter(
      metrics,
      'gatehouse_ingest_rate_local_total',
      'Ingest rate decisions this API process made alone although Redis is configured (the limit was then per process), by reason: unavailable (not connected), timeout (no answer in time), error.',
    );
  }

  /** Whether the limit is on (a rate above 0). */
  get enabled(): boolean {
    return this.bytesPerSecond > 0;
  }

  /** Whether the buckets are shared through Redis (the queue runs on Redis), whether Redis answers now or not. */
  get sharedAcrossProcesses(): boolean {
    return this.shared !== null;
  }

  /** Whether takes are decided in Redis now: connected, and answering in time (false on the embedded default). */
  get sharing(): boolean {
    return this.redis?.status === 'ready' && this.now() >= this.localUntil;
  }

  /** Whether a Redis connection has been opened (tests: never in the embedded default). */
  get opened(): boolean {
    return this.redis !== null;
  }

  /** Buckets held in this process now (tests). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Charges the `bytes` read to the use case's bucket (in Redis when the queue runs on Redis), and allows the
   * body if the bucket held them: a refused body is charged too (the bucket goes into debt), as is a body
   * refused while it was read (the guard charges what was read and ignores the decision). A body larger than
   * the bucket (possible only with a smaller burst than the largest body) costs a full bucket. Never
   * rejects: without an answer from Redis in time, this process decides.
   */
  async take(aiUseCaseId: string, bytes: number): Promise<IngestRateDecision> {
    if (!this.enabled) {
      return ALLOWED;
    }
    const redis = this.shared ? await this.sharedBuckets() : null;
    if (!redis) {
      return this.decide(aiUseCaseId, bytes, true);
    }
    const cost = this.cost(bytes);
    let left: number;
    let taken: boolean;
    try {
      const [ok, held] = await redis.gatehouseIngestTake(
        ingestRateKey((this.shared as { prefix: string }).prefix, aiUseCaseId),
        this.bytesPerSecond,
        this.burstBytes,
        cost,
      );
      left = Number(held);
      taken = ok === 1;
      if (!Number.isFinite(left)) {
        throw new Error(`unexpected answer ${String(held)}`);
      }
    } catch (error) {
      const timeout = error instanceof Error && /timed out/i.test(error.message);
      this.localUntil = this.now() + REDIS_PAUSE_MS;
      this.localReason = timeout ? 'timeout' : 'error';
      this.decidedLocally(this.localReason, error);
      return this.decide(aiUseCaseId, bytes, true);
    }
    this.answered();
    // The shared bucket as Redis just said, mirrored here for `admits` (and the starting point should Redis
    // stop answering).
    const now = this.now();
    const bucket = this.bucket(aiUseCaseId, now);
    bucket.bytes = left;
    bucket.at = now;
    return taken ? ALLOWED : this.refusal(aiUseCaseId, bucket, cost, now);
  }

  /**
   * Whether the bucket holds at least `bytes` now, taking nothing and asking nothing of Redis: asked before a
   * body is read with the least it can hold (its Content-Length; a gzip body inflates to more), so a use case
   * over its rate is refused before its body is read or inflated (a 4 KB gzip body of zeros inflates to
   * 4 MiB: 6-7 ms of CPU each, however many it sends). With Redis it answers from the shared bucket's last
   * answer here, refilled since: an upper bound of what it holds, so only what `take` would refuse is refused.
   */
  admits(aiUseCaseId: string, bytes: number): IngestRateDecision {
    return this.enabled ? this.decide(aiUseCaseId, bytes, false) : ALLOWED;
  }

  /**
   * Starts reading a body of the use case: false (refused, counted) when MAX_CONCURRENT_INGEST_READS of its
   * bodies are being read by this process already. Each true must be followed by one `endRead`.
   */
  startRead(aiUseCaseId: string): boolean {
    if (!this.enabled) {
      return true;
    }
    const now = this.reading.get(aiUseCaseId) ?? 0;
    if (now >= MAX_CONCURRENT_INGEST_READS) {
      this.refusals.inc({ reason: 'concurrent_reads' });
      return false;
    }
    this.reading.set(aiUseCaseId, now + 1);
    return true;
  }

  /** A body started with `startRead` has been read (or refused while it was). */
  endRead(aiUseCaseId: string): void {
    if (!this.enabled) {
      return;
    }
    const left = (this.reading.get(aiUseCaseId) ?? 1) - 1;
    if (left > 0) {
      this.reading.set(aiUseCaseId, left);
    } else {
      this.reading.delete(aiUseCaseId);
    }
  }

  /** Forgets every bucket held in this process (tests). */
  clear(): void {
    this.buckets.clear();
  }

  /** Closes the Redis connection, if one was opened: politely (QUIT) if it is up, at once otherwise. */
  async onModuleDestroy(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    this.connecting = null;
    if (!redis) {
      return;
    }
    if (redis.status === 'ready') {
      try {
        await withTimeout(redis.quit(), INGEST_RATE_REDIS_TIMEOUT_MS);
        return;
      } catch {
        // Not answering: cut it.
      }
    }
    redis.disconnect();
  }

  /** Redis if it can be asked now: connected, and not paused after failing to answer. */
  private async sharedBuckets(): Promise<SharedBuckets | null> {
    if (this.now() < this.localUntil) {
      this.decidedLocally(this.localReason);
      return null;
    }
    if (!this.redis) {
      this.redis = this.connect();
      const redis = this.redis;
      this.connecting = withTimeout(redis.connect(), INGEST_RATE_REDIS_TIMEOUT_MS).then(
        () => undefined,
        () => undefined,
      );
      void this.connecting.finally(() => {
        if (this.redis === redis) {
          this.connecting = null;
        }
      });
    }
    const redis = this.redis;
    if (redis.status !== 'ready' && this.connecting) {
      // The first requests wait for the first connection (bounded); once it has settled none waits again.
      await this.connecting;
    }
    if (redis.status === 'ready' && this.redis === redis) {
      return redis;
    }
    this.decidedLocally('unavailable');
    return null;
  }

  private connect(): SharedBuckets {
    const shared = this.shared as { url: string; prefix: string };
    const redis = new Redis(shared.url, {
      lazyConnect: true,
      connectionName: ingestRateConnectionName(shared.prefix),
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // Never queue or retry a take: without a connection it fails at once, and this process decides.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: INGEST_RATE_REDIS_TIMEOUT_MS,
      // A connection closed while down is cut this soon (the default 2 s timer outlives a test's last moments).
      disconnectTimeout: INGEST_RATE_REDIS_TIMEOUT_MS,
    }) as SharedBuckets;
    redis.defineCommand('gatehouseIngestTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    redis.on('error', () => undefined); // reconnects by itself; takes decide here meanwhile and say so
    return redis;
  }

  private decidedLocally(reason: LocalReason, error?: unknown): void {
    this.locals.inc({ reason });
    this.degraded = true;
    this.degradedTakes += 1;
    const now = this.now();
    if (now - this.degradedWarnedAt >= WARN_EVERY_MS) {
      const why =
        reason === 'unavailable'
          ? 'it is not connected'
          : reason === 'timeout'
            ? `it did not answer within ${INGEST_RATE_REDIS_TIMEOUT_MS} ms`
            : `it failed${error instanceof Error ? `: ${error.message}` : ''}`;
      this.logger.warn(
        `The ingest rate limit is not shared through Redis now (${why}): this API process holds each AI use case to ${INGEST_RATE_SETTING} on its own (N processes allow N times the rate) until Redis answers; ${this.degradedTakes} request(s) decided so since the last warning.`,
      );
      this.degradedWarnedAt = now;
      this.degradedTakes = 0;
    }
  }

  private answered(): void {
    if (this.degraded) {
      this.degraded = false;
      this.degradedTakes = 0;
      if (this.degradedWarnedAt > -Infinity) {
        this.logger.log('The ingest rate limit is shared through Redis again (across all API processes).');
        this.degradedWarnedAt = -Infinity;
      }
    }
  }

  /** What a body of `bytes` costs: its bytes, at least the fixed cost of a request, at most a burst. */
  private cost(bytes: number): number {
    return Math.min(Math.max(bytes, this.minRequestBytes, 0), this.burstBytes);
  }

  /** The use case's bucket here, brought up to `now` and made the most recently used (made full if new). */
  private bucket(aiUseCaseId: string, now: number): Bucket {
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
    return bucket;
  }

  private decide(aiUseCaseId: string, bytes: number, taking: boolean): IngestRateDecision {
    const now = this.now();
    const cost = this.cost(bytes);
    const bucket = this.bucket(aiUseCaseId, now);
    const allowed = cost <= bucket.bytes;
    if (taking) {
      bucket.bytes = Math.max(bucket.bytes - cost, -this.burstBytes);
    }
    return allowed ? ALLOWED : this.refusal(aiUseCaseId, bucket, cost, now);
  }

  private refusal(aiUseCaseId: string, bucket: Bucket, cost: number, now: number): IngestRateDecision {
    this.refusals.inc({ reason: 'rate_limited' });
    bucket.refused += 1;
    if (now - bucket.warnedAt >= WARN_EVERY_MS) {
      this.logger.warn(
        `AI use case ${aiUseCaseId} is sending live data faster than ${INGEST_RATE_SETTING} (${this.bytesPerSecond} bytes a second, bursts of ${this.burstBytes}) allows ${this.shared ? 'across all API processes' : 'this process'}: ${bucket.refused} request(s) refused with 429 here since the last warning.`,
      );
      bucket.warnedAt = now;
      bucket.refused = 0;
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.bytes) / this.bytesPerSecond)),
      bytesPerSecond: this.bytesPerSecond,
      burstBytes: this.burstBytes,
    };
  }

  private evict(now: number): void {
    // A bucket idle long enough to refill (its debt too) is the same as no bucket.
    for (const [key, bucket] of this.buckets) {
      const refilled = bucket.bytes + (Math.max(now - bucket.at, 0) * this.bytesPerSecond) / 1000;
      if (refilled >= this.burstBytes && now - bucket.warnedAt >= WARN_EVERY_MS) {
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

const ALLOWED: IngestRateDecision = Object.freeze({ allowed: true });

function counter(metrics: MetricsService, name: string, help: string): Counter<'reason'> {
  return (
    (metrics.registry.getSingleMetric(name) as Counter<'reason'> | undefined) ??
    new Counter({ name, help, labelNames: ['reason'] as const, registers: [metrics.registry] })
  );
}
