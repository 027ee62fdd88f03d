import { loadConfig } from '@gatehouse/config';
import { Logger } from '@nestjs/common';
import { MetricsService } from '../../metrics/metrics.service';
import { IngestRateLimiter, MAX_CONCURRENT_INGEST_READS, MAX_INGEST_BUCKETS } from './ingest-rate-limiter';

const KiB = 1024;

/**
 * A limiter of `rate` bytes a second and `burst` bytes (one maximal body is 64 KiB), on a clock the test
 * moves; a request costs its bytes only unless `minRequest` says otherwise.
 */
function limiter(rate: number, burst = 0, metrics = new MetricsService(), minRequest = 0) {
  const clock = { now: 1_000_000 };
  const config = loadConfig({
    GATEHOUSE_INGEST_MAX_BYTES: String(64 * KiB),
    GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: String(rate),
    GATEHOUSE_INGEST_MIN_REQUEST_BYTES: String(minRequest),
    ...(burst ? { GATEHOUSE_INGEST_BURST_BYTES: String(burst) } : {}),
  });
  const limit = new IngestRateLimiter(config, metrics, () => clock.now);
  return { limit, clock, metrics };
}

describe('IngestRateLimiter', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('lets an idle use case send its burst at once, then refuses what is past it', async () => {
    const { limit } = limiter(64 * KiB, 256 * KiB);
    for (let i = 0; i < 4; i++) {
      expect(await limit.take('a', 64 * KiB)).toEqual({ allowed: true });
    }
    expect(await limit.take('a', 1)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
      bytesPerSecond: 64 * KiB,
      burstBytes: 256 * KiB,
    });
  });

  it('admits() answers whether the bucket holds the bytes now, taking nothing', async () => {
    const { limit } = limiter(64 * KiB, 256 * KiB);
    expect(limit.admits('a', 256 * KiB)).toEqual({ allowed: true });
    expect(limit.admits('a', 256 * KiB)).toEqual({ allowed: true }); // nothing was taken
    expect((await limit.take('a', 250 * KiB)).allowed).toBe(true);
    expect(limit.admits('a', 6 * KiB)).toEqual({ allowed: true });
    expect(limit.admits('a', 6 * KiB + 1)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    // A refusal before the body is read is a refusal like any other (counted, logged once a minute).
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('refills at the rate, never past the burst', async () => {
    const { limit, clock } = limiter(64 * KiB, 256 * KiB);
    expect((await limit.take('a', 256 * KiB)).allowed).toBe(true);
    clock.now += 500; // 32 KiB back
    expect(limit.admits('a', 32 * KiB + 1).allowed).toBe(false);
    expect((await limit.take('a', 32 * KiB)).allowed).toBe(true);
    expect(limit.admits('a', 1).allowed).toBe(false);
    clock.now += 3_600_000; // an hour idle: full again, and no more than full
    expect((await limit.take('a', 256 * KiB)).allowed).toBe(true);
    expect(limit.admits('a', 1).allowed).toBe(false);
  });

  it('charges a refused body too (it was read): the bucket goes into debt, and Retry-After counts it', async () => {
    const { limit, clock } = limiter(64 * KiB, 256 * KiB);
    expect((await limit.take('a', 256 * KiB)).allowed).toBe(true);
    // Empty bucket: a 64 KiB body read and refused leaves 64 KiB of debt: two seconds to hold 64 KiB again.
    expect(await limit.take('a', 64 * KiB)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    expect(limit.admits('a', 1)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    clock.now += 1_000; // the debt is paid, the bucket is empty
    expect(limit.admits('a', 1)).toMatchObject({ allowed: false });
    clock.now += 1_000; // a sender that waited out Retry-After is accepted
    expect(await limit.take('a', 64 * KiB)).toEqual({ allowed: true });
  });

  it('asks for whole seconds, at least one; the debt stops at one burst, so does the wait', async () => {
    const { limit, clock } = limiter(64 * KiB, 256 * KiB);
    expect((await limit.take('a', 256 * KiB)).allowed).toBe(true);
    expect(limit.admits('a', 64 * KiB)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(limit.admits('a', 64 * KiB + 1)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    // Bodies refused one after another (gzip bombs, say): the debt grows to one burst and no further.
    for (let i = 0; i < 20; i++) {
      await limit.take('a', 64 * KiB);
    }
    expect(limit.admits('a', 1)).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    expect(await limit.take('a', 64 * KiB)).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    clock.now += 5_000;
    expect(await limit.take('a', 64 * KiB)).toEqual({ allowed: true });
  });

  it('charges a request at least the least a request costs (16 KiB by default): tiny requests are not free', async () => {
    const { limit } = limiter(64 * KiB, 256 * KiB, new MetricsService(), 16 * KiB);
    // A 100-byte heartbeat costs 16 KiB: sixteen of them empty a 256 KiB bucket.
    for (let i = 0; i < 16; i++) {
      expect(await limit.take('a', 100)).toEqual({ allowed: true });
    }
    expect(limit.admits('a', 1)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    // A larger body costs its bytes.
    const { limit: other } = limiter(64 * KiB, 256 * KiB, new MetricsService(), 16 * KiB);
    expect(await other.take('b', 200 * KiB)).toEqual({ allowed: true });
    expect(await other.take('b', 56 * KiB)).toEqual({ allowed: true });
    expect(other.admits('b', 1).allowed).toBe(false);
  });

  it('lets a use case have a few bodies read at once, each use case its own, and none when the limit is off', () => {
    const { limit } = limiter(64 * KiB, 256 * KiB);
    for (let i = 0; i < MAX_CONCURRENT_INGEST_READS; i++) {
      expect(limit.startRead('a')).toBe(true);
    }
    expect(limit.startRead('a')).toBe(false);
    expect(limit.startRead('b')).toBe(true);
    limit.endRead('a');
    expect(limit.startRead('a')).toBe(true);
    expect(limit.startRead('a')).toBe(false);
    const { limit: off } = limiter(0);
    for (let i = 0; i < 3 * MAX_CONCURRENT_INGEST_READS; i++) {
      expect(off.startRead('a')).toBe(true);
    }
  });

  it('keeps the buckets in this process on the embedded default (no Redis configured), and opens no connection', async () => {
    const { limit } = limiter(64 * KiB, 128 * KiB);
    expect(limit.sharedAcrossProcesses).toBe(false);
    expect((await limit.take('a', 128 * KiB)).allowed).toBe(true);
    expect((await limit.take('a', 1)).allowed).toBe(false);
    expect(limit.opened).toBe(false);
    expect(limit.size).toBe(1);
  });

  it('keeps each use case in its own bucket', async () => {
    const { limit } = limiter(64 * KiB, 128 * KiB);
    expect((await limit.take('a', 128 * KiB)).allowed).toBe(true);
    expect((await limit.take('a', 1)).allowed).toBe(false);
    expect((await limit.take('b', 128 * KiB)).allowed).toBe(true);
  });

  it('defaults the burst to twice the rate, and never below one maximal body', () => {
    expect(limiter(64 * KiB).limit.burstBytes).toBe(128 * KiB);
    expect(limiter(KiB).limit.burstBytes).toBe(64 * KiB);
    expect(limiter(KiB, 2 * KiB).limit.burstBytes).toBe(64 * KiB);
  });

  it('is off at rate 0: everything passes and no bucket is kept', async () => {
    const { limit } = limiter(0);
    expect(limit.enabled).toBe(false);
    for (let i = 0; i < 1000; i++) {
      expect(await limit.take('a', 64 * KiB)).toEqual({ allowed: true });
    }
    expect(limit.size).toBe(0);
  });

  it('counts refusals by reason and warns once a minute per use case, naming the setting', async () => {
    const { limit, clock, metrics } = limiter(64 * KiB, 64 * KiB);
    await limit.take('a', 64 * KiB);
    for (let i = 0; i < 5; i++) {
      expect((await limit.take('a', KiB)).allowed).toBe(false);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /AI use case a .*GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND .* allows this process/,
    );
    clock.now += 59_000;
    await limit.take('a', 64 * KiB);
    expect(warn).toHaveBeenCalledTimes(1);
    clock.now += 1_000;
    await limit.take('a', 64 * KiB); // full again (60 s idle), so allowed
    expect((await limit.take('a', 64 * KiB)).allowed).toBe(false);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1][0])).toMatch(/5 request\(s\) refused/);
    expect(await metrics.registry.getSingleMetricAsString('gatehouse_ingest_refused_total')).toMatch(
      /gatehouse_ingest_refused_total\{reason="rate_limited"\} 6/,
    );
  });

  it('holds at most MAX_INGEST_BUCKETS buckets, dropping refilled ones first, then the least recently used', async () => {
    const { limit, clock } = limiter(64 * KiB, 64 * KiB);
    await limit.take('busy', 64 * KiB);
    for (let i = 0; i < MAX_INGEST_BUCKETS - 1; i++) {
      await limit.take(`idle-${i}`, 1);
    }
    expect(limit.size).toBe(MAX_INGEST_BUCKETS);
    // A second later every idle bucket has refilled (1 byte taken); `busy` is used again and still empty.
    clock.now += 1_000;
    expect((await limit.take('busy', 64 * KiB)).allowed).toBe(true);
    expect((await limit.take('new', 1)).allowed).toBe(true);
    // The refilled idle buckets were dropped (they were the same as none); `busy` kept its empty bucket.
    expect(limit.size).toBe(2);
    expect((await limit.take('busy', 1)).allowed).toBe(false);

    // Nobody idle: the least recently used are dropped down to half, and `busy` (used last) is kept.
    for (let i = 0; i < MAX_INGEST_BUCKETS - 2; i++) {
      await limit.take(`flood-${i}`, 64 * KiB);
    }
    expect((await limit.take('busy', 1)).allowed).toBe(false);
    expect(limit.size).toBe(MAX_INGEST_BUCKETS);
    await limit.take('one-more', 1);
    expect(limit.size).toBeLessThanOrEqual(MAX_INGEST_BUCKETS / 2 + 1);
    expect((await limit.take('busy', 1)).allowed).toBe(false);
    expect((await limit.take('flood-0', 64 * KiB)).allowed).toBe(true); // dropped, so a new (full) bucket
  });
});
