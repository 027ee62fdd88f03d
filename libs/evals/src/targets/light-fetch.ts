import { Agent, request } from 'undici';

/**
 * A `fetch` for the model SDKs (the `openai` client's `fetch` option) over undici's `request`.
 *
 * Node's built-in fetch wraps every call in WHATWG streams, a Request and a Response object; at a few
 * hundred calls a second that was about half of a worker's CPU (see the README's queue benchmark). Model
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
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: null, pipelining: 1 });

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

/** Same signature as the global fetch, so it can be given wherever one is accepted. */
export async function lightFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
  if (url === undefined || !handles(url, init?.body)) {
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
  // Read the whole answer here: the connection goes back to the pool before the SDK sees the response.
  const content = await answer.body.text();
  return new LightResponse(
    url,
    answer.statusCode,
    responseHeaders(answer.headers),
    content,
  ) as unknown as Response;
}
