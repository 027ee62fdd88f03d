import { classifyError, TargetError } from './target';

/** What the openai SDK throws when fetch fails: "Connection error." with the system error as its cause. */
function connectionError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error('Connection error.'), {
    cause: Object.assign(new Error(String(cause.message)), cause),
  });
}

describe('classifyError', () => {
  it.each([
    [
      'the SDK wrapping ECONNREFUSED names host, port and code; tried twice',
      connectionError({
        message: 'connect ECONNREFUSED 127.0.0.1:4199',
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 4199,
      }),
      {
        kind: 'network',
        message: 'connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
        code: 'ECONNREFUSED',
        maxAttempts: 2,
      },
    ],
    [
      'a system error that kept only its message (copied across realms) is still read',
      connectionError({ message: 'connect ECONNREFUSED 127.0.0.1:4199' }),
      {
        kind: 'network',
        message: 'connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
        code: 'ECONNREFUSED',
        maxAttempts: 2,
      },
    ],
    [
      'an AggregateError from trying IPv6 and IPv4 takes the address of its first error',
      connectionError({
        message: '',
        code: 'ECONNREFUSED',
        errors: [
          { code: 'ECONNREFUSED', address: '::1', port: 8080 },
          { code: 'ECONNREFUSED', address: '127.0.0.1', port: 8080 },
        ],
      }),
      {
        kind: 'network',
        message: 'connection failed: nothing listening on [::1]:8080 (ECONNREFUSED)',
        code: 'ECONNREFUSED',
      },
    ],
    [
      'a name that does not resolve is tried once',
      connectionError({
        message: 'getaddrinfo ENOTFOUND api.exmaple.com',
        code: 'ENOTFOUND',
        hostname: 'api.exmaple.com',
      }),
      {
        kind: 'network',
        message: 'name not resolved: api.exmaple.com (ENOTFOUND)',
        code: 'ENOTFOUND',
        maxAttempts: 1,
      },
    ],
    [
      'fetch failed (the global fetch) with a reset connection stays retryable',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('read ECONNRESET'), {
          code: 'ECONNRESET',
          address: '10.0.0.5',
          port: 443,
        }),
      }),
      {
        kind: 'network',
        message: 'connection failed: connection to 10.0.0.5:443 reset (ECONNRESET)',
        code: 'ECONNRESET',
        maxAttempts: undefined,
      },
    ],
    [
      'a code without an address keeps the system message',
      connectionError({ message: 'other side closed', code: 'UND_ERR_SOCKET' }),
      {
        kind: 'network',
        message: 'connection failed: other side closed (UND_ERR_SOCKET)',
        code: 'UND_ERR_SOCKET',
      },
    ],
    [
      'an expired certificate is not retried',
      connectionError({
        message: 'certificate has expired',
        code: 'CERT_HAS_EXPIRED',
        hostname: 'api.example.com',
      }),
      {
        kind: 'network',
        message: 'connection failed: the certificate of api.example.com has expired (CERT_HAS_EXPIRED)',
        maxAttempts: 1,
      },
    ],
    [
      'the egress policy wins over the network codes',
      connectionError({ message: 'api.example.com is not on the allow list', code: 'EGRESS_REFUSED' }),
      {
        kind: 'configuration',
        message: 'refused by the egress policy: api.example.com is not on the allow list',
      },
    ],
    [
      'a 401 from the openai SDK, without the status twice',
      Object.assign(new Error('401 Incorrect API key provided.'), { status: 401 }),
      { kind: 'client_error', message: 'refused (401): Incorrect API key provided.', status: 401 },
    ],
    [
      'a 404 whose message does not start with the status',
      Object.assign(new Error('The model `gpt-5` does not exist'), { status: 404 }),
      { kind: 'client_error', message: 'refused (404): The model `gpt-5` does not exist', status: 404 },
    ],
    [
      'a 429 with Retry-After',
      Object.assign(new Error('429 Rate limit reached'), { status: 429, headers: { 'retry-after': '2' } }),
      { kind: 'rate_limited', message: 'rate limited (429): Rate limit reached', status: 429 },
    ],
    [
      'a 500',
      Object.assign(new Error('500 The server had an error'), { status: 500 }),
      { kind: 'server_error', message: 'server error (500): The server had an error', status: 500 },
    ],
    [
      'a connection error with no cause still reads as network',
      new Error('Connection error.'),
      { kind: 'network', message: 'connection failed: Connection error.' },
    ],
    [
      'a timeout',
      Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' }),
      { kind: 'timeout' },
    ],
    [
      'anything else',
      new Error('unexpected token < in JSON'),
      { kind: 'invalid_response', message: 'unexpected token < in JSON' },
    ],
  ])('%s', (_, error, expected) => {
    const classified = classifyError(error);
    expect(classified).toBeInstanceOf(TargetError);
    const { kind, message, status, code, maxAttempts } = {
      ...classified.details,
      kind: classified.kind,
      message: classified.message,
    };
    const actual: Record<string, unknown> = { kind, message, status, code, maxAttempts };
    for (const key of Object.keys(actual)) {
      if (!(key in expected)) {
        delete actual[key];
      }
    }
    expect(actual).toEqual(expected);
  });

  it('says the run was cancelled when its signal aborted, whatever was thrown', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyError(new Error('Connection error.'), controller.signal).kind).toBe('cancelled');
  });

  it('does not mistake an inherited property name for a system code', () => {
    expect(classifyError(connectionError({ message: 'odd', code: 'toString' })).kind).toBe('network');
    expect(classifyError(connectionError({ message: 'odd', code: 'toString' })).details.code).toBeUndefined();
  });
});
