import { EvalsError } from '../evals-error';
import { joinPath } from './http.target';

describe('joinPath (a connection’s base URL and a target’s path)', () => {
  it.each([
    ['https://svc.example/api', '/answer', 'https://svc.example/api/answer'],
    ['https://svc.example/api/', '/answer?v=2', 'https://svc.example/api/answer?v=2'],
    ['https://svc.example', '/v1/answer', 'https://svc.example/v1/answer'],
    ['https://svc.example/api', undefined, 'https://svc.example/api'],
    // Two slashes stay a path on the same host, never a new origin.
    ['https://svc.example/api', '//evil.example/x', 'https://svc.example/api//evil.example/x'],
  ])('%s + %s', (base, path, expected) => {
    expect(joinPath(base, path)).toBe(expected);
  });

  it.each(['/%2e%2e/admin', '/../admin', '/a/../../admin', '/%2E%2E'])(
    'refuses %s, which leaves the base path or the origin once parsed',
    (path) => {
      expect(() => joinPath('https://svc.example/teams/alpha', path)).toThrow(EvalsError);
    },
  );
});
