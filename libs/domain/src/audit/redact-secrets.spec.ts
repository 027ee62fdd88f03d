import { redactSecretText } from './redact-secrets';

describe('redactSecretText', () => {
  it.each([
    ['Incorrect API key provided: sk-proj-abc123***wxyz.', 'Incorrect API key provided: [redacted].'],
    ['Incorrect API key provided.', 'Incorrect API key provided.'],
    ['Authorization: Bearer abcdefgh12345678', 'Authorization: [redacted]'],
    ['sent x-api-key: s3cr3t-value, got 403', 'sent x-api-key: [redacted], got 403'],
    ['url?api_key=abc123&x=1', 'url?api_key=[redacted]&x=1'],
    ['token="tok_live_9f8e7d"', 'token=[redacted]"'],
    ['header Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'header Bearer [redacted]'],
    ['signature a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6 rejected', 'signature [redacted] rejected'],
    ['Your API key is invalid', 'Your API key is invalid'],
    [
      'connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
      'connection failed: nothing listening on 127.0.0.1:4199 (ECONNREFUSED)',
    ],
    [
      'The model `gpt-4o-mini-2024-07-18` does not exist',
      'The model `gpt-4o-mini-2024-07-18` does not exist',
    ],
  ])('%s', (input, expected) => {
    expect(redactSecretText(input)).toBe(expected);
  });
});
