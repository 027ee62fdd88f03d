import { IngestRateLimiter, ingestRateKey } from '@gatehouse/application';
import { LiveInteractionEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration, REDIS_TEST_URL, testDriver } from '@gatehouse/testing';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { givenLiveUseCase, type LiveUseCase } from '../support/live-ingest';
import { TestApi } from '../support/test-api';

jest.setTimeout(120_000);

/**
 * Round five of the hostile review, on the shared ingest rate limit (a bucket per use case in Redis, every
 * body read charged, a minimum cost per request): attacks by a malicious live-traffic sender holding one use
 * case's ingest token. Each asserts the safe behaviour, so it fails if the hole opens. Rounds three and four
 * (apps/api/test/security/round{3,4}-hostile.int-spec.ts) are not repeated. On PostgreSQL the queue (and the
 * limiter's bucket) runs on Redis under a prefix of its own; on SQLite, the embedded default (one process).
 */

const KiB = 1024;
/** 32 KiB a second, bursts of 256 KiB, bodies of at most 128 KiB, each request at least 16 KiB (the default). */
const RATE = 32 * KiB;
const BURST = 256 * KiB;
const MAX_BODY = 128 * KiB;
const MIN_REQUEST = 16 * KiB;
const BODY = 120 * KiB;
const postgres = testDriver() === 'postgres';
const PREFIX = `r5-${randomBytes(4).toString('hex')}`;
const ENV: Record<string, string> = {
  GATEHOUSE_INGEST_MAX_BYTES: String(MAX_BODY),
  GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: String(RATE),
  GATEHOUSE_INGEST_BURST_BYTES: String(BURST),
  GATEHOUSE_INGEST_MIN_REQUEST_BYTES: String(MIN_REQUEST),
  ...(postgres ? { REDIS_URL: REDIS_TEST_URL, GATEHOUSE_QUEUE_PREFIX: PREFIX } : {}),
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nowNs = (offsetMs = 0) => String(BigInt(Date.now() + offsetMs) * 1_000_000n);

/** An /v1/live/interactions body of exactly `bytes` bytes (the JSON, then spaces); its trace id. */
function interactions(bytes = BODY): { body: string; traceId: string } {
  const traceId = hex(16);
  const text = JSON.stringify({
    interactions: [{ traceId, startedAt: new Date().toISOString(), model: 'm' }],
  });
  return { body: text + ' '.repeat(Math.max(0, bytes - text.length)), traceId };
}

/** One OTLP/JSON span, the body padded to `bytes`. */
function otlpJson(bytes = BODY): string {
  const text = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: hex(16),
                spanId: hex(8),
                name: 'chat',
                startTimeUnixNano: nowNs(-1_000),
                endTimeUnixNano: nowNs(-500),
                attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
              },
            ],
          },
        ],
      },
    ],
  });
  return text + ' '.repeat(Math.max(0, bytes - text.length));
}

interface RawAnswer {
  /** Everything the server sent, as text. */
  text: string;
  /** The status lines of every answer on the connection, in order. */
  statuses: number[];
  /** Whether the server closed the connection (false: it was still open when we stopped waiting). */
  closed: boolean;
}

describeIntegration('round five: hostile use of the shared ingest rate limit', () => {
  let api: TestApi;
  let teamId: string;
  let port: number;
  let redis: Redis | null = null;

  const rows = (aiUseCaseId: string) =>
    api.app.get(UnitOfWork).read((tx) => managerOf(tx).findBy(LiveInteractionEntity, { aiUseCaseId }));
  const send = (path: string, token: string, body: string) =>
    api.http
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(body);

  /**
   * Writes `chunks` to a fresh connection (`pauseMs` between them) and reads until the server closes it or
   * `quietMs` pass without a byte (then the connection is closed here and `closed` is false).
   */
  function raw(chunks: (string | Buffer)[], { pauseMs = 0, quietMs = 2_000 } = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const received: Buffer[] = [];
      let quiet: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (closed: boolean) => {
        if (done) {
          return;
        }
        done = true;
        clearTimeout(quiet);
        socket.destroy();
        const text = Buffer.concat(received).toString('latin1');
        const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
        resolve({ text, statuses, closed });
      };
      const arm = () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => finish(false), quietMs);
      };
      const socket = connect(port, '127.0.0.1', () => {
        void (async () => {
          for (const chunk of chunks) {
            if (socket.destroyed) {
              return;
            }
            socket.write(chunk);
            if (pauseMs) {
              await new Promise((r) => setTimeout(r, pauseMs));
            }
          }
          arm();
        })();
      });
      socket.on('data', (data: Buffer) => {
        received.push(data);
        arm();
      });
      socket.on('close', () => finish(true));
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish(true) : reject(error),
      );
    });
  }
  const head = (token: string, extra: string[], path = '/v1/live/interactions') =>
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      ...extra,
      '',
      '',
    ].join('\r\n');

  /** Sends BODY-sized bodies until one is refused: how many were accepted, and the refusal. */
  async function flood(useCase: LiveUseCase, most = 12) {
    let accepted = 0;
    for (let i = 0; i < most; i++) {
      const response = await send('/v1/live/interactions', useCase.token, interactions().body);
      if (response.status === 429) {
        return { accepted, response };
      }
      expect(response.status).toBe(200);
      accepted += 1;
    }
    throw new Error(`no refusal after ${most} bodies of ${BODY} bytes`);
  }

  beforeAll(async () => {
    api = await TestApi.start(ENV);
    await api.app.listen(0, '127.0.0.1');
    port = (api.app.getHttpServer().address() as AddressInfo).port;
    teamId = await api.team('Benefits R5');
    if (postgres) {
      redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
    }
  }, 120_000);

  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${PREFIX}:ingest-rate:*`);
      if (keys.length) {
        await redis.del(...keys);
      }
      await redis.quit();
    }
    await api?.close();
  });

  it('a use case spending all its allowance leaves another’s whole: each bucket is keyed on the use case id alone', async () => {
    const spender = await givenLiveUseCase(api, teamId);
    const other = await givenLiveUseCase(api, teamId);
    const { accepted } = await flood(spender);
    expect(accepted).toBeGreaterThanOrEqual(2);
    // The other use case still has its whole burst: two full bodies go through at once.
    for (let i = 0; i < 2; i++) {
      const { body, traceId } = interactions();
      const response = await send('/v1/live/interactions', other.token, body);
      expect(response.status).toBe(200);
      expect((await rows(other.id)).map((r) => r.traceId)).toContain(traceId);
    }
  });

  // The shared bucket lives in Redis only when the queue does (the PostgreSQL run here).
  if (postgres) {
    it('on Redis, each shared bucket is named by the use case’s stored id under the queue’s prefix, and expires', async () => {
      const spender = await givenLiveUseCase(api, teamId);
      const other = await givenLiveUseCase(api, teamId);
      await flood(spender);
      expect((await send('/v1/live/interactions', other.token, interactions().body)).status).toBe(200);
      const shared = redis as Redis;
      // One key per use case, named by its stored id (a uuid the server chose, never a value the sender sends):
      // nothing a sender writes shapes a key.
      const keys = await shared.keys(`${PREFIX}:ingest-rate:*`);
      expect(keys).toEqual(
        expect.arrayContaining([ingestRateKey(PREFIX, other.id), ingestRateKey(PREFIX, spender.id)]),
      );
      expect(keys.every((k) => /^r5-[0-9a-f]{8}:ingest-rate:[0-9a-f-]{36}$/.test(k))).toBe(true);
      const held = await shared.hgetall(ingestRateKey(PREFIX, spender.id));
      expect(Number(held['b'])).toBeGreaterThanOrEqual(-BURST);
      expect(Number(held['b'])).toBeLessThan(BODY);
      // It expires when the bucket would be full again: at most two bursts' refill away, never permanent.
      const ttl = await shared.pttl(ingestRateKey(PREFIX, spender.id));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(Math.ceil(((2 * BURST) / RATE) * 1000));
    });
  }

  it('Retry-After is always a whole number of seconds between 1 and the time two bursts take, debt ends, and the 429 names nothing of the sender’s', async () => {
    const useCase = await givenLiveUseCase(api, teamId);
    await flood(useCase);
    /** Each refusal's Retry-After and body. */
    const refusals: { retryAfter: string; body: string }[] = [];
    // Chunked bodies (no Content-Length: admitted on the minimum, refused once read and charged in full)
    // drive the bucket as deep into debt as it goes; then every shape of body, each refused.
    for (let i = 0; i < 8; i++) {
      const { body } = interactions();
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      const answer = await raw([
        head(useCase.token, ['Transfer-Encoding: chunked', 'Connection: close']),
        chunked,
      ]);
      expect(answer.statuses).toEqual([429]);
      refusals.push({
        retryAfter: /\r\nRetry-After: ([^\r]*)\r\n/i.exec(answer.text)?.[1] ?? '(none)',
        body: answer.text.slice(answer.text.indexOf('\r\n\r\n')),
      });
    }
    for (const body of [interactions().body, interactions(10).body, '', otlpJson()]) {
      for (const path of ['/v1/live/interactions', '/v1/otlp/v1/traces']) {
        const refusal = await send(path, useCase.token, body);
        expect({ path, size: body.length, status: refusal.status }).toEqual({
          path,
          size: body.length,
          status: 429,
        });
        refusals.push({
          retryAfter: String(refusal.headers['retry-after']),
          body: JSON.stringify(refusal.body),
        });
      }
    }
    const most = Math.ceil((2 * BURST) / RATE);
    for (const { retryAfter, body } of refusals) {
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      expect(Number(retryAfter)).toBeLessThanOrEqual(most);
      for (const secret of [useCase.id, useCase.token, useCase.token.slice(4), teamId, PREFIX, 'redis']) {
        expect({ secret, leaked: body.toLowerCase().includes(secret.toLowerCase()) }).toEqual({
          secret,
          leaked: false,
        });
      }
    }
    // Debt is bounded: after the longest Retry-After any refusal gave, a full body is accepted again.
    const wait = Math.max(...refusals.map((r) => Number(r.retryAfter)));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 250));
    const again = await send('/v1/live/interactions', useCase.token, interactions().body);
    expect(again.status).toBe(200);
  });

  it('a Content-Length that lies (negative, not a number, hex, huge, twice with two values, with chunked) stores nothing and the server goes on answering', async () => {
    const useCase = await givenLiveUseCase(api, teamId);
    const { body } = interactions(200);
    const lies: string[][] = [
      ['Content-Length: -1'],
      ['Content-Length: abc'],
      ['Content-Length: 0x10'],
      ['Content-Length: 1e3'],
      ['Content-Length: 99999999999999999999999'],
      [`Content-Length: ${body.length}`, `Content-Length: ${body.length + 10}`],
      [`Content-Length: ${body.length}, ${body.length + 10}`],
      [`Content-Length: ${body.length - 50}`, 'Transfer-Encoding: chunked'],
      [`Content-Length: ${MAX_BODY * 8}`],
    ];
    for (const extra of lies) {
      const answer = await raw([head(useCase.token, extra), body]);
      expect({ extra, statuses: answer.statuses.length }).toEqual({ extra, statuses: 1 });
      expect({ extra, refused: answer.statuses[0] >= 400 && answer.statuses[0] < 500 }).toEqual({
        extra,
        refused: true,
      });
    }
    expect(await rows(useCase.id)).toEqual([]);
    const fine = interactions(200);
    expect((await send('/v1/live/interactions', useCase.token, fine.body)).status).toBe(200);
    expect((await rows(useCase.id)).map((r) => r.traceId)).toEqual([fine.traceId]);
    expect(api.logs.join('')).not.toMatch(/Unhandled|uncaught/i);
  });

  it('chunked bodies without a Content-Length cost at least the minimum each: tiny requests do not pass by the hundred', async () => {
    const useCase = await givenLiveUseCase(api, teamId);
    const started = Date.now();
    let accepted = 0;
    let refused = false;
    for (let i = 0; i < 60 && !refused; i++) {
      const { body } = interactions(0);
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      const answer = await raw([
        head(useCase.token, ['Transfer-Encoding: chunked', 'Connection: close']),
        chunked,
      ]);
      expect(answer.statuses).toHaveLength(1);
      expect([200, 429]).toContain(answer.statuses[0]);
      refused = answer.statuses[0] === 429;
      accepted += refused ? 0 : 1;
    }
    const seconds = (Date.now() - started) / 1000;
    expect(refused).toBe(true);
    // A burst of 16 KiB requests, plus what refilled meanwhile (and one for rounding).
    expect(accepted).toBeLessThanOrEqual(BURST / MIN_REQUEST + Math.ceil((seconds * RATE) / MIN_REQUEST) + 1);
  });

  it('a request refused before its body is read is answered at once, and the connection neither hangs nor serves the unread body as a request', async () => {
    const useCase = await givenLiveUseCase(api, teamId);
    await flood(useCase);
    const { body } = interactions();
    // The headers announce a whole body but only its first kilobyte is sent: the 429 comes without the rest.
    const partial = await raw(
      [head(useCase.token, [`Content-Length: ${body.length}`]), body.slice(0, 1024)],
      {
        quietMs: 3_000,
      },
    );
    expect(partial.statuses).toEqual([429]);
    expect(partial.text).toMatch(/\r\nRetry-After: [1-9]\d*\r\n/i);
    // The rest of the body, crafted as a second request (smuggled behind the refused one), is never run as
    // one: it is the refused request's body, read and dropped.
    const { body: inner, traceId } = interactions(200);
    const smuggled = head(useCase.token, [`Content-Length: ${inner.length}`]) + inner;
    const padding = ' '.repeat(body.length - smuggled.length);
    const answer = await raw([head(useCase.token, [`Content-Length: ${body.length}`]), smuggled + padding], {
      quietMs: 3_000,
    });
    expect(answer.statuses[0]).toBe(429);
    expect(answer.statuses.filter((s) => s === 200)).toEqual([]);
    expect((await rows(useCase.id)).map((r) => r.traceId)).not.toContain(traceId);
  });

  it('gzip bodies sent at once by one use case: a few are read, the rest refused before reading, not all inflated on one allowance', async () => {
    const { token } = await givenLiveUseCase(api, teamId);
    const limiter = api.app.get(IngestRateLimiter);
    const charged: number[] = [];
    const take = jest.spyOn(limiter, 'take');
    take.mockImplementation(async function (this: IngestRateLimiter, id: string, bytes: number) {
      charged.push(bytes);
      return IngestRateLimiter.prototype.take.call(this, id, bytes);
    });
    // The largest body this app takes, of spaces in valid JSON: about 150 bytes gzipped.
    const inflated = Buffer.concat([Buffer.from('{"interactions":[]}'), Buffer.alloc(MAX_BODY - 40, 0x20)]);
    const body = gzipSync(inflated, { level: 9 });
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/live/interactions',
            agent: false,
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': 'application/json',
              'Content-Encoding': 'gzip',
              'Content-Length': body.length,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    let statuses: number[];
    try {
      statuses = await Promise.all(Array.from({ length: 32 }, () => post()));
    } finally {
      take.mockRestore();
    }
    // Before, all 32 were read and inflated (four times the burst) before any was charged.
    const inflatedBytes = charged.reduce((a, b) => a + b, 0);
    expect(inflatedBytes).toBeLessThanOrEqual(2 * BURST + MAX_BODY);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(32 - 6);
    // Those read are refused for their content (an empty list: 400); the rest for the rate, before reading.
    expect([...new Set(statuses)].sort()).toEqual([400, 429]);
  });

  it('an interaction of 4,000 unknown keys is refused before it is parsed or validated, naming the bound', async () => {
    const { id, token } = await givenLiveUseCase(api, teamId);
    const keys = Array.from({ length: 4_000 }, (_, i) => `"unknown_${i}":1`).join(',');
    const response = await send(
      '/v1/live/interactions',
      token,
      `{"interactions":[{"startedAt":"${new Date().toISOString()}",${keys}}]}`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ field: '(body)', code: 'too_many_keys' }),
    ]);
    // The answer names the bound, not the keys.
    expect(JSON.stringify(response.body)).not.toContain('unknown_3999');
    expect(await rows(id)).toEqual([]);
  });
});
