import {
  AttestationService,
  decodeTraceResponse,
  encodeTraceRequest,
  IngestAuthService,
} from '@gatehouse/application';
import { LIVE_LIMITS } from '@gatehouse/domain';
import { LiveFeedbackEntity, LiveInteractionEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { LIVE_QUEUE } from '@gatehouse/queue';
import { describeIntegration, REDIS_TEST_URL } from '@gatehouse/testing';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { givenLiveUseCase, type LiveUseCase } from './support/live-ingest';
import { exportWithOtelSdk } from './support/otel-sdk';
import { TestApi } from './support/test-api';

jest.setTimeout(120_000);

/** A valid NHS number (modulus 11), an e-mail address and a postcode: what the UK PII guardrail finds. */
const NHS = '943 476 5919';
const PROMPT = `My NHS number is ${NHS} and you can write to jo.bloggs@example.com about my claim.`;
const ANSWER = 'Your claim is being processed; we will write to you at SW1A 1AA within 10 working days.';
const HASH_APPROVED = 'a'.repeat(64);
const HASH_OTHER = 'b'.repeat(64);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nowNs = (offsetMs = 0) => String(BigInt(Date.now() + offsetMs) * 1_000_000n);
const attr = (key: string, value: string | number | boolean) => ({
  key,
  value:
    typeof value === 'string'
      ? { stringValue: value }
      : typeof value === 'boolean'
        ? { boolValue: value }
        : Number.isInteger(value)
          ? { intValue: value }
          : { doubleValue: value },
});

/** One GenAI span as OTLP/JSON writes it (hex ids, int64 as strings). */
function jsonSpan(overrides: Record<string, unknown> = {}, attributes: object[] = []) {
  return {
    traceId: hex(16),
    spanId: hex(8),
    name: 'chat gpt-test',
    kind: 3,
    startTimeUnixNano: nowNs(-1000),
    endTimeUnixNano: nowNs(-250),
    attributes: [
      attr('gen_ai.operation.name', 'chat'),
      attr('gen_ai.request.model', 'gpt-test'),
      attr('gen_ai.usage.input_tokens', 12),
      attr('gen_ai.usage.output_tokens', 30),
      ...attributes,
    ],
    ...overrides,
  };
}

function jsonRequest(spans: object[], resource: object[] = []) {
  return {
    resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 't' }, spans }] }],
  };
}

/** The same request in protobuf (ids as bytes, times as fixed64). */
function protoRequest(spans: ReturnType<typeof jsonSpan>[], resource: object[] = []): Buffer {
  return encodeTraceRequest({
    resourceSpans: [
      {
        resource: { attributes: resource },
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              ...s,
              traceId: Buffer.from(s.traceId, 'hex'),
              spanId: Buffer.from(s.spanId, 'hex'),
            })),
          },
        ],
      },
    ],
  });
}

/**
 * Issue 15, the ingest path: a real OpenTelemetry SDK (protobuf and JSON exporters) sends GenAI spans to the
 * OTLP/HTTP receiver with an ingest token; what is stored is minimised as the use case's live settings say
 * (PII counted, redacted, text kept only when captured or sampled), an exporter's retry stores nothing twice,
 * the sampled batch is queued for online scoring on BullMQ; the JSON interactions, feedback and heartbeat
 * routes for services without OpenTelemetry.
 */
describeIntegration(
  'live ingest: OTLP traces, JSON interactions, feedback and heartbeats',
  () => {
    let api: TestApi;
    let baseUrl: string;
    let queue: Queue;
    let teamId: string;
    /** Captures text, redacts, samples every trace; its registered target hash is HASH_APPROVED. */
    let capturing: LiveUseCase;
    /** Captures nothing and samples nothing: counts only. */
    let countsOnly: LiveUseCase;
    /** Captures nothing but samples everything: text kept a day for online scoring. */
    let scoredOnly: LiveUseCase;
    const attested: { aiUseCaseId: string; hashes: string[]; source: string }[] = [];
    const prefix = `live-${randomBytes(4).toString('hex')}`;

    const interactions = (aiUseCaseId: string) =>
      api.app
        .get(UnitOfWork)
        .read((tx) =>
          managerOf(tx).find(LiveInteractionEntity, { where: { aiUseCaseId }, order: { startedAt: 'ASC' } }),
        );
    const feedback = (aiUseCaseId: string) =>
      api.app
        .get(UnitOfWork)
        .read((tx) =>
          managerOf(tx).find(LiveFeedbackEntity, { where: { aiUseCaseId }, order: { eventKey: 'ASC' } }),
        );
    const post = (path: string, token: string, body: Buffer | object, type = 'application/json') =>
      api.http
        .post(path)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', type)
        // A Buffer goes as it is (protobuf, gzip); an object as JSON text (superagent would JSON a Buffer).
        .send(Buffer.isBuffer(body) ? body : JSON.stringify(body))
        .buffer(true)
        // The answer as bytes (protobuf) or parsed JSON (JSON and problem details).
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            const json = /json/.test(String(res.headers['content-type']));
            done(null, json ? JSON.parse(bytes.toString('utf8')) : bytes);
          });
        });

    beforeAll(async () => {
      api = await TestApi.start({ REDIS_URL: REDIS_TEST_URL, GATEHOUSE_QUEUE_PREFIX: prefix });
      await api.app.listen(0, '127.0.0.1');
      baseUrl = (await api.app.getUrl()).replace('[::1]', '127.0.0.1');
      queue = new Queue(LIVE_QUEUE, { connection: { url: REDIS_TEST_URL }, prefix });
      teamId = await api.team('Benefits');
      capturing = await givenLiveUseCase(api, teamId, {
        stage: 'learn',
        targetHash: HASH_APPROVED,
        settings: { captureText: true, redactPii: true, sampleRate: 1, retentionDays: 14 },
      });
      countsOnly = await givenLiveUseCase(api, teamId, {
        stage: 'scale',
        settings: { captureText: false, sampleRate: 0 },
      });
      scoredOnly = await givenLiveUseCase(api, teamId, {
        stage: 'test',
        settings: { captureText: false, redactPii: false, sampleRate: 1 },
      });
      // Observe what the ingest path hands the attestation (built by the watch work; it may throw meanwhile).
      const attestation = api.app.get(AttestationService);
      jest.spyOn(attestation, 'attest').mockImplementation((aiUseCaseId, hashes, source) => {
        attested.push({ aiUseCaseId, hashes, source });
        return Promise.reject(new Error('the attestation is down'));
      });
    });

    afterAll(async () => {
      await queue?.obliterate({ force: true }).catch(() => undefined);
      await queue?.close();
      await api?.close();
    });

    /** The batch's scoring job: added just after the answer (not awaited by it), so looked for a while. */
    async function scoringJob(batchId: string) {
      for (let attempt = 0; attempt < 100; attempt++) {
        const job = await queue.getJob(`live-${batchId}`);
        if (job) {
          return job;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return undefined;
    }

    /**
     * Sends spans as a Node service would: the OpenTelemetry SDK (BasicTracerProvider, BatchSpanProcessor,
     * the OTLP/HTTP exporter of `protocol`) with the service's resource, in a process of its own (the
     * exporters load node:http by dynamic import, which Jest's module system cannot). Returns what each
     * export reported (code 0: success).
     */
    async function sendWithSdk(
      protocol: 'proto' | 'json',
      token: string,
      spans: { name: string; attributes: Record<string, string | number>; error?: boolean }[],
      compression: 'gzip' | 'none' = 'none',
    ): Promise<{ code: number; error: string | null }[]> {
      const input = {
        protocol,
        url: `${baseUrl}/v1/otlp/v1/traces`,
        token,
        compression,
        resource: { 'service.name': 'benefits-assistant', 'gatehouse.config.hash': HASH_APPROVED },
        spans,
      };
      return (await exportWithOtelSdk(input)).results;
    }

    it('stores model-call spans sent by the OpenTelemetry SDK (protobuf, gzip): redacted, counted, sampled, queued for scoring', async () => {
      const exported = await sendWithSdk(
        'proto',
        capturing.token,
        [
          {
            name: 'chat gpt-test',
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.request.model': 'gpt-test',
              'gen_ai.response.model': 'gpt-test-2026-01',
              'gen_ai.usage.input_tokens': 41,
              'gen_ai.usage.output_tokens': 23,
              'gatehouse.cost_usd': 0.0031,
              'gen_ai.input.messages': JSON.stringify([
                { role: 'system', parts: [{ type: 'text', content: 'You help with benefit claims.' }] },
                { role: 'user', parts: [{ type: 'text', content: 'Hello' }] },
                { role: 'assistant', parts: [{ type: 'text', content: 'How can I help?' }] },
                { role: 'user', parts: [{ type: 'text', content: PROMPT }] },
              ]),
              'gen_ai.output.messages': JSON.stringify([
                { role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' },
              ]),
            },
          },
          { name: 'GET /claims', attributes: { 'http.request.method': 'GET' } },
          {
            name: 'chat gpt-test',
            attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-test' },
            error: true,
          },
        ],
        'gzip',
      );
      expect(exported).toEqual([{ code: 0, error: null }]);

      const rows = await interactions(capturing.id);
      expect(rows).toHaveLength(2); // the HTTP span is not a model call
      const call = rows.find((r) => r.inputText !== null) as LiveInteractionEntity;
      expect(call).toMatchObject({
        source: 'otlp',
        operation: 'chat',
        model: 'gpt-test-2026-01',
        inputTokens: 41,
        outputTokens: 23,
        costUsd: 0.0031,
        configHash: HASH_APPROVED,
        errored: false,
        sampled: true,
        inputChars: PROMPT.length,
        outputChars: ANSWER.length,
        inputText: 'My NHS number is [nhs_number] and you can write to [email] about my claim.',
        outputText:
          'Your claim is being processed; we will write to you at [uk_postcode] within 10 working days.',
        piiFound: { input: { nhs_number: 1, email: 1 }, output: { uk_postcode: 1 } },
      });
      expect(call.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(call.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(call.durationMs).not.toBeNull();
      // Captured text is kept for the use case's retention (14 days).
      const keptDays = ((call.textExpiresAt as Date).getTime() - call.receivedAt.getTime()) / 86_400_000;
      expect(keptDays).toBeCloseTo(14, 5);
      const failed = rows.find((r) => r.inputText === null) as LiveInteractionEntity;
      expect(failed).toMatchObject({ errored: true, inputChars: 0, piiFound: null, textExpiresAt: null });
      // The one export was one batch, queued for online scoring under its job id.
      expect(new Set(rows.map((r) => r.batchId)).size).toBe(1);
      const job = await scoringJob(call.batchId);
      expect(job?.name).toBe('live.score');
      expect(job?.data).toEqual({ aiUseCaseId: capturing.id, batchId: call.batchId });
      // The reported hash goes to the attestation, which compares it with the approved configuration.
      expect(attested.filter((a) => a.aiUseCaseId === capturing.id)).toEqual([
        { aiUseCaseId: capturing.id, hashes: [HASH_APPROVED], source: 'trace' },
      ]);
    });

    it('stores spans sent by the OpenTelemetry http/json exporter, with the older gen_ai.prompt/completion attributes', async () => {
      const exported = await sendWithSdk('json', countsOnly.token, [
        {
          name: 'text_completion legacy',
          attributes: {
            'gen_ai.operation.name': 'text_completion',
            'gen_ai.request.model': 'legacy-model',
            'gen_ai.prompt': `Check ${NHS} please`,
            'gen_ai.completion': 'Done.',
            'gen_ai.usage.prompt_tokens': 7,
            'gen_ai.usage.completion_tokens': 2,
          },
        },
      ]);
      expect(exported).toEqual([{ code: 0, error: null }]);
      const [row] = await interactions(countsOnly.id);
      // Neither captured nor sampled: no text stored and none read, only its length (no personal-data counts).
      expect(row).toMatchObject({
        model: 'legacy-model',
        operation: 'text_completion',
        inputTokens: 7,
        outputTokens: 2,
        sampled: false,
        inputText: null,
        outputText: null,
        textExpiresAt: null,
        inputChars: `Check ${NHS} please`.length,
        outputChars: 5,
        piiFound: null,
      });
      expect(await queue.getJob(`live-${row.batchId}`)).toBeUndefined(); // nothing sampled, nothing to score
    });

    it('stores an exporter retry once: the same protobuf request twice adds no row and no second scoring job', async () => {
      const spans = [
        jsonSpan({}, [attr('gen_ai.prompt', 'first question')]),
        jsonSpan({}, [attr('gen_ai.prompt', 'second question')]),
      ];
      const body = protoRequest(spans);
      const before = (await interactions(capturing.id)).length;
      const first = await post('/v1/otlp/v1/traces', capturing.token, body, 'application/x-protobuf').expect(
        200,
      );
      expect(first.headers['content-type']).toMatch(/^application\/x-protobuf/);
      expect(decodeTraceResponse(first.body as Buffer).partialSuccess).toBeUndefined();
      await post('/v1/otlp/v1/traces', capturing.token, gzipSync(body), 'application/x-protobuf')
        .set('Content-Encoding', 'gzip')
        .expect(200);
      const rows = await interactions(capturing.id);
      expect(rows).toHaveLength(before + 2);
      const stored = rows.filter((r) => spans.some((s) => (s as { spanId: string }).spanId === r.spanId));
      expect(new Set(stored.map((r) => r.batchId)).size).toBe(1);
      expect(await scoringJob(stored[0].batchId)).toBeDefined();
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.filter((j) => (j.data as { batchId: string }).batchId === stored[0].batchId)).toHaveLength(
        1,
      );
    });

    it('answers OTLP/JSON with a partial success naming spans refused and config hashes ignored; other spans are skipped silently', async () => {
      const good = jsonSpan({}, [
        attr('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: 'hi' }])),
      ]);
      const request = jsonRequest(
        [
          good,
          jsonSpan({ traceId: '0'.repeat(32) }),
          jsonSpan({ spanId: 'not-hex-at-all!!' }),
          jsonSpan({ startTimeUnixNano: nowNs(-(LIVE_LIMITS.maxAgeDays + 1) * 86_400_000) }),
          jsonSpan({ startTimeUnixNano: nowNs(60 * 60_000) }),
          jsonSpan({}, [attr('gatehouse.config.hash', 'not-a-sha256')]),
          { traceId: hex(16), spanId: hex(8), name: 'db query', startTimeUnixNano: nowNs(), attributes: [] },
        ],
        [attr('service.name', 'x')],
      );
      const { body } = await post('/v1/otlp/v1/traces', countsOnly.token, request).expect(200);
      expect(body.partialSuccess.rejectedSpans).toBe('4');
      expect(body.partialSuccess.errorMessage).toContain(
        '2 with a trace or span id that is not 16/8 bytes or is all zeros',
      );
      expect(body.partialSuccess.errorMessage).toContain(
        `1 with a start more than ${LIVE_LIMITS.maxAgeDays} days ago`,
      );
      expect(body.partialSuccess.errorMessage).toContain('1 with a start more than 10 minutes in the future');
      expect(body.partialSuccess.errorMessage).toContain('1 span stored without their gatehouse.config.hash');
      const rows = await interactions(countsOnly.id);
      expect(rows.find((r) => r.spanId === good.spanId)).toMatchObject({ inputChars: 2, inputText: null });
      // The malformed hash was ignored (its span stored without one); this request had no other.
      const sent = rows.filter((r) =>
        request.resourceSpans[0].scopeSpans[0].spans.some(
          (s) => (s as { spanId: string }).spanId === r.spanId,
        ),
      );
      expect(sent).toHaveLength(2);
      expect(sent.map((r) => r.configHash)).toEqual([null, null]);
    });

    it('answers protobuf with a protobuf partial success', async () => {
      const body = protoRequest([jsonSpan(), jsonSpan({ startTimeUnixNano: nowNs(-40 * 86_400_000) })]);
      const response = await post(
        '/v1/otlp/v1/traces',
        countsOnly.token,
        body,
        'application/x-protobuf',
      ).expect(200);
      const decoded = decodeTraceResponse(response.body as Buffer);
      expect(decoded.partialSuccess?.rejectedSpans).toBe(1);
      expect(decoded.partialSuccess?.errorMessage).toMatch(
        /^1 span rejected: 1 with a start more than 30 days ago/,
      );
    });

    it('keeps text a day for online scoring when the trace is sampled but the team does not capture text', async () => {
      const span = jsonSpan({}, [
        attr('gen_ai.prompt', `call me on 07700 900123`),
        attr('gen_ai.completion', 'Sure.'),
      ]);
      await post('/v1/otlp/v1/traces', scoredOnly.token, jsonRequest([span])).expect(200);
      const [row] = await interactions(scoredOnly.id);
      expect(row).toMatchObject({ sampled: true, inputText: 'call me on 07700 900123', outputText: 'Sure.' });
      expect(row.piiFound).toEqual({ input: { uk_phone: 1 }, output: {} }); // counted, not redacted (redactPii off)
      const keptHours = ((row.textExpiresAt as Date).getTime() - row.receivedAt.getTime()) / 3_600_000;
      expect(keptHours).toBeCloseTo(24, 5);
      expect(await scoringJob(row.batchId)).toBeDefined();
    });

    it('reads prompts and completions from GenAI span events', async () => {
      const span = jsonSpan({
        events: [
          { name: 'gen_ai.system.message', attributes: [attr('content', 'be brief')] },
          { name: 'gen_ai.user.message', attributes: [attr('content', 'first')] },
          { name: 'gen_ai.user.message', attributes: [attr('content', 'the last user message')] },
          {
            name: 'gen_ai.choice',
            attributes: [
              attr('index', 0),
              {
                key: 'message',
                value: { kvlistValue: { values: [attr('role', 'assistant'), attr('content', 'an answer')] } },
              },
            ],
          },
        ],
      });
      await post('/v1/otlp/v1/traces', capturing.token, jsonRequest([span])).expect(200);
      const row = (await interactions(capturing.id)).find((r) => r.spanId === span.spanId);
      expect(row).toMatchObject({ inputText: 'the last user message', outputText: 'an answer' });
    });

    it('hands a configuration hash other than the registered one to the attestation, whose failure never fails the ingest', async () => {
      const span = jsonSpan({}, [attr('gatehouse.config.hash', HASH_OTHER)]);
      const { body } = await post('/v1/otlp/v1/traces', capturing.token, jsonRequest([span])).expect(200);
      expect(body).toEqual({});
      const row = (await interactions(capturing.id)).find((r) => r.spanId === span.spanId);
      expect(row?.configHash).toBe(HASH_OTHER);
      expect(attested).toContainEqual({ aiUseCaseId: capturing.id, hashes: [HASH_OTHER], source: 'trace' });
    });

    it('stores JSON interactions: ids made up when left out, everything else as sent', async () => {
      const traceId = hex(16);
      const spanId = hex(8);
      const startedAt = new Date(Date.now() - 60_000).toISOString();
      const { body } = await post('/v1/live/interactions', capturing.token, {
        interactions: [
          {
            traceId: traceId.toUpperCase(),
            spanId,
            startedAt,
            durationMs: 812.5,
            model: 'json-model',
            operation: 'chat',
            input: `NI number AB 12 34 56 C`,
            output: 'Noted.',
            inputTokens: 5,
            outputTokens: 2,
            costUsd: 0.01,
            configHash: HASH_APPROVED,
            errored: false,
          },
          { startedAt },
        ],
      }).expect(200);
      expect(body).toMatchObject({ received: 2, stored: 2, sampled: 2 });
      const rows = (await interactions(capturing.id)).filter((r) => r.batchId === body.batchId);
      const sent = rows.find((r) => r.traceId === traceId);
      expect(sent).toMatchObject({
        source: 'json',
        spanId,
        durationMs: 812.5,
        model: 'json-model',
        inputText: 'NI number [ni_number]',
        outputText: 'Noted.',
        costUsd: 0.01,
        startedAt: new Date(startedAt),
      });
      const generated = rows.find((r) => r.traceId !== traceId);
      expect(generated?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(generated).toMatchObject({ model: null, inputChars: 0, errored: false });
      // Sent again: nothing new.
      const again = await post('/v1/live/interactions', capturing.token, {
        interactions: [{ traceId, spanId, startedAt }],
      }).expect(200);
      expect(again.body).toMatchObject({ received: 1, stored: 0, batchId: expect.any(String) });
    });

    it('refuses a bad JSON interaction with a problem per field and stores none of the request', async () => {
      const before = (await interactions(capturing.id)).length;
      const { body } = await post('/v1/live/interactions', capturing.token, {
        interactions: [
          { startedAt: new Date().toISOString(), model: 'fine' },
          {
            traceId: 'xyz',
            startedAt: 'yesterday',
            inputTokens: -1,
            configHash: 'ABC',
            colour: 'blue',
          },
        ],
      }).expect(400);
      expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'interactions[1].colour',
        'interactions[1].configHash',
        'interactions[1].inputTokens',
        'interactions[1].startedAt',
        'interactions[1].traceId',
      ]);
      expect(await interactions(capturing.id)).toHaveLength(before);
    });

    it('records feedback once per event id, notes redacted and kept only when the use case captures text', async () => {
      const traceId = hex(16);
      const events = [
        {
          id: 'evt-1',
          traceId,
          kind: 'override',
          occurredAt: new Date().toISOString(),
          note: `Caseworker corrected it; claimant jo@example.org. ${'x'.repeat(LIVE_LIMITS.maxNoteChars * 2)}`,
        },
        { id: 'evt-2', kind: 'complaint', occurredAt: new Date().toISOString() },
      ];
      const first = await post('/v1/live/feedback', capturing.token, { events }).expect(200);
      expect(first.body).toEqual({ received: 2, stored: 2, duplicates: 0 });
      const again = await post('/v1/live/feedback', capturing.token, { events: [events[0]] }).expect(200);
      expect(again.body).toEqual({ received: 1, stored: 0, duplicates: 1 });
      const rows = await feedback(capturing.id);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ eventKey: 'evt-1', traceId, kind: 'override' });
      expect(rows[0].note?.startsWith('Caseworker corrected it; claimant [email]. xxx')).toBe(true);
      expect(rows[0].note).toHaveLength(LIVE_LIMITS.maxNoteChars);
      expect(rows[1]).toMatchObject({ eventKey: 'evt-2', traceId: null, kind: 'complaint', note: null });

      await post('/v1/live/feedback', countsOnly.token, {
        events: [{ id: 'evt-1', kind: 'undo', occurredAt: new Date().toISOString(), note: 'kept?' }],
      }).expect(200);
      const other = await feedback(countsOnly.id);
      expect(other).toEqual([expect.objectContaining({ eventKey: 'evt-1', kind: 'undo', note: null })]);
    });

    it('refuses bad feedback naming each field', async () => {
      const { body } = await post('/v1/live/feedback', capturing.token, {
        events: [
          { id: 'a', kind: 'praise', occurredAt: new Date().toISOString() },
          {
            id: 'b',
            kind: 'undo',
            occurredAt: new Date(Date.now() + 3_600_000).toISOString(),
            traceId: '0'.repeat(32),
          },
        ],
      }).expect(400);
      expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'events[0].kind',
        'events[1].occurredAt',
        'events[1].traceId',
      ]);
    });

    it('takes heartbeats: says whether the hash is the registered one and attests it', async () => {
      const match = await post('/v1/live/heartbeat', capturing.token, { configHash: HASH_APPROVED }).expect(
        200,
      );
      expect(match.body).toEqual({
        configHash: HASH_APPROVED,
        matchesRegisteredTarget: true,
        hasRegisteredTarget: true,
      });
      const other = await post('/v1/live/heartbeat', capturing.token, { configHash: HASH_OTHER }).expect(200);
      expect(other.body.matchesRegisteredTarget).toBe(false);
      const none = await post('/v1/live/heartbeat', countsOnly.token, { configHash: HASH_OTHER }).expect(200);
      expect(none.body).toMatchObject({ matchesRegisteredTarget: false, hasRegisteredTarget: false });
      expect(attested.filter((a) => a.source === 'heartbeat')).toEqual([
        { aiUseCaseId: capturing.id, hashes: [HASH_APPROVED], source: 'heartbeat' },
        { aiUseCaseId: capturing.id, hashes: [HASH_OTHER], source: 'heartbeat' },
        { aiUseCaseId: countsOnly.id, hashes: [HASH_OTHER], source: 'heartbeat' },
      ]);
      await post('/v1/live/heartbeat', capturing.token, { configHash: 'nope' }).expect(400);
    });

    it('caches token lookups per process (no query per request) until the cache is cleared', async () => {
      const auth = api.app.get(IngestAuthService);
      const first = await auth.authenticate(capturing.token);
      expect(first).toMatchObject({ aiUseCaseId: capturing.id, stage: 'learn', targetHash: HASH_APPROVED });
      expect(first.settings).toMatchObject({ captureText: true, sampleRate: 1, retentionDays: 14 });
      expect(await auth.authenticate(capturing.token)).toBe(first);
      auth.clear();
      expect(await auth.authenticate(capturing.token)).not.toBe(first);
    });
  },
  { needs: ['redis'] },
);
