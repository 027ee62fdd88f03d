import { loadConfig } from '@gatehouse/config';
import { describeIntegration, REDIS_TEST_URL } from '@gatehouse/testing';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { MetricsService } from '../../metrics/metrics.service';
import {
  INGEST_RATE_REDIS_TIMEOUT_MS,
  ingestRateConnectionName,
  ingestRateKey,
  IngestRateLimiter,
} from './ingest-rate-limiter';

const KiB = 1024;
/** Slow enough that the refill while a test runs is small next to what it takes: 1 KiB a second, bursts of 64 KiB. */
const RATE = KiB;
const BURST = 64 * KiB;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (what: string) => `rate-${what}-${randomBytes(4).toString('hex')}`;

/** Polls `check` until it holds, for up to `ms` (a generous deadline, not a timing assertion). */
async function eventually(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error(`not within ${ms} ms`);
    }
    await sleep(25);
  }
}

/**
 * The ingest byte rate shared by API processes through Redis (the queue's Redis, under its prefix): each
 * limiter here stands for one API process. Real Redis on REDIS_TEST_URL; each test its own prefix.
 */
describeIntegration(
  'IngestRateLimiter with Redis: one bucket per use case across API processes',
  () => {
    const open: IngestRateLimiter[] = [];
    let redis: Redis;
    let warn: jest.SpyInstance;
    let log: jest.SpyInstance;

    /** A limiter as an API process with the queue on `url` under `prefix` builds it. */
    function limiter(prefix: string, options: { url?: string; rate?: number; burst?: number } = {}) {
      const metrics = new MetricsService();
      const config = loadConfig({
        REDIS_URL: options.url ?? REDIS_TEST_URL,
        GATEHOUSE_QUEUE_PREFIX: prefix,
        GATEHOUSE_INGEST_MAX_BYTES: String(4 * KiB),
        GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: String(options.rate ?? RATE),
        GATEHOUSE_INGEST_BURST_BYTES: String(options.burst ?? BURST),
        // Bytes only: these cases count bytes exactly (the least a request costs is the unit spec's).
        GATEHOUSE_INGEST_MIN_REQUEST_BYTES: '0',
      });
      const limit = new IngestRateLimiter(config, metrics);
      open.push(limit);
      return { limit, metrics };
    }

    /** Connected and sharing (a first take waits only INGEST_RATE_REDIS_TIMEOUT_MS for the connection). */
    async function sharing(...limits: IngestRateLimiter[]): Promise<void> {
      for (const limit of limits) {
        await limit.take('warm-up', 0);
        await eventually(() => limit.sharing);
      }
    }

    const locally = async (metrics: MetricsService, reason: string): Promise<number> => {
      const metric = await metrics.registry.getSingleMetric('gatehouse_ingest_rate_local_total')?.get();
      return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    };
    const held = async (prefix: string, aiUseCaseId: string) => {
      const [bytes, at] = await redis.hmget(ingestRateKey(prefix, aiUseCaseId), 'b', 't');
      return { bytes: bytes === null ? null : Number(bytes), at };
    };

    beforeAll(() => {
      redis = new Redis(REDIS_TEST_URL);
    });

    beforeEach(() => {
      warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    });

    afterEach(async () => {
      warn.mockRestore();
      log.mockRestore();
      await Promise.all(open.splice(0).map((limit) => limit.onModuleDestroy()));
    });

    afterAll(async () => {
      await redis?.quit();
    });

    it('two processes sharing a prefix take from one bucket: once one used the burst, the other is refused', async () => {
      const prefix = unique('split');
      const a = limiter(prefix).limit;
      const b = limiter(prefix).limit;
      expect(a.sharedAcrossProcesses).toBe(true);
      await sharing(a, b);
      // Alternately, four bodies of 16 KiB: the 64 KiB burst, whichever process they reach.
      for (const process of [a, b, a, b]) {
        expect(await process.take('uc', 16 * KiB)).toEqual({ allowed: true });
      }
      // Either process: the shared bucket holds about nothing now (each process alone would hold 32 KiB).
      expect((await b.take('uc', 4 * KiB)).allowed).toBe(false);
      expect((await a.take('uc', 4 * KiB)).allowed).toBe(false);
      // And both now refuse a body before it is read, from what Redis last told them, without asking it.
      // Each refusing process says so once, naming the limit as shared.
      const warnings = warn.mock.calls.map(([message]) => String(message));
      expect(warnings.filter((m) => m.startsWith('AI use case uc is sending'))).toHaveLength(2);
      expect(
        warnings.every((m) => !m.startsWith('AI use case') || m.includes('across all API processes')),
      ).toBe(true);
      expect(a.admits('uc', 4 * KiB).allowed).toBe(false);
      expect(b.admits('uc', 4 * KiB).allowed).toBe(false);
    });

    it('a refused take is charged all the same (the body was read): the shared bucket goes into debt, and Retry-After counts it', async () => {
      const prefix = unique('refused');
      const a = limiter(prefix).limit;
      const b = limiter(prefix).limit;
      await sharing(a, b);
      const started = Date.now();
      expect(await a.take('uc', 60 * KiB)).toEqual({ allowed: true });
      expect((await held(prefix, 'uc')).bytes).toBe(4 * KiB);
      // 10 KiB read, about 4 KiB held: refused, and charged: about 6 KiB of debt, so 16 s at 1 KiB a second
      // until 10 KiB are held again (less what refilled meanwhile).
      const refusal = await b.take('uc', 10 * KiB);
      const elapsed = (Date.now() - started) / 1000;
      expect(refusal).toMatchObject({ allowed: false, bytesPerSecond: RATE, burstBytes: BURST });
      const retryAfter = (refusal as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(retryAfter).toBeLessThanOrEqual(16);
      expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(16 - elapsed));
      const after = (await held(prefix, 'uc')).bytes;
      expect(after).toBeLessThan(0);
      expect(after).toBeGreaterThanOrEqual(-6 * KiB);
      expect(after).toBeLessThanOrEqual(-6 * KiB + Math.ceil(elapsed * RATE));
      // The process that was refused now refuses before reading, without asking Redis.
      expect(b.admits('uc', 1).allowed).toBe(false);
      // And the other is refused at its next take (Redis decides), charged again.
      expect((await a.take('uc', 1)).allowed).toBe(false);
    });

    it('keeps a bucket only while it is not full: the key expires when the bucket would be full again', async () => {
      const prefix = unique('expiry');
      const slow = limiter(prefix).limit;
      await sharing(slow);
      expect((await slow.take('uc', 8 * KiB)).allowed).toBe(true);
      // 8 KiB at 1 KiB a second: full again within 8 s, and the key goes then.
      const ttl = await redis.pttl(ingestRateKey(prefix, 'uc'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(8_000);

      // A fast refill (64 KiB a second): the key of a bucket 1 KiB short goes within about 16 ms, and the
      // bucket is then full, as it would be.
      const fastPrefix = unique('expiry-fast');
      const fast = limiter(fastPrefix, { rate: 64 * KiB, burst: 64 * KiB }).limit;
      await sharing(fast);
      expect((await fast.take('uc', 1 * KiB)).allowed).toBe(true);
      await eventually(async () => (await redis.exists(ingestRateKey(fastPrefix, 'uc'))) === 0);
      expect((await fast.take('uc', 64 * KiB)).allowed).toBe(true);
      // Taking all of it leaves an empty bucket, kept until it has refilled (about a second).
      expect((await fast.take('uc', 64 * KiB)).allowed).toBe(false);
      expect(await redis.pttl(ingestRateKey(fastPrefix, 'uc'))).toBeGreaterThan(0);
    });

    it('keeps different prefixes (deployments) and different use cases apart', async () => {
      const prefix = unique('apart');
      const a = limiter(prefix).limit;
      const other = limiter(unique('apart-other')).limit;
      await sharing(a, other);
      expect((await a.take('uc', 64 * KiB)).allowed).toBe(true);
      expect((await a.take('uc', 1 * KiB)).allowed).toBe(false);
      // Another deployment (prefix) with the same use case id: its own, full bucket.
      expect((await other.take('uc', 64 * KiB)).allowed).toBe(true);
      // Another use case under the same prefix: its own, full bucket.
      expect((await a.take('uc-2', 64 * KiB)).allowed).toBe(true);
      expect(await redis.exists(ingestRateKey(prefix, 'uc'), ingestRateKey(prefix, 'uc-2'))).toBe(2);
    });

    it('with Redis unreachable, decides in this process (its own bucket), says so once a minute and counts it', async () => {
      const { limit, metrics } = limiter(unique('down'), { url: 'redis://127.0.0.1:1' });
      expect(await limit.take('uc', 64 * KiB)).toEqual({ allowed: true });
      // (1 KiB read and refused: charged, 1 KiB of debt, so 2 s until 1 KiB is held.)
      expect(await limit.take('uc', 1 * KiB)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
      expect(await limit.take('other', 32 * KiB)).toEqual({ allowed: true });
      expect(limit.admits('uc', 1 * KiB).allowed).toBe(false);
      expect(limit.sharing).toBe(false);
      expect(await locally(metrics, 'unavailable')).toBe(3);
      const notShared = warn.mock.calls.filter(([message]) =>
        /not shared through Redis/.test(String(message)),
      );
      expect(notShared).toHaveLength(1);
      expect(String(notShared[0][0])).toContain('GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND');
    });

    it('with Redis unreachable at first, decides in this process until it is reached, then shares', async () => {
      // A port nothing listens on yet, where Redis (through a proxy) appears later.
      const free = createServer();
      await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
      const port = (free.address() as { port: number }).port;
      await new Promise<void>((resolve) => free.close(() => resolve()));
      const prefix = unique('later');
      const { limit, metrics } = limiter(prefix, { url: `redis://127.0.0.1:${port}` });
      expect(await limit.take('uc', 8 * KiB)).toEqual({ allowed: true });
      expect(await locally(metrics, 'unavailable')).toBe(1);
      expect(await redis.exists(ingestRateKey(prefix, 'uc'))).toBe(0);
      const proxy = await stallingProxy(new URL(REDIS_TEST_URL), port);
      try {
        await eventually(() => limit.sharing);
        expect(await limit.take('uc', 8 * KiB)).toEqual({ allowed: true });
        // Shared now: the bucket is in Redis (and started full there: what this process took alone is its own).
        expect((await held(prefix, 'uc')).bytes).toBe(56 * KiB);
      } finally {
        await limit.onModuleDestroy();
        await proxy.close();
      }
    });

    it('with Redis not answering in time, decides in this process, then shares again once it answers', async () => {
      const prefix = unique('slow');
      const stall = await stallingProxy(new URL(REDIS_TEST_URL));
      try {
        const { limit, metrics } = limiter(prefix, { url: stall.url });
        const other = limiter(prefix).limit;
        await sharing(limit, other);
        expect(await limit.take('uc', 16 * KiB)).toEqual({ allowed: true });
        expect((await held(prefix, 'uc')).bytes).toBe(48 * KiB);

        // Redis stops answering this process: the take is decided here after INGEST_RATE_REDIS_TIMEOUT_MS.
        stall.hold();
        expect(await limit.take('uc', 16 * KiB)).toEqual({ allowed: true });
        expect(await locally(metrics, 'timeout')).toBe(1);
        expect(limit.sharing).toBe(false);
        // Meanwhile the shared bucket went on without it (a take that timed out may still have reached Redis).
        expect((await other.take('uc', 8 * KiB)).allowed).toBe(true);
        stall.release();

        // Answers again: after a short pause this process asks Redis again, and its takes are shared.
        // (A take decided here writes nothing to Redis; one decided there writes the bucket's time.)
        await eventually(async () => {
          const before = (await held(prefix, 'uc')).at;
          expect((await limit.take('uc', 1)).allowed).toBe(true);
          return (await held(prefix, 'uc')).at !== before;
        });
        expect(warn.mock.calls.some(([m]) => /did not answer within/.test(String(m)))).toBe(true);
        expect(INGEST_RATE_REDIS_TIMEOUT_MS).toBeLessThan(1_000);
      } finally {
        await stall.close();
      }
    });

    it('names its connection under the prefix and closes it on module destroy', async () => {
      const prefix = unique('close');
      const { limit } = limiter(prefix);
      const named = async () => String(await redis.client('LIST')).includes(ingestRateConnectionName(prefix));
      expect(limit.opened).toBe(false); // nothing is opened before the first take
      await limit.take('uc', 1);
      expect(limit.opened).toBe(true);
      await eventually(named);
      await limit.onModuleDestroy();
      expect(limit.opened).toBe(false);
      await eventually(async () => !(await named()));
    });
  },
  { needs: ['redis'] },
);

/**
 * A TCP proxy in front of the real Redis whose answers can be held back (a Redis too slow to answer) and let
 * through again.
 */
async function stallingProxy(target: URL, port = 0) {
  let holding = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const send = () => client.writable && client.write(chunk);
      if (holding) {
        held.push(send);
      } else {
        send();
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const send of held.splice(0)) {
        send();
      }
    },
    close: async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
