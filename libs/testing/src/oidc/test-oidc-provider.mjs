// A real OpenID provider for tests (the certified `oidc-provider` package), run as a child process because
// it ships only ES modules. Started by startTestOidcProvider() in test-oidc-provider.ts, which reads the
// first line this prints: {"port":…,"adminToken":…}.
//
// Options (JSON in argv[2]): { clients: ClientMetadata[], idTokenTtlSeconds?: number }.
// Test controls (loopback only, with the admin token as a bearer):
//   PUT  /_test/accounts/<sub>   body: the account's claims (name, email, email_verified, groups, …)
//   PUT  /_test/id-token         body: { aud?: string, expOffsetSeconds?: number } (re-signed ID tokens; {} resets)
// Sign-in interaction: GET /interaction/<uid> shows a plain HTML form with a `login` field (the account's
// subject) and a "Sign in" button; "Cancel" answers the client with error=access_denied.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2] ?? '{}');
const adminToken = randomBytes(24).toString('base64url');
const accounts = new Map();
let idTokenOverride = {};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: options.clients ?? [],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: (_ctx, sub) =>
    accounts.has(sub) ? { accountId: sub, claims: () => ({ ...accounts.get(sub), sub }) } : undefined,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  // Claims in the ID token too (Entra ID puts groups there), not only at userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // A first-party client: no consent screen; the grant covers what the client asked for.
  loadExistingGrant: async (ctx) => {
    const grantId =
      ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) {
        return existing;
      }
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope ?? 'openid');
    await grant.save();
    return grant;
  },
  ttl: {
    IdToken: options.idTokenTtlSeconds ?? 300,
    AccessToken: 600,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
});

// An ID token the test asked to be wrong (another audience, expired), signed with the provider's own key:
// what a misconfigured or hostile provider could send, which the client must refuse.
provider.use(async (ctx, next) => {
  await next();
  const body = ctx.body;
  if (ctx.path === '/token' && ctx.status === 200 && body && typeof body === 'object' && body.id_token) {
    if (idTokenOverride.aud !== undefined || idTokenOverride.expOffsetSeconds !== undefined) {
      ctx.body = { ...body, id_token: resign(body.id_token) };
    }
  }
});

function resign(jwt) {
  const [header, payload] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (idTokenOverride.aud !== undefined) {
    claims.aud = idTokenOverride.aud;
    delete claims.azp;
  }
  if (idTokenOverride.expOffsetSeconds !== undefined) {
    const now = Math.floor(Date.now() / 1000);
    claims.exp = now + idTokenOverride.expOffsetSeconds;
    claims.iat = Math.min(claims.iat, claims.exp - 1);
  }
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const html = (title, body) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const escape = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

function loginPage(uid, error) {
  return html(
    'Sign in to the test identity provider',
    `<h1>Test identity provider</h1>
${error ? `<p role="alert" id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
  <label for="login">Account</label>
  <input id="login" name="login" autocomplete="username" autofocus>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort">
  <button type="submit">Cancel</button>
</form>`,
  );
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
    if (chunks.reduce((n, c) => n + c.length, 0) > 65_536) {
      throw new Error('body too large');
    }
  }
  return Buffer.concat(chunks).toString();
}

const callback = provider.callback();

server.on('request', async (req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  try {
    if (url.pathname.startsWith('/_test/')) {
      if (req.headers.authorization !== `Bearer ${adminToken}`) {
        res.writeHead(401).end();
        return;
      }
      const body = JSON.parse((await readBody(req)) || '{}');
      const account = /^\/_test\/accounts\/(.+)$/.exec(url.pathname);
      if (req.method === 'PUT' && account) {
        accounts.set(decodeURIComponent(account[1]), body);
      } else if (req.method === 'DELETE' && account) {
        accounts.delete(decodeURIComponent(account[1]));
      } else if (req.method === 'PUT' && url.pathname === '/_test/id-token') {
        idTokenOverride = body;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(204).end();
      return;
    }
    const interaction = /^\/interaction\/([\w-]+)(\/abort)?$/.exec(url.pathname);
    if (interaction) {
      const [, uid, abort] = interaction;
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('interaction mismatch');
        return;
      }
      if (req.method === 'GET' && !abort) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(loginPage(uid));
        return;
      }
      if (req.method === 'POST' && abort) {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'The person cancelled the sign-in' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      if (req.method === 'POST') {
        const login = new URLSearchParams(await readBody(req)).get('login')?.trim() ?? '';
        if (!accounts.has(login)) {
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
          res.end(loginPage(uid, `No account called "${login}"`));
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: login } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
    }
    callback(req, res);
  } catch (error) {
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.message ?? error));
    }
  }
});

process.stdout.write(`${JSON.stringify({ port, adminToken })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
