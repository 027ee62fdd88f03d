import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../../../..');
const execFileAsync = promisify(execFile);

/**
 * A Node service's tracing, as docs/live-ingest.md shows it: the OpenTelemetry SDK with a BatchSpanProcessor
 * and the OTLP/HTTP exporter (protobuf or JSON), the ingest token as a bearer header. It prints what each
 * export reported and the ids of the spans it made.
 */
const SDK_EXPORT_SCRIPT = `
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { SpanStatusCode } = require('@opentelemetry/api');
const input = JSON.parse(process.env.OTEL_TEST_INPUT);
const { OTLPTraceExporter } = require(input.protocol === 'proto'
  ? '@opentelemetry/exporter-trace-otlp-proto'
  : '@opentelemetry/exporter-trace-otlp-http');
const inner = new OTLPTraceExporter({
  url: input.url,
  headers: { Authorization: 'Bearer ' + input.token },
  compression: input.compression,
});
const results = [];
const exporter = {
  export(spans, done) {
    inner.export(spans, (result) => {
      results.push({ code: result.code, error: result.error ? String(result.error.message) : null });
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush(),
};
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes(input.resource),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer('benefits-assistant');
const made = [];
for (const s of input.spans) {
  const options = { attributes: s.attributes };
  if (s.startTime !== undefined) options.startTime = new Date(s.startTime);
  const span = tracer.startSpan(s.name, options);
  if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
  span.end(s.endTime !== undefined ? new Date(s.endTime) : undefined);
  made.push({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
}
provider.forceFlush()
  .then(() => provider.shutdown())
  .then(() => process.stdout.write(JSON.stringify({ results, spans: made })), (error) => { console.error(error); process.exit(1); });
`;

/** A span the service makes: its name, attributes, optional times (ms since the epoch) and error status. */
export interface SdkSpan {
  name: string;
  attributes: Record<string, string | number | boolean>;
  startTime?: number;
  endTime?: number;
  error?: boolean;
}

export interface SdkExport {
  /** What each export reported (code 0: success). */
  results: { code: number; error: string | null }[];
  /** The ids the SDK gave the spans, in the order given. */
  spans: { traceId: string; spanId: string }[];
}

/**
 * Sends `spans` through the real OpenTelemetry SDK and OTLP/HTTP exporter of `protocol` to `url`, with
 * `resource` as the service's resource, in a process of its own (the exporters load node:http by dynamic
 * import, which Jest's module system cannot).
 */
export async function exportWithOtelSdk(input: {
  url: string;
  token: string;
  protocol: 'proto' | 'json';
  resource: Record<string, string>;
  spans: SdkSpan[];
  compression?: 'gzip' | 'none';
}): Promise<SdkExport> {
  const { stdout } = await execFileAsync(process.execPath, ['-e', SDK_EXPORT_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, OTEL_TEST_INPUT: JSON.stringify({ compression: 'none', ...input }) },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as SdkExport;
}
