import { Agent, type Dispatcher, request } from 'undici';

/**
 * A `fetch` for the model SDKs (the `openai` client's `fetch` option) over undici's `request`.
 *
 * Node's built-in fetch wraps every call in WHATWG streams, a Request and a Response object; at a few
 * hundred calls a second that was about half of a worker's CPU (see docs/benchmarks.md, queue benchmark). Model
 * calls are small JSON requests with small JSON answers, so this sends the body as one buffer and reads
 * the whole answer before resolving, and hands the SDK an object with the parts of `Response` it uses
 * (`ok`, `status`, `headers`, `url`, `json()`, `text()`). Anything it does not handle (a streamed or
 * multipart body, a non-HTTP URL) goes to the global fetch unchanged.
 *
 * Cancellation and timeouts keep their meaning: the SDK's abort signal is passed to undici, which fails
 * the call with an `AbortError` as fetch does. Connection failures surface as errors whose message names
 * the cause (ECONNREFUSED, socket closed…), which the SDK turns into its connection error.
 */

/** One connection pool per process: keep-alive, no cap on sockets per origin (the runner caps calls). */
const defaultDispatcher = new Agent({ keepAliveTimeout: 10_000, connections: null, pipelining: 1 });

/** The largest answer a target may give unless configured otherwise (GATEHOUSE_MAX_TARGET_RESPONSE_BYTES). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/** An answer over the cap; the call fails with `response_too_large` and the rest is never read. */
export class ResponseTooLargeError extends Error {
  readonly code = 'RESPONSE_TOO_LARGE';

  constructor(readonly limit: number) {
    super(`the answer is larger than the limit of ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

class LightResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly body = null;
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly type = 'basic';

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
    private readonly content: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  text(): Promise<string> {
    return Promise.resolve(this.content);
  }

  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.content) as unknown);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function headerList(headers: HeadersInit | undefined): string[] {
  if (!headers) {
    return [];
  }
  const flat: string[] = [];
  const entries =
    headers instanceof Headers || Array.isArray(headers)
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers);
  for (const [name, value] of entries) {
    flat.push(name, value);
  }
  return flat;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) {
      for (const one of value) {
        headers.append(name, one);
      }
    } else if (value !== undefined) {
      headers.append(name, value);
    }
  }
  return headers;
}

function handles(url: string, body: BodyInit | null | undefined): boolean {
  return (
    (url.startsWith('http://') || url.startsWith('https://')) &&
    (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array)
  );
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      // Leaving the loop destroys the stream: the rest of the answer is never read.
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

/**
 * A fetch over `dispatcher` that reads at most `maxResponseBytes` of an answer. On the platform the
 * dispatcher is the egress-checked one (egress.ts); redirects are never followed (undici's `request`
 * returns them as they are). Anything this does not handle is refused there instead of reaching the
 * global fetch, which would bypass both checks.
 */
export function createLightFetch(
  options: { dispatcher?: Dispatcher; maxResponseBytes?: number; strict?: boolean } = {},
): FetchLike {
  const dispatcher = options.dispatcher ?? defaultDispatcher;
  const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    if (url === undefined || !handles(url, init?.body)) {
      if (options.strict) {
        throw new Error('only http(s) requests with a text body can be sent from the platform');
      }
      return fetch(input, init);
    }
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const answer = await request(url, {
      dispatcher,
      method: (init?.method ?? 'GET').toUpperCase() as 'GET',
      headers: headerList(init?.headers),
      body: (init?.body as string | Uint8Array | null | undefined) ?? null,
      signal,
    });
    const declared = Number(answer.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      answer.body.on('error', () => undefined).destroy();
      throw new ResponseTooLargeError(limit);
    }
    // Read the whole answer here: the connection goes back to the pool before the SDK sees the response.
    const content = await readCapped(answer.body, limit);
    return new LightResponse(
      url,
      answer.statusCode,
      responseHeaders(answer.headers),
      content,
    ) as unknown as Response;
  };
}

/** Same signature as the global fetch, so it can be given wherever one is accepted (the default cap). */
export const lightFetch: FetchLike = createLightFetch();
