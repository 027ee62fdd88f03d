import request from 'supertest';
import { type TestApi } from './test-api';

/** A browser-like client: a signed-in session cookie, and the CSRF token its forms carry. */
export interface WebClient {
  agent: ReturnType<typeof request.agent>;
  /** The session's CSRF token (read from the last page rendered). */
  csrf: () => string;
  get: (url: string) => Promise<request.Response>;
  /** Posts a form (application/x-www-form-urlencoded) with the session's CSRF token added. */
  post: (url: string, form?: Record<string, string | string[]>) => Promise<request.Response>;
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** Signs in through the sign-in form with an API token and returns the client. */
export async function signIn(api: TestApi, token: string): Promise<WebClient> {
  const agent = request.agent(api.app.getHttpServer());
  const form = await agent.get('/sign-in').expect(200);
  const preCsrf = csrfIn(form.text);
  if (!preCsrf) {
    throw new Error('the sign-in page has no CSRF field');
  }
  await agent
    .post('/sign-in')
    .type('form')
    .send({ _csrf: preCsrf, token, next: '/ai-use-cases' })
    .expect(303);
  let csrf = '';
  const remember = (response: request.Response) => {
    csrf = csrfIn(response.text ?? '') ?? csrf;
    return response;
  };
  remember(await agent.get('/ai-use-cases'));
  return {
    agent,
    csrf: () => csrf,
    get: async (url) => remember(await agent.get(url)),
    post: async (url, form = {}) =>
      remember(
        await agent
          .post(url)
          .type('form')
          .send({ _csrf: csrf, ...form }),
      ),
  };
}
