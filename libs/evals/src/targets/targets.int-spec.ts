import { type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatasetItem } from '../datasets/dataset-item';
import { HttpTarget } from './http.target';
import { lightFetch } from './light-fetch';
import { LangChainTarget } from './langchain.target';
import { OpenAiTarget } from './openai.target';
import { callWithRetries, DEFAULT_RETRY_POLICY, isFailure, type RetryPolicy } from './retry';
import { type Target, type TargetRequest } from './target';
import { type TargetContext } from './target-context';

const item: DatasetItem = { id: 'q1', input: 'How do I renew my passport?', metadata: { region: 'wales' } };
const request: TargetRequest = {
  messages: [
    { role: 'system', content: 'You answer questions about UK public services.' },
    { role: 'user', content: 'How do I renew my passport?' },
  ],
  prompt: 'How do I renew my passport?',
  item,
  epoch: 1,
};
const fast: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };

describe('model targets over real HTTP against a local OpenAI-compatible server', () => {
  let stub: OpenAiStub;
  let dir: string;
  let context: TargetContext;

  beforeEach(async () => {
    stub = await startOpenAiStub({
      respond: (body) => `Answer to: ${body.messages.at(-1)?.content}`,
      apiKey: 'sk-test',
    });
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-targets-'));
    context = { env: { OPENAI_API_KEY: 'sk-test' }, baseDir: dir, cassetteDir: dir };
  });

  afterEach(async () => {
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const targets: [string, () => Target][] = [
    [
      'openai SDK',
      () =>
        new OpenAiTarget(
          {
            model: 'gpt-4o-mini',
            baseUrl: stub.url,
            apiKeyEnv: 'OPENAI_API_KEY',
            temperature: 0,
            seed: 7,
            maxTokens: 50,
          },
          context,
        ),
    ],
    [
      'LangChain ChatOpenAI',
      () =>
        new LangChainTarget(
          {
            model: 'gpt-4o-mini',
            baseUrl: stub.url,
            apiKeyEnv: 'OPENAI_API_KEY',
            export: 'default',
            temperature: 0,
            maxTokens: 50,
          },
          context,
        ),
    ],
  ];

  describe.each(targets)('%s', (_name, make) => {
    it('sends the chat and returns the answer with token usage', async () => {
      const outcome = await callWithRetries(make(), request, fast, new AbortController().signal);
      expect(isFailure(outcome)).toBe(false);
      expect(outcome).toMatchObject({
        attempts: 1,
        response: {
          output: 'Answer to: How do I renew my passport?',
          inputTokens: expect.any(Number),
          outputTokens: expect.any(Number),
        },
      });
      expect(stub.lastBodies[0]).toMatchObject({
        model: 'gpt-4o-mini',
        temperature: 0,
        messages: request.messages,
      });
    });

    it('waits for Retry-After on 429 and succeeds, counting the wait apart from provider latency', async () => {
      stub.setOptions({ failFirst: { status: 429, count: 2, retryAfterSeconds: 0.2 }, latencyMs: 30 });
      const started = performance.now();
      const outcome = await callWithRetries(make(), request, fast, new AbortController().signal);
      const elapsed = performance.now() - started;
      expect(outcome).toMatchObject({
        attempts: 3,
        retryWaitMs: expect.any(Number),
        latencyMs: expect.any(Number),
      });
      const { retryWaitMs, latencyMs } = outcome as { retryWaitMs: number; latencyMs: number };
      expect(retryWaitMs).toBeGreaterThanOrEqual(400);
      expect(latencyMs).toBeLessThan(200);
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(stub.faults.rateLimited).toBe(2);
    });

    it('retries 500s with backoff, then gives up with the reason', async () => {
      stub.setOptions({ serverErrorRate: 1 });
      const outcome = await callWithRetries(
        make(),
        request,
        { ...fast, maxAttempts: 3 },
        new AbortController().signal,
      );
      expect(outcome).toMatchObject({ attempts: 3, error: { kind: 'server_error', retryable: true } });
      expect(stub.faults.serverErrors).toBe(3);
    });

    it('times out a call that never answers, per attempt', async () => {
      stub.setOptions({ hangRate: 1 });
      const outcome = await callWithRetries(
        make(),
        request,
        { ...fast, timeoutMs: 150, maxAttempts: 2 },
        new AbortController().signal,
      );
      expect(outcome).toMatchObject({ attempts: 2, error: { kind: 'timeout' } });
      expect(stub.faults.hung).toBe(2);
    });

    it('does not retry a refused request (401)', async () => {
      context.env.OPENAI_API_KEY = 'sk-wrong';
      const outcome = await callWithRetries(make(), request, fast, new AbortController().signal);
      expect(outcome).toMatchObject({
        attempts: 1,
        error: { kind: 'client_error', retryable: false, details: { status: 401 } },
      });
    });

    it('stops at once when the run is cancelled', async () => {
      stub.setOptions({ latencyMs: 2_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const outcome = await callWithRetries(make(), request, fast, controller.signal);
      expect(outcome).toMatchObject({ error: { kind: 'cancelled' } });
    });
  });

  it('loads a team Runnable from a module and passes it the item', async () => {
    const moduleContext = { ...context, baseDir: join(__dirname, '__fixtures__') };
    const target = new LangChainTarget(
      { module: './region-chain.js', export: 'chain', apiKeyEnv: 'OPENAI_API_KEY' },
      moduleContext,
    );
    const outcome = await callWithRetries(target, request, fast, new AbortController().signal);
    expect(outcome).toMatchObject({ response: { output: '[wales] How do I renew my passport?' } });
    expect(
      () =>
        new LangChainTarget(
          { module: './region-chain.js', export: 'missing', apiKeyEnv: 'OPENAI_API_KEY' },
          moduleContext,
        ),
    ).toThrow('is not a LangChain Runnable');
    expect(
      () =>
        new LangChainTarget(
          { module: './nope.js', export: 'chain', apiKeyEnv: 'OPENAI_API_KEY' },
          moduleContext,
        ),
    ).toThrow('cannot load the LangChain module');
  });
});

describe('lightFetch: the openai target fetches over undici', () => {
  let server: Server;
  let base: string;
  let seen: { method?: string; headers: Record<string, unknown>; body: string }[];

  beforeAll(async () => {
    seen = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body });
        if (req.url === '/empty') {
          res.writeHead(204).end();
          return;
        }
        res.setHeader('x-request-id', 'req-1');
        res.setHeader('x-many', ['a', 'b']);
        res.writeHead(req.url === '/limited' ? 429 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path: req.url, body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, headers and body, and gives back status, every header and the body', async () => {
    const response = await lightFetch(`${base}/chat`, {
      method: 'post',
      headers: new Headers({ authorization: 'Bearer sk-test', 'content-type': 'application/json' }),
      body: '{"q":"Ble mae fy mhasbort? – £20"}',
    });
    expect(response).toMatchObject({ ok: true, status: 200, url: `${base}/chat` });
    expect(response.headers.get('x-request-id')).toBe('req-1');
    expect(response.headers.get('x-many')).toBe('a, b');
    expect(await response.json()).toEqual({ path: '/chat', body: '{"q":"Ble mae fy mhasbort? – £20"}' });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
    });
  });

  it('reports a refusal as not ok with its status, and an empty answer as empty text', async () => {
    const limited = await lightFetch(`${base}/limited`, { method: 'POST', body: '{}' });
    expect({ ok: limited.ok, status: limited.status }).toEqual({ ok: false, status: 429 });
    const empty = await lightFetch(`${base}/empty`);
    expect({ status: empty.status, text: await empty.text() }).toEqual({ status: 204, text: '' });
  });

  it('hands bodies it does not send itself (a form) to the global fetch', async () => {
    const response = await lightFetch(`${base}/form`, {
      method: 'POST',
      body: new URLSearchParams({ a: '1' }),
    });
    expect(await response.json()).toEqual({ path: '/form', body: 'a=1' });
    expect(seen.at(-1)?.headers['content-type']).toContain('application/x-www-form-urlencoded');
  });

  it('fails as fetch does when aborted, and names the cause when nobody listens', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(lightFetch(`${base}/chat`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(lightFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('makes a refused connection a retryable network error for the openai target', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const target = new OpenAiTarget(
      { model: 'gpt-4o-mini', baseUrl: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'KEY' },
      { env: { KEY: 'sk-test' }, baseDir: '.', cassetteDir: '.' },
    );
    const outcome = await callWithRetries(
      target,
      request,
      { ...fast, maxAttempts: 2 },
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ attempts: 2, error: { kind: 'network', retryable: true } });
  });
});

describe('the http target', () => {
  let server: Server;
  let url: string;
  let seen: { headers: Record<string, unknown>; body: unknown }[];
  let status = 200;

  beforeAll(async () => {
    seen = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(status === 429 ? { 'retry-after': '0' } : {}),
        });
        res.end(
          JSON.stringify({
            result: { answers: [{ text: `You asked: ${(JSON.parse(body) as { q: string }).q}` }] },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ask`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const target = () =>
    new HttpTarget(
      {
        url,
        method: 'POST',
        headers: { Authorization: 'Bearer ${SERVICE_TOKEN}' },
        body: { q: '{{input}}', region: '{{metadata.region}}', n: 1 },
        answerPath: '$.result.answers[0].text',
      },
      { env: { SERVICE_TOKEN: 'secret-service-token' }, baseDir: '.', cassetteDir: '.' },
    );

  it('builds the request from the template, reads the answer by JSON path, and keeps secrets out of its description', async () => {
    status = 200;
    const t = target();
    const outcome = await callWithRetries(t, request, fast, new AbortController().signal);
    expect(outcome).toMatchObject({ response: { output: 'You asked: How do I renew my passport?' } });
    expect(seen.at(-1)).toMatchObject({
      headers: { authorization: 'Bearer secret-service-token' },
      body: { q: 'How do I renew my passport?', region: 'wales', n: 1 },
    });
    expect(JSON.stringify([t.description, t.fingerprint])).not.toContain('secret-service-token');
  });

  it('classifies 429 and 5xx for the retry policy', async () => {
    status = 429;
    expect(
      await callWithRetries(target(), request, { ...fast, maxAttempts: 2 }, new AbortController().signal),
    ).toMatchObject({ attempts: 2, error: { kind: 'rate_limited' } });
    status = 503;
    expect(
      await callWithRetries(target(), request, { ...fast, maxAttempts: 2 }, new AbortController().signal),
    ).toMatchObject({ error: { kind: 'server_error' } });
  });

  it('refuses to start without the environment variables its headers need', () => {
    expect(
      () =>
        new HttpTarget(
          {
            url,
            method: 'POST',
            headers: { Authorization: 'Bearer ${MISSING_TOKEN}' },
            body: {},
            answerPath: '$.a',
          },
          { env: {}, baseDir: '.', cassetteDir: '.' },
        ),
    ).toThrow('MISSING_TOKEN');
  });
});
