import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface StubChatMessage {
  role: string;
  content: string;
}

export interface StubRequestBody {
  model: string;
  messages: StubChatMessage[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
  [key: string]: unknown;
}

export interface OpenAiStubOptions {
  /** Milliseconds before answering (a function for varying latency). */
  latencyMs?: number | (() => number);
  /** The assistant's reply; by default it echoes the last user message. */
  respond?: (body: StubRequestBody) => string;
  /** Share of calls answered 429 with `Retry-After: retryAfterSeconds` (seeded, reproducible). */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of calls answered 500. */
  serverErrorRate?: number;
  /** Share of calls that never answer (until the client gives up). */
  hangRate?: number;
  /** Deterministic faults for the first N calls, applied before the rates. */
  failFirst?: { status: 429 | 500 | 503; count: number; retryAfterSeconds?: number };
  seed?: number;
  /** The bearer token callers must send (default: any). */
  apiKey?: string;
}

export interface OpenAiStub {
  /** Base URL for OpenAI clients, ending in /v1. */
  url: string;
  /** Successful completions served. */
  completions: number;
  /** Every request received, including faulted ones. */
  requests: number;
  faults: { rateLimited: number; serverErrors: number; hung: number };
  /** The last bodies received (up to 50), for assertions. */
  lastBodies: StubRequestBody[];
  setOptions(options: Partial<OpenAiStubOptions>): void;
  /**
   * Back to the options it was started with (latency, replies, faults, seed), so no test inherits another's;
   * the counters keep counting.
   */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A local OpenAI-compatible chat completions server for tests and benchmarks: configurable latency and
 * replies, and injectable 429 (with Retry-After), 500 and hanging calls. No test reaches the internet.
 */
export async function startOpenAiStub(initial: OpenAiStubOptions = {}): Promise<OpenAiStub> {
  let options: OpenAiStubOptions = { ...initial };
  let random = mulberry32(options.seed ?? 7);
  const sockets = new Set<import('node:net').Socket>();
  const hanging = new Set<ServerResponse>();
  const stub: OpenAiStub = {
    url: '',
    completions: 0,
    requests: 0,
    faults: { rateLimited: 0, serverErrors: 0, hung: 0 },
    lastBodies: [],
    setOptions(next) {
      options = { ...options, ...next };
      if (next.seed !== undefined) {
        random = mulberry32(next.seed);
      }
    },
    reset() {
      options = { ...initial };
      random = mulberry32(options.seed ?? 7);
    },
    close: () => closeServer(server, sockets, hanging),
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return send(res, 404, {
        error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' },
      });
    }
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(res, 401, {
        error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' },
      });
    }
    stub.requests += 1;
    let parsed: StubRequestBody;
    try {
      parsed = JSON.parse(body) as StubRequestBody;
    } catch {
      return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    stub.lastBodies.push(parsed);
    if (stub.lastBodies.length > 50) {
      stub.lastBodies.shift();
    }
    const first = options.failFirst;
    if (first && stub.requests <= first.count) {
      if (first.status === 429) {
        stub.faults.rateLimited += 1;
        return send(
          res,
          429,
          { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
          { 'retry-after': String(first.retryAfterSeconds ?? 0) },
        );
      }
      stub.faults.serverErrors += 1;
      return send(res, first.status, { error: { message: 'The server had an error', type: 'server_error' } });
    }
    const roll = random();
    const rateLimit = options.rateLimitRate ?? 0;
    const serverError = options.serverErrorRate ?? 0;
    const hang = options.hangRate ?? 0;
    if (roll < rateLimit) {
      stub.faults.rateLimited += 1;
      return send(
        res,
        429,
        { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
        { 'retry-after': String(options.retryAfterSeconds ?? 1) },
      );
    }
    if (roll < rateLimit + serverError) {
      stub.faults.serverErrors += 1;
      return send(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
    }
    if (roll < rateLimit + serverError + hang) {
      stub.faults.hung += 1;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const latency = typeof options.latencyMs === 'function' ? options.latencyMs() : (options.latencyMs ?? 0);
    if (latency > 0) {
      // A client that gives up (timeout, cancel) closes the connection: stop waiting for it too.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, latency);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed) {
        return;
      }
    }
    const content = options.respond
      ? options.respond(parsed)
      : (parsed.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '');
    stub.completions += 1;
    const promptTokens = Math.ceil(parsed.messages.reduce((n, m) => n + String(m.content).length, 0) / 4);
    const completionTokens = Math.ceil(content.length / 4);
    send(res, 200, {
      id: `chatcmpl-stub-${stub.completions}`,
      object: 'chat.completion',
      created: 1_764_000_000,
      model: parsed.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return stub;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function closeServer(
  server: Server,
  sockets: Set<import('node:net').Socket>,
  hanging: Set<ServerResponse>,
): Promise<void> {
  for (const res of hanging) {
    res.destroy();
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) {
    socket.destroy();
  }
  await closed;
}

/** A small seeded PRNG so injected faults are reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
