import { type Request } from 'express';
import { cookieOptions } from './web-session';

describe('cookieOptions', () => {
  const req = (secure: boolean) => ({ secure }) as Request;

  it.each<[string, boolean, string, boolean]>([
    ['plain HTTP, http public URL', false, 'http://localhost:3000', false],
    ['HTTPS (directly or through a trusted proxy)', true, 'http://localhost:3000', true],
    ['an https public URL (TLS ends at a proxy)', false, 'https://gatehouse.example.gov.uk', true],
  ])('%s → Secure %s', (_name, secure, publicUrl, expected) => {
    expect(cookieOptions(req(secure), publicUrl)).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      secure: expected,
      path: '/',
    });
  });

  it('adds the lifetime when given', () => {
    expect(cookieOptions(req(false), 'http://localhost', 60_000)).toMatchObject({ maxAge: 60_000 });
  });
});
