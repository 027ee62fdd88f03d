/**
 * A browser without a browser for identity-provider sign-ins: fetch with manual redirects and a cookie jar
 * per origin (paths and expiry beyond deletion are not modelled: a test's jar lives for one journey).
 */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  header(url: string): string {
    const jar = this.jars.get(new URL(url).origin);
    return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }

  get(origin: string, name: string): string | undefined {
    return this.jars.get(new URL(origin).origin)?.get(name);
  }

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some(
        (a) =>
          /^\s*max-age=(0|-\d+)\s*$/i.test(a) ||
          (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now()),
      );
      if (expired || value === '') {
        jar.delete(name);
      } else {
        jar.set(name, value);
      }
    }
  }

  /** One request, no redirect followed, cookies sent and kept. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) {
      headers.set('cookie', cookie);
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}

const location = (response: Response, base: string): string => {
  const target = response.headers.get('location');
  if (response.status < 300 || response.status > 399 || !target) {
    throw new Error(`expected a redirect from ${base}, got ${response.status}`);
  }
  return new URL(target, base).href;
};

/** Asks Gatehouse to start a sign-in; answers the provider's authorisation URL it redirects to. */
export async function startOidcSignIn(
  gatehouseUrl: string,
  jar: CookieJar,
  next = '/ai-use-cases',
): Promise<string> {
  const url = `${gatehouseUrl}/sign-in/oidc?next=${encodeURIComponent(next)}`;
  return location(await jar.fetch(url), url);
}

/**
 * Follows the provider's authorisation URL, signs in with `login` on its form (or cancels), and answers
 * the URL the provider sends the browser back to (Gatehouse's callback), without following it.
 */
export async function authenticateAtProvider(
  authorizeUrl: string,
  jar: CookieJar,
  login: string | { cancel: true },
): Promise<string> {
  let url = authorizeUrl;
  const issuerOrigin = new URL(authorizeUrl).origin;
  for (let hop = 0; hop < 10; hop++) {
    const response = await jar.fetch(url);
    if (response.status === 200 && /\/interaction\//.test(url)) {
      await response.text();
      const submit = typeof login === 'string' ? url : `${url}/abort`;
      const posted = await jar.fetch(submit, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: typeof login === 'string' ? new URLSearchParams({ login }).toString() : '',
      });
      if (posted.status === 400) {
        throw new Error(`the test provider refused the login: ${await posted.text()}`);
      }
      url = location(posted, submit);
    } else {
      url = location(response, url);
    }
    if (new URL(url).origin !== issuerOrigin) {
      return url;
    }
  }
  throw new Error('the provider did not send the browser back after 10 redirects');
}

/** Delivers the provider's answer to Gatehouse's callback; the response and the session cookie, if any. */
export async function finishOidcSignIn(
  callbackUrl: string,
  jar: CookieJar,
): Promise<{ response: Response; sessionCookie: string | undefined; body: string }> {
  const response = await jar.fetch(callbackUrl);
  const body = await response.text();
  return { response, sessionCookie: jar.get(callbackUrl, 'gh_session'), body };
}

/**
 * The whole browser journey: start at Gatehouse, sign in at the provider as `login`, come back. Answers the
 * Gatehouse session cookie's value (undefined when refused), the last response and the jar.
 */
export async function signInThroughProvider(options: {
  gatehouseUrl: string;
  login: string;
  next?: string;
  jar?: CookieJar;
}): Promise<{ sessionCookie: string | undefined; response: Response; body: string; jar: CookieJar }> {
  const jar = options.jar ?? new CookieJar();
  const authorizeUrl = await startOidcSignIn(options.gatehouseUrl, jar, options.next);
  const callbackUrl = await authenticateAtProvider(authorizeUrl, jar, options.login);
  return { ...(await finishOidcSignIn(callbackUrl, jar)), jar };
}
