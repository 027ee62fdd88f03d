import {
  decodeTraceResponse,
  encodeTraceRequest,
  hashIngestToken,
  IngestAuthService,
} from '@gatehouse/application';
import { LIVE_LIMITS } from '@gatehouse/domain';
import {
  IngestTokenEntity,
  IngestTokenRepository,
  LiveFeedbackEntity,
  LiveInteractionEntity,
  managerOf,
  UnitOfWork,
} from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { Writer } from 'protobufjs';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ADMIN_TOKEN, TestApi } from '../support/test-api';
import { givenIngestToken, givenLiveUseCase, type LiveUseCase, moveUseCase } from '../support/live-ingest';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../../../..');
const execFileAsync = promisify(execFile);
/** A small ingest limit, so bombs and oversized bodies are cheap to build. */
const LIMIT = 1_048_576;
const CACHE_MS = 400;

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: { field: string; message: string; code?: string }[];
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nowNs = (offsetMs = 0) => BigInt(Date.now() + offsetMs) * 1_000_000n;
const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** A GenAI span for protobuf (ids as bytes); `overrides` replace any field. */
function pbSpan(overrides: Record<string, unknown> = {}, attributes: object[] = []) {
  return {
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    name: 'chat',
    startTimeUnixNano: nowNs(-1000).toString(),
    endTimeUnixNano: nowNs().toString(),
    attributes: [text('gen_ai.request.model', 'gpt-test'), ...attributes],
    ...overrides,
  };
}

const pbRequest = (spans: object[], resource: object[] = []) =>
  encodeTraceRequest({ resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans }] }] });

/** An AnyValue nesting arrays `depth` levels deep (1: a plain string). */
function nested(depth: number): object {
  let value: object = { stringValue: 'leaf' };
  for (let i = 1; i < depth; i++) {
    value = { arrayValue: { values: [value] } };
  }
  return value;
}

/**
 * An ExportTraceServiceRequest whose one span has an attribute nesting arrays `depth` levels deep, written
 * field by field (protobufjs's own encoder refuses to build what its decoder would refuse to read).
 */
function deepProtobuf(depth: number): Buffer {
  const field = (number: number, bytes: Uint8Array) =>
    Writer.create()
      .uint32((number << 3) | 2)
      .bytes(bytes)
      .finish();
  let value: Uint8Array = field(1, Buffer.from('leaf')); // AnyValue.string_value
  for (let i = 1; i < depth; i++) {
    value = field(5, field(1, value)); // AnyValue.array_value { values: [value] }
  }
  const start = Writer.create()
    .uint32((7 << 3) | 1)
    .fixed64(Number(nowNs() / 1_000_000n) * 1_000_000)
    .finish();
  const keyValue = Buffer.concat([field(1, Buffer.from('gen_ai.deep')), field(2, value)]);
  const span = Buffer.concat([
    field(1, randomBytes(16)),
    field(2, randomBytes(8)),
    start,
    field(9, keyValue),
  ]);
  return Buffer.from(field(1, field(2, field(2, span))));
}

/** A node script: the OpenTelemetry SDK's protobuf exporter sends one GenAI span with `token`; prints the result. */
const SDK_EXPORT_SCRIPT = `
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const memory = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
provider.getTracer('t').startSpan('chat', { attributes: { 'gen_ai.request.model': 'm' } }).end();
const exporter = new OTLPTraceExporter({ url: process.env.URL, headers: { Authorization: 'Bearer ' + process.env.TOKEN } });
exporter.export(memory.getFinishedSpans(), (r) => {
  process.stdout.write(JSON.stringify([{ code: r.code, error: r.error ? String(r.error.message) : null }]));
  exporter.shutdown();
});
`;

/**
 * Issue 15's ingest path attacked: who may send (no, unknown, revoked, over-long and API tokens; ingest
 * tokens on other routes; use cases not live), whose data it becomes (another use case's trace ids and
 * feedback), and hostile bodies (gzip bombs, oversized bodies, too many spans, deep attribute values, huge and
 * NUL-laden strings, invalid ids and times, malformed protobuf, JSON and gzip). Every refusal is a 4xx
 * problem naming the field, stores nothing, and never echoes a stack.
 */
describeIntegration('live ingest under attack', () => {
  let api: TestApi;
  let teamId: string;
  let alpha: LiveUseCase;
  let beta: LiveUseCase;
  let baseUrl: string;

  const stored = (aiUseCaseId: string) =>
    api.app
      .get(UnitOfWork)
      .read((tx) => managerOf(tx).find(LiveInteractionEntity, { where: { aiUseCaseId } }));
  const storedFeedback = (aiUseCaseId: string) =>
    api.app.get(UnitOfWork).read((tx) => managerOf(tx).find(LiveFeedbackEntity, { where: { aiUseCaseId } }));
  const send = (path: string, token: string | null, body: Buffer | string, type = 'application/json') => {
    const request = api.http.post(path).set('Content-Type', type);
    if (token !== null) {
      request.set('Authorization', `Bearer ${token}`);
    }
    // Bytes go as they are: superagent would otherwise turn a Buffer sent as JSON into {"type":"Buffer",…}.
    return request.serialize((data: unknown) => data as string).send(body);
  };
  const otlp = (token: string | null, body: Buffer, type = 'application/x-protobuf') =>
    send('/v1/otlp/v1/traces', token, body, type);
  /** A refusal: the status, problem+json, no stack, and the fields it names. */
  const refused = async (
    response: { status: number; body: Problem; headers: Record<string, string> },
    status: number,
  ) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    return response.body.errors.map((e) => e.field);
  };

  beforeAll(async () => {
    api = await TestApi.start({
      GATEHOUSE_INGEST_MAX_BYTES: String(LIMIT),
      GATEHOUSE_INGEST_TOKEN_CACHE_MS: String(CACHE_MS),
    });
    await api.app.listen(0, '127.0.0.1');
    baseUrl = (await api.app.getUrl()).replace('[::1]', '127.0.0.1');
    teamId = await api.team('Benefits');
    alpha = await givenLiveUseCase(api, teamId, {
      stage: 'learn',
      settings: { captureText: true, sampleRate: 0 },
    });
    beta = await givenLiveUseCase(api, teamId, {
      stage: 'scale',
      settings: { captureText: true, sampleRate: 0 },
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  describe('who may send', () => {
    const routes: [string, string][] = [
      ['/v1/otlp/v1/traces', 'application/x-protobuf'],
      ['/v1/live/interactions', 'application/json'],
      ['/v1/live/feedback', 'application/json'],
      ['/v1/live/heartbeat', 'application/json'],
    ];

    it.each(routes)(
      '%s refuses no token, a malformed header, an unknown, an over-long and an API token with 401',
      async (path, type) => {
        const body = type === 'application/json' ? '{}' : pbRequest([pbSpan()]);
        const bare = await send(path, null, body, type);
        await refused(bare, 401);
        expect(bare.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
        const basic = await api.http
          .post(path)
          .set('Authorization', `Basic ${alpha.token}`)
          .set('Content-Type', type)
          .send(body);
        await refused(basic, 401);
        await refused(await send(path, `ghi_${hex(32)}`, body, type), 401);
        await refused(await send(path, 'x'.repeat(10_000), body, type), 401);
        const apiToken = await send(path, ADMIN_TOKEN, body, type);
        await refused(apiToken, 401);
        expect(apiToken.body.detail).toContain('an API token is not an ingest token');
      },
    );

    it('refuses a revoked token, and a token revoked after use within the lookup cache time', async () => {
      const revoked = await givenIngestToken(api, alpha.id, true);
      await refused(await otlp(revoked, pbRequest([pbSpan()])), 401);

      const live = await givenIngestToken(api, alpha.id);
      await otlp(live, pbRequest([pbSpan()])).expect(200);
      const row = await api.app
        .get(UnitOfWork)
        .read((tx) => managerOf(tx).findOneByOrFail(IngestTokenEntity, { tokenHash: hashIngestToken(live) }));
      await api.app
        .get(UnitOfWork)
        .write((tx) => api.app.get(IngestTokenRepository).revoke(tx, row.id, new Date()));
      await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 200));
      await refused(await otlp(live, pbRequest([pbSpan()])), 401);
    });

    it('opens nothing else: an ingest token on the API routes is 401', async () => {
      const as = api.as(alpha.token);
      const responses = [
        await as.get('/v1/ai-use-cases'),
        await as.get('/v1/runs'),
        await as.get(`/v1/ai-use-cases/${alpha.id}`),
        await as.get('/v1/me/work'),
        await as.post('/v1/ai-use-cases', { record: {} }),
      ];
      for (const response of responses) {
        await refused(response, 401);
      }
      expect(responses.map((r) => (r.body as Problem).detail)).toEqual(
        responses.map(() => 'The API token is not valid: it may be unknown, expired or revoked.'),
      );
    });

    it('the OpenTelemetry exporter gets a final failure for a bad token (no retry loop, no hang)', async () => {
      const url = `${baseUrl}/v1/otlp/v1/traces`;
      const started = Date.now();
      const { stdout } = await execFileAsync(process.execPath, ['-e', SDK_EXPORT_SCRIPT], {
        cwd: ROOT,
        env: { ...process.env, URL: url, TOKEN: 'ghi_not-a-token' },
        timeout: 60_000,
      });
      const [result] = JSON.parse(stdout) as { code: number; error: string | null }[];
      expect(result.code).toBe(1); // FAILED, not retried (the exporters retry 429, 502, 503 and 504 only)
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it.each(['proposed', 'retired'] as const)(
      'refuses live data of a use case at %s with 409, and stores none',
      async (stage) => {
        const useCase = await givenLiveUseCase(api, teamId, { stage });
        const response = await otlp(useCase.token, pbRequest([pbSpan()]));
        await refused(response, 409);
        expect(response.body.detail).toContain(
          `is at "${stage}": live data is accepted only at test, learn or scale`,
        );
        await refused(
          await send(
            '/v1/live/feedback',
            useCase.token,
            JSON.stringify({ events: [{ id: 'e', kind: 'undo', occurredAt: new Date().toISOString() }] }),
          ),
          409,
        );
        expect(await stored(useCase.id)).toEqual([]);
      },
    );

    it('a use case retired after its pilot stops ingest within the lookup cache time', async () => {
      const useCase = await givenLiveUseCase(api, teamId, { stage: 'scale' });
      await otlp(useCase.token, pbRequest([pbSpan()])).expect(200);
      await moveUseCase(api, useCase.id, 'retired');
      await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 200));
      await refused(await otlp(useCase.token, pbRequest([pbSpan()])), 409);
    });
  });

  describe('whose data it becomes', () => {
    it("stores another use case's trace ids and feedback only under the token's own use case", async () => {
      const traceId = randomBytes(16);
      const spanId = randomBytes(8);
      await otlp(
        alpha.token,
        pbRequest([pbSpan({ traceId, spanId }, [text('gen_ai.prompt', 'alpha asks')])]),
      ).expect(200);
      const alphaBefore = await stored(alpha.id);
      // Beta replays alpha's ids with its own content: a row of beta's, alpha's untouched.
      await otlp(
        beta.token,
        pbRequest([pbSpan({ traceId, spanId }, [text('gen_ai.prompt', 'beta says')])]),
      ).expect(200);
      const betaRows = (await stored(beta.id)).filter((r) => r.traceId === traceId.toString('hex'));
      expect(betaRows).toEqual([expect.objectContaining({ inputText: 'beta says', aiUseCaseId: beta.id })]);
      const alphaAfter = await stored(alpha.id);
      expect(alphaAfter).toEqual(alphaBefore);
      expect(alphaAfter.find((r) => r.traceId === traceId.toString('hex'))?.inputText).toBe('alpha asks');

      const complaint = {
        id: 'complaint-1',
        traceId: traceId.toString('hex'),
        kind: 'complaint',
        occurredAt: new Date().toISOString(),
      };
      await send('/v1/live/feedback', beta.token, JSON.stringify({ events: [complaint] })).expect(200);
      expect(await storedFeedback(alpha.id)).toEqual([]);
      expect(await storedFeedback(beta.id)).toEqual([
        expect.objectContaining({ eventKey: 'complaint-1', aiUseCaseId: beta.id }),
      ]);
    });
  });

  describe('hostile bodies', () => {
    it('refuses media types and encodings it does not read with 415, before reading', async () => {
      expect(await refused(await otlp(alpha.token, Buffer.from('hello'), 'text/plain'), 415)).toEqual([
        '(headers).content-type',
      ]);
      expect(
        await refused(
          await send('/v1/live/feedback', alpha.token, pbRequest([]), 'application/x-protobuf'),
          415,
        ),
      ).toEqual(['(headers).content-type']);
      const brotli = await otlp(alpha.token, pbRequest([pbSpan()])).set('Content-Encoding', 'br');
      expect(await refused(brotli, 415)).toEqual(['(headers).content-encoding']);
    });

    it('refuses a gzip bomb with 413 once the decompressed body passes the limit, storing nothing', async () => {
      const before = (await stored(alpha.id)).length;
      // 64 MiB of zeros in about 64 KiB of gzip: the stream is abandoned at 1 MiB.
      const bomb = gzipSync(Buffer.alloc(64 * 1_048_576));
      expect(bomb.length).toBeLessThan(LIMIT);
      const started = Date.now();
      const response = await otlp(alpha.token, bomb).set('Content-Encoding', 'gzip');
      expect(await refused(response, 413)).toEqual(['(body)']);
      expect(response.body.errors[0].message).toBe(`must be at most ${LIMIT} bytes once decompressed`);
      expect(Date.now() - started).toBeLessThan(20_000);
      const json = await send('/v1/live/interactions', alpha.token, bomb).set('Content-Encoding', 'gzip');
      await refused(json, 413);
      expect(await stored(alpha.id)).toHaveLength(before);
    });

    it('refuses an oversized body with 413 and a corrupt gzip stream with 400', async () => {
      const big = JSON.stringify({
        interactions: [{ startedAt: new Date().toISOString(), input: 'x'.repeat(LIMIT) }],
      });
      expect(await refused(await send('/v1/live/interactions', alpha.token, big), 413)).toEqual(['(body)']);
      const corrupt = gzipSync(pbRequest([pbSpan()])).subarray(0, 20);
      const response = await otlp(alpha.token, Buffer.concat([corrupt, Buffer.from('garbage')])).set(
        'Content-Encoding',
        'gzip',
      );
      expect(await refused(response, 400)).toEqual(['(body)']);
      expect(response.body.errors[0].code).toBe('invalid_body');
    });

    it('refuses a chunked body (no Content-Length) with 413 as soon as it passes the limit, and answers before it ends', async () => {
      const url = new URL(`${baseUrl}/v1/live/interactions`);
      const answer = await new Promise<{ status: number; body: Problem }>((resolve, reject) => {
        const request = httpRequest(
          url,
          {
            method: 'POST',
            headers: { Authorization: `Bearer ${alpha.token}`, 'Content-Type': 'application/json' },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                body: JSON.parse(Buffer.concat(chunks).toString()) as Problem,
              }),
            );
          },
        );
        request.on('error', reject);
        // 64 KiB chunks, endlessly, until the answer arrives: the server must not wait for an end.
        const chunk = Buffer.alloc(65_536, 0x20);
        let written = 0;
        const pump = () => {
          while (written < 16 * LIMIT && request.write(chunk)) {
            written += chunk.length;
          }
          if (written < 16 * LIMIT) {
            request.once('drain', pump);
          } else {
            request.end();
          }
        };
        request.write('{"interactions": [');
        pump();
      });
      expect(answer.status).toBe(413);
      expect(answer.body.errors.map((e) => e.field)).toEqual(['(body)']);
    });

    it('refuses more spans than a request may carry with 413, storing none of them', async () => {
      const before = (await stored(alpha.id)).length;
      const spans = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => pbSpan());
      const response = await otlp(alpha.token, pbRequest(spans));
      expect(await refused(response, 413)).toEqual(['resourceSpans']);
      expect(response.body.errors[0].message).toContain(`at most ${LIVE_LIMITS.maxSpansPerRequest}`);
      const interactions = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => ({
        startedAt: new Date().toISOString(),
      }));
      expect(
        await refused(
          await send('/v1/live/interactions', alpha.token, JSON.stringify({ interactions })),
          400,
        ),
      ).toEqual(['interactions']);
      expect(await stored(alpha.id)).toHaveLength(before);
    });

    it(`refuses attribute values nested deeper than ${LIVE_LIMITS.maxValueDepth} levels (protobuf and JSON), and any protobuf nested past the decoder's bound`, async () => {
      const at = (depth: number) => pbSpan({}, [{ key: 'deep', value: nested(depth) }]);
      await otlp(alpha.token, pbRequest([at(LIVE_LIMITS.maxValueDepth)])).expect(200);
      const deep = await otlp(alpha.token, pbRequest([pbSpan(), at(LIVE_LIMITS.maxValueDepth + 1)]));
      const [field] = await refused(deep, 400);
      expect(field).toMatch(
        /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.attributes\[1\]\.value(\.arrayValue\.values\[0\])+$/,
      );
      expect(deep.body.errors[0].code).toBe('too_deep');
      // Far deeper than any decoder should recurse: refused by the wire pre-pass at the depth bound, undecoded.
      const deeper = await otlp(alpha.token, deepProtobuf(5000));
      expect((await refused(deeper, 400))[0]).toMatch(
        /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value/,
      );
      expect(deeper.body.errors[0].code).toBe('too_deep');
      const json = {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: hex(16),
                    spanId: hex(8),
                    startTimeUnixNano: nowNs().toString(),
                    attributes: [{ key: 'gen_ai.x', value: nested(LIVE_LIMITS.maxValueDepth + 1) }],
                  },
                ],
              },
            ],
          },
        ],
      };
      expect(
        (
          await refused(await otlp(alpha.token, Buffer.from(JSON.stringify(json)), 'application/json'), 400)
        )[0],
      ).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value/);
      const pathological = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      await refused(await otlp(alpha.token, Buffer.from(pathological), 'application/json'), 400);
    });

    it('refuses bodies that are not OTLP: garbage protobuf, invalid JSON, a JSON array', async () => {
      const garbage = await otlp(alpha.token, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      expect(await refused(garbage, 400)).toEqual(['(body)']);
      expect(garbage.body.errors[0].code).toBe('invalid_protobuf');
      const broken = await otlp(alpha.token, Buffer.from('{"resourceSpans": ['), 'application/json');
      expect(broken.body.errors?.[0]?.code).toBe('invalid_json');
      await refused(broken, 400);
      expect(await refused(await otlp(alpha.token, Buffer.from('[]'), 'application/json'), 400)).toEqual([
        '(body)',
      ]);
      expect(
        await refused(
          await otlp(alpha.token, Buffer.from('{"resourceSpans": {"a": 1}}'), 'application/json'),
          400,
        ),
      ).toEqual(['resourceSpans']);
    });

    it('keeps huge strings bounded: text cut, lengths whole, model and operation cut, NUL characters dropped', async () => {
      const prompt = `${'word '.repeat(120_000)}end`;
      const span = pbSpan({}, [
        text('gen_ai.prompt', prompt),
        text('gen_ai.completion', 'nul\u0000inside'),
        text('gen_ai.response.model', `m\u0000${'m'.repeat(5000)}`),
        text('gen_ai.operation.name', 'o'.repeat(5000)),
      ]);
      await otlp(alpha.token, pbRequest([span])).expect(200);
      const row = (await stored(alpha.id)).find((r) => r.spanId === (span.spanId as Buffer).toString('hex'));
      expect(row?.inputChars).toBe(prompt.length);
      expect(row?.inputText).toHaveLength(LIVE_LIMITS.maxTextChars);
      expect(row?.outputText).toBe('nulinside');
      expect(row?.model).toHaveLength(200);
      expect(row?.model?.includes('\u0000')).toBe(false);
      expect(row?.operation).toHaveLength(60);
    });

    it('redacts personal data in model and operation names (free text kept after retention), within their widths', async () => {
      const span = pbSpan({}, [
        text('gen_ai.response.model', `ft:for jo.bloggs@example.com ${'SW1A 1AA '.repeat(30)}`),
        text('gen_ai.operation.name', `chat 943 476 5919 ${'SW1A 1AA '.repeat(10)}`),
      ]);
      await otlp(alpha.token, pbRequest([span])).expect(200);
      const row = (await stored(alpha.id)).find((r) => r.spanId === (span.spanId as Buffer).toString('hex'));
      expect(row?.model).toMatch(/^ft:for \[email\] \[uk_postcode\]/);
      expect(row?.model).not.toContain('jo.bloggs');
      expect(row?.model?.length).toBeLessThanOrEqual(200);
      expect(row?.operation).toMatch(/^chat \[nhs_number\] \[uk_postcode\]/);
      expect(row?.operation?.length).toBeLessThanOrEqual(60);
    });

    it('refuses a body that is not JSON without quoting any of it back', async () => {
      const refused = await api.http
        .post('/v1/live/feedback')
        .set('Authorization', `Bearer ${alpha.token}`)
        .set('Content-Type', 'application/json')
        .send('NHS 943 476 5919 is not JSON')
        .expect(400);
      expect(JSON.stringify(refused.body)).not.toContain('943');
      expect(refused.body.errors?.[0]).toMatchObject({ field: '(body)', code: 'invalid_json' });
    });

    it('reads only the first attributes of a span: a gen_ai attribute past the bound does not make a model call', async () => {
      const filler = Array.from({ length: LIVE_LIMITS.maxAttributesPerSpan }, (_, i) =>
        text(`app.${i}`, 'x'),
      );
      const span = { ...pbSpan(), attributes: [...filler, text('gen_ai.request.model', 'late')] };
      await otlp(alpha.token, pbRequest([span])).expect(200);
      expect((await stored(alpha.id)).some((r) => r.spanId === span.spanId.toString('hex'))).toBe(false);
    });

    it('rejects spans with invalid ids or times in the partial success and stores the rest', async () => {
      const good = pbSpan();
      const response = await otlp(
        alpha.token,
        pbRequest([
          good,
          pbSpan({ traceId: Buffer.alloc(16) }),
          pbSpan({ spanId: randomBytes(3) }),
          pbSpan({ traceId: Buffer.alloc(0) }),
          pbSpan({ startTimeUnixNano: '0' }),
          pbSpan({ startTimeUnixNano: nowNs(-(LIVE_LIMITS.maxAgeDays * 86_400_000 + 60_000)).toString() }),
          pbSpan({ startTimeUnixNano: nowNs(LIVE_LIMITS.maxClockSkewMinutes * 60_000 + 60_000).toString() }),
          pbSpan({ startTimeUnixNano: '18446744073709551615' }),
        ]),
      )
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const answer = decodeTraceResponse(response.body as Buffer);
      expect(answer.partialSuccess?.rejectedSpans).toBe(7);
      expect(answer.partialSuccess?.errorMessage).toContain('3 with a trace or span id');
      const rows = await stored(alpha.id);
      expect(rows.some((r) => r.spanId === good.spanId.toString('hex'))).toBe(true);
    });

    it('refuses hostile JSON fields naming each (prototype keys, NUL, bounds), and caps the problems listed', async () => {
      const withProto =
        '{"interactions": [{"startedAt": "2026-01-01T00:00:00Z", "__proto__": {"admin": true}}]}';
      expect(await refused(await send('/v1/live/interactions', alpha.token, withProto), 400)).toEqual([
        'interactions[0].__proto__',
      ]);
      const nul = JSON.stringify({
        interactions: [{ startedAt: new Date().toISOString(), model: 'a\u0000b' }],
      });
      expect(await refused(await send('/v1/live/interactions', alpha.token, nul), 400)).toEqual([
        'interactions[0].model',
      ]);
      const many = JSON.stringify({
        interactions: Array.from({ length: 3000 }, () => ({ startedAt: 'soon', colour: 1 })),
      });
      const response = await send('/v1/live/interactions', alpha.token, many);
      expect((await refused(response, 400)).length).toBe(100);
      const note = JSON.stringify({
        events: [
          {
            id: 'x'.repeat(201),
            kind: 'undo',
            occurredAt: new Date().toISOString(),
            note: 'n'.repeat(LIVE_LIMITS.maxNoteChars * 10 + 1),
          },
        ],
      });
      expect((await refused(await send('/v1/live/feedback', alpha.token, note), 400)).sort()).toEqual([
        'events[0].id',
        'events[0].note',
      ]);
      expect(
        await refused(
          await send(
            '/v1/live/heartbeat',
            alpha.token,
            JSON.stringify({ configHash: 'A'.repeat(64), extra: 1 }),
          ),
          400,
        ),
      ).toEqual(['configHash', 'extra']);
    });

    it('never logs an ingest token or the text a span carried', async () => {
      const secret = 'Reach me on 07700 900982 about claim 4711';
      await otlp(alpha.token, pbRequest([pbSpan({}, [text('gen_ai.prompt', secret)])])).expect(200);
      await refused(await otlp(alpha.token, Buffer.from(secret), 'text/plain'), 415);
      const logs = api.logs.join('');
      expect(logs).toContain('/v1/otlp/v1/traces');
      expect(logs).not.toContain(alpha.token);
      expect(logs).not.toContain(beta.token);
      expect(logs).not.toContain('07700 900982');
    });

    it('clears the token cache on demand so a test or an operator sees a revocation at once', () => {
      expect(() => api.app.get(IngestAuthService).clear()).not.toThrow();
    });
  });
});

/**
 * A database outage must not lose spans: the OpenTelemetry exporters drop a batch answered 500 but retry 503,
 * so while the database cannot take a batch (or look a token up) the answer is 503 with Retry-After, and the
 * same batch is stored once the database is back.
 */
describeIntegration('live ingest while the database is down', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers 503 with Retry-After, and stores the retried batch once the database is back', async () => {
    const useCase = await givenLiveUseCase(api, await api.team('Benefits'), { stage: 'learn' });
    const post = (token: string, body: Buffer) =>
      api.http
        .post('/v1/otlp/v1/traces')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/x-protobuf')
        .send(body);
    await post(useCase.token, pbRequest([pbSpan()])).expect(200); // the token's lookup is now cached
    const batch = pbRequest([pbSpan(), pbSpan()]);
    const dataSource = api.app.get(UnitOfWork).dataSource;
    await dataSource.destroy();
    try {
      const stored = await post(useCase.token, batch);
      expect(stored.status).toBe(503);
      expect(stored.headers['retry-after']).toBe('5');
      expect(stored.headers['content-type']).toMatch(/^application\/problem\+json/);
      const lookedUp = await post(`ghi_${hex(24)}`, batch);
      expect(lookedUp.status).toBe(503);
      expect(lookedUp.headers['retry-after']).toBe('5');
    } finally {
      await dataSource.initialize();
    }
    await post(useCase.token, batch).expect(200);
    const rows = await api.app
      .get(UnitOfWork)
      .read((tx) => managerOf(tx).find(LiveInteractionEntity, { where: { aiUseCaseId: useCase.id } }));
    expect(rows).toHaveLength(3);
  });
});
