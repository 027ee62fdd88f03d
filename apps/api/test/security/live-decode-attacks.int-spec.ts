import { JSON_INGEST_LIMITS, OTLP_WIRE_LIMITS } from '@gatehouse/application';
import { LIVE_LIMITS } from '@gatehouse/domain';
import { LiveInteractionEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Writer } from 'protobufjs';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { givenLiveUseCase, type LiveUseCase } from '../support/live-ingest';
import { TestApi } from '../support/test-api';

jest.setTimeout(120_000);

/** The default ingest limit: the crafted bodies fill it, as an attacker's would. */
const LIMIT = 4 * 1_048_576;

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: { field: string; message: string; code?: string }[];
}

// --- protobuf written field by field ----------------------------------------------------------------------

const len = (field: number, bytes: Uint8Array) =>
  Buffer.from(
    Writer.create()
      .uint32((field << 3) | 2)
      .bytes(bytes)
      .finish(),
  );
/** `unit` repeated to about `bytes` bytes (Buffer.alloc repeats a pattern natively). */
const fill = (unit: Uint8Array, bytes: number) =>
  Buffer.alloc(Math.floor(bytes / unit.length) * unit.length, unit);
/** A span's ids and start time, so it would be a valid span but for what follows. */
const spanHead = () =>
  Buffer.concat([
    len(1, randomBytes(16)),
    len(2, randomBytes(8)),
    Buffer.from(
      Writer.create()
        .uint32((7 << 3) | 1)
        .fixed64(Date.now() * 1_000_000)
        .finish(),
    ),
    len(9, Buffer.concat([len(1, Buffer.from('gen_ai.request.model')), len(2, len(1, Buffer.from('m')))])),
  ]);
const request = (spans: Uint8Array[]) => len(1, len(2, Buffer.concat(spans.map((s) => len(2, s)))));
/** One span followed by `unit` repeated until the body is about LIMIT bytes. */
const oneSpanOf = (unit: Uint8Array) => request([Buffer.concat([spanHead(), fill(unit, LIMIT - 200)])]);

/** GenAI spans as the OpenTelemetry SDK makes them. */
function sdkSpans(count: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'benefits-assistant' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('benefits-assistant');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 120 + i,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: `How do I apply for a blue badge? ${i}` }] },
        ]),
      },
    });
    span.addEvent('gen_ai.choice', { index: 0, finish_reason: 'stop' });
    span.end();
  }
  return exporter.getFinishedSpans();
}

/**
 * Bodies whose decoding would cost far more than their bytes suggest (a million empty attributes, events,
 * array values, repeated fields; nesting; malformed wire data; a million `{}` in JSON) are refused with 400
 * before they are decoded or parsed, naming the field and the limit; a real SDK batch still goes in.
 */
describeIntegration('live ingest: decoding attacks', () => {
  let api: TestApi;
  let useCase: LiveUseCase;

  const stored = () =>
    api.app
      .get(UnitOfWork)
      .read((tx) => managerOf(tx).count(LiveInteractionEntity, { where: { aiUseCaseId: useCase.id } }));
  const send = (path: string, body: Buffer, type: string) =>
    api.http
      .post(path)
      .set('Authorization', `Bearer ${useCase.token}`)
      .set('Content-Type', type)
      // Bytes go as they are (superagent would otherwise serialise a Buffer sent as JSON).
      .serialize((data: unknown) => data as string)
      .send(body);
  const otlp = (body: Buffer, type = 'application/x-protobuf') => send('/v1/otlp/v1/traces', body, type);
  /** A 400 problem naming `field` with `code`, quoting none of the body. */
  const refused = (response: { status: number; body: Problem }, code: string, field: string | RegExp) => {
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({
        code,
        field: typeof field === 'string' ? field : expect.stringMatching(field),
      }),
    ]);
    expect(JSON.stringify(response.body)).not.toMatch(/gen_ai\.request\.model|\n\s+at /);
    return response.body.errors[0].message;
  };

  beforeAll(async () => {
    api = await TestApi.start({
      GATEHOUSE_INGEST_MAX_BYTES: String(LIMIT),
      // These attacks come back to back from one use case, many near the body limit (far past the default
      // 4 MiB/s): what is under test is the decoder's bounds, not the per-use-case rate (its own spec).
      GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: String(1024 * 1_048_576),
    });
    useCase = await givenLiveUseCase(api, await api.team('Benefits'), {
      stage: 'learn',
      settings: { captureText: false, sampleRate: 0 },
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';
  const many = OTLP_WIRE_LIMITS.maxListEntries;

  it.each([
    ['a million empty attributes', Buffer.from([0x4a, 0x00]), `${SPAN}.attributes`, 'attributes'],
    ['a million empty events', Buffer.from([0x5a, 0x00]), `${SPAN}.events`, 'events'],
    ['a million empty links', Buffer.from([0x6a, 0x00]), `${SPAN}.links`, 'links'],
  ])('refuses %s in one span with 400, naming the list and the bound', async (_, unit, field, what) => {
    const body = oneSpanOf(unit);
    expect(body.length).toBeGreaterThan(LIMIT - 1024);
    const message = refused(await otlp(body), 'too_many_entries', field);
    expect(message).toBe(
      `holds more than ${many} ${what}; at most ${LIVE_LIMITS.maxAttributesPerSpan} are read and ${many} accepted (lower the exporter's span limits)`,
    );
  });

  it('refuses a million array values, and nesting past the depth, in one attribute', async () => {
    const array = len(5, fill(Buffer.from([0x0a, 0x00]), LIMIT - 300));
    const attribute = len(9, Buffer.concat([len(1, Buffer.from('a')), len(2, array)]));
    refused(
      await otlp(request([attribute])),
      'too_many_entries',
      `${SPAN}.attributes[0].value.arrayValue.values`,
    );

    let deep = len(1, Buffer.from('leaf'));
    for (let i = 0; i < 2_000; i++) {
      deep = len(6, len(1, Buffer.concat([len(1, Buffer.from('k')), len(2, deep)]))); // kvlist { values: [k: deep] }
    }
    const message = refused(
      await otlp(
        request([
          Buffer.concat([spanHead(), len(9, Buffer.concat([len(1, Buffer.from('a')), len(2, deep)]))]),
        ]),
      ),
      'too_deep',
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[1\]\.value(\.kvlistValue\.values\[0\]\.value)+$/,
    );
    expect(message).toContain(`more than ${LIVE_LIMITS.maxValueDepth} levels deep`);
  });

  it('refuses attributes spread over many spans past the bound on the whole request, and a gzip of a million of them', async () => {
    const perSpan = Buffer.concat([spanHead(), fill(Buffer.from([0x4a, 0x00]), 2 * (many - 1))]);
    const spans = Array.from({ length: Math.ceil(OTLP_WIRE_LIMITS.maxValues / many) + 1 }, () => perSpan);
    const message = refused(
      await otlp(request(spans)),
      'too_many_values',
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[\d+\]\.attributes\[\d+\]$/,
    );
    expect(message).toContain(
      `past ${OTLP_WIRE_LIMITS.maxValues} attributes, array values, events and links`,
    );
    expect(message).toContain('send smaller batches');

    const bomb = gzipSync(oneSpanOf(Buffer.from([0x4a, 0x00])));
    expect(bomb.length).toBeLessThan(LIMIT / 100);
    refused(await otlp(bomb).set('Content-Encoding', 'gzip'), 'too_many_entries', `${SPAN}.attributes`);
  });

  it('refuses repeated and unknown fields past the bound on fields, and malformed wire data, with 400', async () => {
    // Status (field 15) again and again: one object to the decoder, but two million decodes.
    const fields = refused(await otlp(oneSpanOf(Buffer.from([0x7a, 0x00]))), 'too_many_fields', SPAN);
    expect(fields).toContain(`more than ${OTLP_WIRE_LIMITS.maxFields} protobuf fields`);
    refused(await otlp(oneSpanOf(Buffer.from([0x20, 0x00]))), 'too_many_fields', SPAN); // kind, unread

    const body = request([spanHead()]);
    refused(await otlp(body.subarray(0, body.length - 3)), 'invalid_protobuf', '(body)');
    const truncated = refused(
      await otlp(request([Buffer.concat([spanHead(), Buffer.from([0x20, 0xff])])])),
      'invalid_protobuf',
      SPAN,
    );
    expect(truncated).toBe('is not valid protobuf: it ends in the middle of a varint');
    const wrongType = refused(
      await otlp(request([Buffer.concat([spanHead(), Buffer.from([0x48, 0x01])])])),
      'invalid_protobuf',
      SPAN,
    );
    expect(wrongType).toBe('is not valid OTLP: field 9 has wire type 0, not the one OTLP gives it');
    expect(await stored()).toBe(0);
  });

  it('refuses more spans than a request may carry with 413 before decoding them', async () => {
    const spans = Array.from({ length: LIVE_LIMITS.maxSpansPerRequest + 1 }, () => Buffer.alloc(0));
    const response = await otlp(request(spans));
    expect(response.status).toBe(413);
    expect((response.body as Problem).errors).toEqual([
      expect.objectContaining({ field: 'resourceSpans', code: 'too_many_spans' }),
    ]);
    expect((response.body as Problem).detail).toContain(`at most ${LIVE_LIMITS.maxSpansPerRequest}`);
  });

  it('refuses a million `{}` in JSON before parsing, on the OTLP and the live JSON routes', async () => {
    const objects = (prefix: string) =>
      Buffer.from(`{"${prefix}":[${'{},'.repeat(Math.floor((LIMIT - 100) / 3))}{}]}`);
    const otlpMessage = refused(
      await otlp(objects('resourceSpans'), 'application/json'),
      'too_many_values',
      '(body)',
    );
    expect(otlpMessage).toContain(
      `more than ${JSON_INGEST_LIMITS.maxOtlpContainers} JSON objects and arrays`,
    );
    const live = refused(
      await send('/v1/live/interactions', objects('interactions'), 'application/json'),
      'too_many_values',
      '(body)',
    );
    expect(live).toContain(`send at most ${LIVE_LIMITS.maxSpansPerRequest} interactions`);
    refused(
      await send('/v1/live/feedback', objects('events'), 'application/json'),
      'too_many_values',
      '(body)',
    );
    refused(
      await send('/v1/live/heartbeat', objects('configHash'), 'application/json'),
      'too_many_values',
      '(body)',
    );
    expect(await stored()).toBe(0);
  });

  it('still ingests a real SDK batch, protobuf and JSON, gzip or not', async () => {
    const protobuf = Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans(200)) as Uint8Array);
    await otlp(protobuf).expect(200);
    await otlp(gzipSync(protobuf)).set('Content-Encoding', 'gzip').expect(200);
    const json = Buffer.from(JsonTraceSerializer.serializeRequest(sdkSpans(50)) as Uint8Array);
    await otlp(json, 'application/json').expect(200);
    expect(await stored()).toBe(250);
  });
});
