import { IngestRateLimiter } from '@gatehouse/application';
import { LiveFeedbackEntity, LiveInteractionEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration, REDIS_TEST_URL, testDriver } from '@gatehouse/testing';
import { request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { givenIngestToken, givenLiveUseCase, type LiveUseCase } from './support/live-ingest';
import { TestApi } from './support/test-api';

jest.setTimeout(120_000);

const KiB = 1024;
/** The limit under test: 32 KiB a second, bursts of 256 KiB, bodies of at most 128 KiB. */
const RATE = 32 * KiB;
const BURST = 256 * KiB;
const MAX_BODY = 128 * KiB;
/** Two of these fit an idle bucket; a third needs 3.25 s of refill, far longer than two requests take. */
const BODY = 120 * KiB;
const LIMITED = {
  GATEHOUSE_INGEST_MAX_BYTES: String(MAX_BODY),
  GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: String(RATE),
  GATEHOUSE_INGEST_BURST_BYTES: String(BURST),
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nowNs = (offsetMs = 0) => String(BigInt(Date.now() + offsetMs) * 1_000_000n);

/** A JSON body of exactly `bytes` bytes: the value, then spaces (which every JSON reader skips). */
function padded(value: object, bytes: number): Buffer {
  const text = JSON.stringify(value);
  if (text.length > bytes) {
    throw new Error(`the body is already ${text.length} bytes`);
  }
  return Buffer.from(text + ' '.repeat(bytes - text.length), 'utf8');
}

/** One GenAI span as OTLP/JSON, `bytes` long; its trace id is returned to look it up. */
function otlpBody(bytes = BODY): { body: Buffer; traceId: string } {
  const traceId = hex(16);
  const span = {
    traceId,
    spanId: hex(8),
    name: 'chat gpt-test',
    kind: 3,
    startTimeUnixNano: nowNs(-1000),
    endTimeUnixNano: nowNs(-250),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-test' } },
    ],
  };
  return {
    body: padded(
      { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] },
      bytes,
    ),
    traceId,
  };
}

const interactionsBody = (bytes = BODY) =>
  padded({ interactions: [{ traceId: hex(16), startedAt: new Date().toISOString(), model: 'm' }] }, bytes);
const feedbackBody = (bytes = BODY) =>
  padded(
    { events: [{ id: `evt-${hex(6)}`, kind: 'complaint', occurredAt: new Date().toISOString() }] },
    bytes,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** On PostgreSQL the queue runs on Redis (as deployed, several processes); on SQLite, the embedded default. */
const postgres = testDriver() === 'postgres';
const ENV: Record<string, string> = postgres
  ? { ...LIMITED, REDIS_URL: REDIS_TEST_URL, GATEHOUSE_QUEUE_PREFIX: `rate-${hex(4)}` }
  : LIMITED;

/**
 * Issue 15, ingest under load: each use case may send GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND bytes a second
 * (decompressed), in bursts of GATEHOUSE_INGEST_BURST_BYTES: across all API processes when the queue runs on
 * Redis (the PostgreSQL run here), to its one process on the embedded default (the SQLite run). Past that its
 * requests are answered 429 with Retry-After and a problem naming the setting, after the body is read and
 * before it is decoded, so nothing of them is stored; other use cases keep their own allowance. Real API,
 * real database, real Redis.
 */
describeIntegration("live ingest: each use case's bytes a second", () => {
  let api: TestApi;
  let teamId: string;

  const rows = (aiUseCaseId: string) =>
    api.app.get(UnitOfWork).read((tx) => managerOf(tx).findBy(LiveInteractionEntity, { aiUseCaseId }));
  const feedbackRows = (aiUseCaseId: string) =>
    api.app.get(UnitOfWork).read((tx) => managerOf(tx).findBy(LiveFeedbackEntity, { aiUseCaseId }));
  const post = (path: string, token: string, body: Buffer) =>
    api.http
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      // As text: superagent would send a Buffer as JSON of its bytes.
      .send(body.toString('utf8'));
  const traces = (token: string, body: Buffer) => post('/v1/otlp/v1/traces', token, body);

  beforeAll(async () => {
    api = await TestApi.start(ENV);
    await api.app.listen(0, '127.0.0.1');
    teamId = await api.team('Benefits');
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Sends BODY-sized batches until one is refused (at most `most`); what was accepted, and the refusal. */
  async function flood(useCase: LiveUseCase, most = 8) {
    const started = Date.now();
    const accepted: string[] = [];
    const refused: string[] = [];
    for (let i = 0; i < most; i++) {
      const { body, traceId } = otlpBody();
      const response = await traces(useCase.token, body);
      if (response.status === 429) {
        refused.push(traceId);
        return { accepted, refused, response, seconds: (Date.now() - started) / 1000 };
      }
      expect(response.status).toBe(200);
      accepted.push(traceId);
    }
    throw new Error(`${most} batches of ${BODY} bytes were all accepted`);
  }

  it('answers a use case past its burst 429 with Retry-After and a problem naming the setting, and stores nothing of it', async () => {
    const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    const { accepted, refused, response, seconds } = await flood(useCase);
    // An idle bucket holds two bodies; no more than the burst and the refill since were accepted.
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted.length * BODY).toBeLessThanOrEqual(BURST + RATE * seconds);
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    // The deficit is at most one body's bytes: at most ceil(120 / 32) = 4 s.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(BODY / RATE));
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too many requests' });
    expect(response.body.detail).toContain('GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND');
    expect(response.body.detail).toContain(`${RATE} bytes a second`);
    expect(response.body.detail).toMatch(/smaller or fewer batches/);
    expect(response.body.detail).toMatch(/Retry-After/);

    // More at once: refused too, and none of the refused batches is stored.
    for (let i = 0; i < 3; i++) {
      const { body, traceId } = otlpBody();
      await traces(useCase.token, body).expect(429);
      refused.push(traceId);
    }
    let stored = await rows(useCase.id);
    expect(stored.map((r) => r.traceId).sort()).toEqual([...accepted].sort());
    expect(stored.some((r) => refused.includes(r.traceId))).toBe(false);

    // Logged once (not per refusal), at warn, naming the use case and the setting, and no body content.
    const warnings = api.logs.filter((line) => line.includes(`AI use case ${useCase.id} is sending`));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND');
    expect(warnings[0]).not.toContain('gpt-test');

    // Waited out, as an exporter would: the same batch is accepted.
    await sleep(retryAfter * 1000 + 100);
    const again = otlpBody();
    await traces(useCase.token, again.body).expect(200);
    stored = await rows(useCase.id);
    expect(stored.map((r) => r.traceId)).toContain(again.traceId);
    expect(stored).toHaveLength(accepted.length + 1);
  });

  it("keeps another use case's allowance its own while one floods", async () => {
    const flooding = await givenLiveUseCase(api, teamId, { stage: 'scale' });
    const other = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    await flood(flooding);
    // The other use case's two burst-sized bodies go through at once, between the flood's refusals.
    await traces(other.token, otlpBody().body).expect(200);
    await traces(flooding.token, otlpBody().body).expect(429);
    await traces(other.token, otlpBody().body).expect(200);
    await traces(flooding.token, otlpBody().body).expect(429);
    expect(await rows(other.id)).toHaveLength(2);
    // A second token of the flooding use case shares its bucket (the limit is the use case's, not a token's).
    const second = await givenIngestToken(api, flooding.id);
    await traces(second, otlpBody().body).expect(429);
    expect(await rows(other.id)).toHaveLength(2);
  });

  it('holds the JSON interactions and feedback routes and the OTLP route to one allowance', async () => {
    const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    await post('/v1/live/interactions', useCase.token, interactionsBody()).expect(200);
    await post('/v1/live/feedback', useCase.token, feedbackBody()).expect(200);
    const refusals = [
      await post('/v1/live/interactions', useCase.token, interactionsBody()),
      await post('/v1/live/feedback', useCase.token, feedbackBody()),
      await traces(useCase.token, otlpBody().body),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(429);
      expect(Number(refusal.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refusal.body.code).toBe('rate_limited');
    }
    expect(await rows(useCase.id)).toHaveLength(1);
    expect(await feedbackRows(useCase.id)).toHaveLength(1);
    // A small body still fits what is left of the bucket (16 KiB and the refill).
    await post('/v1/live/heartbeat', useCase.token, padded({ configHash: 'a'.repeat(64) }, 4 * KiB)).expect(
      200,
    );
  });

  /**
   * POSTs headers announcing a maximal body and never sends the body: resolves with the answer only if the
   * server gives one without waiting for the body (after 10 s it rejects: the body was waited for).
   */
  function answerWithoutBody(
    path: string,
    token: string,
  ): Promise<{ status: number; retryAfter: string | undefined }> {
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': String(MAX_BODY),
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer without the body: it was waited for'));
      }, 10_000);
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        req.destroy();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.flushHeaders();
    });
  }

  it('refuses a use case already past its rate before reading (or inflating) its next body', async () => {
    const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    await flood(useCase);
    // Announces a body the bucket cannot hold now (it refused a smaller one a moment ago) and never sends it:
    // the answer comes without waiting for it, so nothing is read or inflated (a small gzip body of zeros
    // inflates to megabytes).
    const answer = await answerWithoutBody('/v1/otlp/v1/traces', useCase.token);
    expect(answer.status).toBe(429);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('charges what it inflated of a body it then refused (a gzip bomb, corrupt gzip): such bodies are not free', async () => {
    const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    // 4 MiB of zeros gzipped: a few KB on the wire, read (inflated) up to the 128 KiB limit, then refused 413.
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * KiB));
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    // The bytes as they are (superagent would send a Buffer as JSON of its bytes).
    const send = async (token: string, body: Buffer) => {
      const response = await fetch(`http://127.0.0.1:${port}/v1/otlp/v1/traces`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: new Uint8Array(body),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 6 && !statuses.includes(429); i++) {
      statuses.push(await send(useCase.token, bomb));
    }
    // A burst of 256 KiB holds two bodies inflated to the limit: the third finds the bucket short (or in debt).
    expect(statuses.slice(0, 2)).toEqual([413, 413]);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.length).toBeLessThanOrEqual(4);

    // Corrupt gzip too: what it inflated before the error counts (100 KiB, then a wrong checksum: 400).
    const other = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    const whole = gzipSync(Buffer.alloc(100 * KiB));
    const corrupt = Buffer.concat([
      whole.subarray(0, whole.length - 8),
      Buffer.from([1, 2, 3, 4, 0, 0, 0, 0]),
    ]);
    const corruptStatuses: number[] = [];
    for (let i = 0; i < 6 && !corruptStatuses.includes(429); i++) {
      corruptStatuses.push(await send(other.token, corrupt));
    }
    expect(corruptStatuses.slice(0, 2)).toEqual([400, 400]);
    expect(corruptStatuses.at(-1)).toBe(429);
    expect(corruptStatuses.length).toBeLessThanOrEqual(4);
    expect(await rows(useCase.id)).toEqual([]);
    expect(await rows(other.id)).toEqual([]);
  });

  it('charges each request at least 16 KiB: heartbeats of a hundred bytes cannot be sent by the thousand', async () => {
    const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) {
      const response = await post(
        '/v1/live/heartbeat',
        useCase.token,
        Buffer.from(JSON.stringify({ configHash: hex(32) })),
      );
      statuses.push(response.status);
    }
    // A 256 KiB burst holds sixteen requests' worth (and the refill while they are sent, 32 KiB a second);
    // charged their bytes only, 2,600 of them would fit.
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    expect(statuses.length).toBeGreaterThanOrEqual(17);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([200]));
  });

  it('answers an unauthenticated flood 401 before reading a byte of its bodies, and keeps no bucket for it', async () => {
    const limiter = api.app.get(IngestRateLimiter);
    const buckets = limiter.size;
    // Each request announces a maximal body and sends none: only an answer that does not wait for it arrives.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        answerWithoutBody(i % 2 ? '/v1/otlp/v1/traces' : '/v1/live/interactions', `ghi_${hex(24)}`),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401));
    expect(limiter.size).toBe(buckets);
  });

  describe('with GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND=0', () => {
    let unlimited: TestApi;

    beforeAll(async () => {
      unlimited = await TestApi.start({ ...ENV, GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: '0' });
    });

    afterAll(async () => {
      await unlimited?.close();
    });

    it('accepts every batch: the limit is off', async () => {
      const team = await unlimited.team('Benefits');
      const useCase = await givenLiveUseCase(unlimited, team, { stage: 'learn' });
      const sent: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { body, traceId } = otlpBody();
        await unlimited.http
          .post('/v1/otlp/v1/traces')
          .set('Authorization', `Bearer ${useCase.token}`)
          .set('Content-Type', 'application/json')
          .send(body.toString('utf8'))
          .expect(200);
        sent.push(traceId);
      }
      const stored = await unlimited.app
        .get(UnitOfWork)
        .read((tx) => managerOf(tx).findBy(LiveInteractionEntity, { aiUseCaseId: useCase.id }));
      expect(stored.map((r) => r.traceId).sort()).toEqual(sent.sort());
      expect(unlimited.app.get(IngestRateLimiter).size).toBe(0);
      // Off: nothing is asked of Redis either.
      expect(unlimited.app.get(IngestRateLimiter).opened).toBe(false);
    });
  });

  // Two API processes share one database only on PostgreSQL (an SQLite file is the embedded mode's single
  // process), so this case runs in the postgres project; the sqlite project checks that nothing opens Redis.
  if (postgres) {
    it("holds a use case to one allowance across two API processes sharing Redis (the use case's rate, not a process's)", async () => {
      const second = await TestApi.start({ ...ENV, DATABASE_URL: api.database.url });
      try {
        // The second process's limiter is connected (a first take waits only 200 ms for the connection).
        const limiter = second.app.get(IngestRateLimiter);
        await limiter.take('warm-up', 0);
        for (let i = 0; i < 200 && !limiter.sharing; i++) {
          await sleep(25);
        }
        expect(limiter.sharing).toBe(true);

        const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
        // The first process takes the burst (two bodies) and refuses the third.
        const { accepted } = await flood(useCase);
        // The second process has never seen this use case: alone it would accept two bodies; shared, none now.
        const refused = await second.http
          .post('/v1/otlp/v1/traces')
          .set('Authorization', `Bearer ${useCase.token}`)
          .set('Content-Type', 'application/json')
          .send(otlpBody().body.toString('utf8'));
        expect(refused.status).toBe(429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(refused.body.detail).toContain('GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND');
        expect(await rows(useCase.id)).toHaveLength(accepted.length);
      } finally {
        await second.close();
      }
    });
  } else {
    it('on SQLite (the embedded mode, one process) keeps the buckets in the process and opens no Redis connection', async () => {
      const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn' });
      await flood(useCase);
      const limiter = api.app.get(IngestRateLimiter);
      expect(limiter.sharedAcrossProcesses).toBe(false);
      expect(limiter.opened).toBe(false);
    });
  }
});
