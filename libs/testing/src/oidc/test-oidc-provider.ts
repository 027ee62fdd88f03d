import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What an account at the test provider says about its person (any claims; `groups` is a list). */
export interface TestAccountClaims {
  name?: string;
  email?: string;
  email_verified?: boolean;
  groups?: string[];
  [claim: string]: unknown;
}

/** Client metadata as oidc-provider takes it (client_id, client_secret, redirect_uris, …). */
export interface TestOidcClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt' | 'none';
  /** For private_key_jwt: the client's public keys. */
  jwks?: { keys: Record<string, unknown>[] };
  [metadata: string]: unknown;
}

export interface TestOidcProvider {
  /** The issuer identifier (http://127.0.0.1:<port>). */
  issuer: string;
  /** Creates or replaces an account: `sub` is what the login form takes. */
  setAccount(sub: string, claims: TestAccountClaims): Promise<void>;
  removeAccount(sub: string): Promise<void>;
  /**
   * Makes the provider re-sign the ID tokens it issues with another audience or an expiry relative to now
   * (seconds; negative = already expired); `{}` turns it off.
   */
  setIdTokenOverride(override: { aud?: string; expOffsetSeconds?: number }): Promise<void>;
  /** Everything the provider printed (its warnings, errors). */
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts a real OpenID provider (oidc-provider) in a child process, with the clients given, and waits
 * until it listens. Its login page is a plain HTML form (a `login` field, a "Sign in" button) that a test
 * posts to, or a real browser fills in.
 */
export async function startTestOidcProvider(options: {
  clients: TestOidcClient[];
  idTokenTtlSeconds?: number;
}): Promise<TestOidcProvider> {
  const child = spawn(
    process.execPath,
    [join(__dirname, 'test-oidc-provider.mjs'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(() => {
      throw new Error(`the test OpenID provider exited before it listened:\n${output}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`the test OpenID provider did not start in 30 s:\n${output}`)),
        30_000,
      ).unref(),
    ),
  ]);
  lines.on('line', (line) => (output += `${line}\n`));
  const { port, adminToken } = JSON.parse(first) as { port: number; adminToken: string };
  const issuer = `http://127.0.0.1:${port}`;
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${issuer}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 204) {
      throw new Error(`test OpenID provider: ${method} ${path} answered ${response.status}`);
    }
  };
  return {
    issuer,
    setAccount: (sub, claims) => admin('PUT', `/_test/accounts/${encodeURIComponent(sub)}`, claims),
    removeAccount: (sub) => admin('DELETE', `/_test/accounts/${encodeURIComponent(sub)}`),
    setIdTokenOverride: (override) => admin('PUT', '/_test/id-token', override),
    output: () => output,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** A loopback port held open until a server takes it over (see {@link reservePort}). */
export interface ReservedPort {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Makes `server` listen on the held socket: no other process can have taken the port meanwhile. */
  listen(server: Server): Promise<void>;
  /** Lets the port go unused (when the server never started). */
  release(): Promise<void>;
}

/**
 * A loopback port for a server whose URL must be known before it starts (an identity provider's redirect
 * URI names it). The port stays bound by this process until `listen` hands the socket to the server, so
 * it cannot be taken in between: asking for a free port and binding it later lost it, on a busy machine,
 * to another worker's outgoing connection (EADDRINUSE in CI).
 */
export async function reservePort(): Promise<ReservedPort> {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const { port } = holder.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    listen: async (server) => {
      server.listen(holder);
      await once(server, 'listening');
    },
    release: async () => {
      if (holder.listening) {
        holder.close();
        await once(holder, 'close');
      }
    },
  };
}
