import { EvalsError } from '../evals-error';
import { type FetchLike, lightFetch } from './light-fetch';

/** An admin-managed provider connection, with its secret decrypted, as the platform hands it to targets. */
export interface ResolvedConnection {
  name: string;
  /** `openai`: an OpenAI-compatible API (the openai SDK, LangChain's ChatOpenAI, judges); `http`: a team's service. */
  kind: 'openai' | 'http';
  baseUrl: string;
  /** The key sent as a bearer token to an OpenAI-compatible API. */
  apiKey?: string;
  /** Headers sent on every call (for `http` connections the secret header is among them). */
  headers: Record<string, string>;
}

/**
 * On the platform, targets and judges reach the outside only through what an operator configured: the
 * connections an admin set up (base URL and secret) and the LangChain modules in the operator's folder.
 * A URL, a base URL, a key variable, a header template or a module path from a suite is refused.
 */
export interface PlatformResources {
  connections: ReadonlyMap<string, ResolvedConnection>;
  /** Registered LangChain module names → absolute file paths in the operator's folder. */
  modules: ReadonlyMap<string, string>;
}

/** What targets need from their surroundings; passed in, never read from globals. */
export interface TargetContext {
  /** Environment variables (API keys, header values). Empty on the platform. */
  env: Record<string, string | undefined>;
  /** Directory of the suite file, for relative module paths. */
  baseDir: string;
  /** evals/cassettes, for replay targets. */
  cassetteDir: string;
  /** Where replay cassettes come from instead of files (the platform keeps them in its database). */
  loadCassette?: (name: string) => Promise<string>;
  /** Called when a replayed cassette carries no record of the configuration it was recorded from. */
  onUnverifiedCassette?: (name: string) => void;
  /** Set on the platform: see PlatformResources. */
  platform?: PlatformResources;
  /** The fetch model SDKs and http targets call with (egress-checked and size-capped on the platform). */
  fetch?: FetchLike;
  /** The largest answer a module Runnable may return (network answers are capped by `fetch`). */
  maxResponseBytes?: number;
}

export function requireEnv(context: TargetContext, name: string, purpose: string): string {
  const value = context.env[name];
  if (!value) {
    throw new EvalsError(`${purpose} needs the environment variable ${name}, which is not set`);
  }
  return value;
}

/** Replaces `${VAR}` in a header or URL with the environment's value; a missing variable is an error. */
export function interpolateEnv(value: string, context: TargetContext, purpose: string): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, name: string) => requireEnv(context, name, purpose));
}

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';

/** The connection a platform target or judge names, of the kind it needs. */
export function platformConnection(
  context: TargetContext & { platform: PlatformResources },
  name: string | undefined,
  kind: ResolvedConnection['kind'],
  purpose: string,
): ResolvedConnection {
  if (!name) {
    throw new EvalsError(
      `${purpose} must name a connection on the server (an admin sets them up: GET /v1/connections)`,
    );
  }
  const connection = context.platform.connections.get(name);
  if (!connection) {
    throw new EvalsError(`${purpose} names the connection ${name}, which is not on this server`);
  }
  if (connection.kind !== kind) {
    throw new EvalsError(`${purpose} needs an ${kind} connection, but ${name} is an ${connection.kind} one`);
  }
  return connection;
}

/** Where an OpenAI-compatible model (target or judge) is reached and with what key and headers. */
export interface OpenAiEndpoint {
  baseURL: string;
  apiKey: string;
  headers: Record<string, string>;
  /** The connection's name on the platform. */
  connection?: string;
}

/**
 * Resolves an OpenAI-compatible model's endpoint: on the platform only from its named connection; in the
 * CLI from its base URL, key variable and header templates.
 */
export function openAiEndpoint(
  config: { connection?: string; baseUrl?: string; apiKeyEnv?: string; headers?: Record<string, string> },
  context: TargetContext,
  purpose: string,
): OpenAiEndpoint {
  if (context.platform) {
    const connection = platformConnection(
      context as TargetContext & { platform: PlatformResources },
      config.connection,
      'openai',
      purpose,
    );
    return {
      baseURL: connection.baseUrl,
      // The SDK insists on a key; a self-hosted server without one ignores it.
      apiKey: connection.apiKey ?? 'no-key',
      headers: connection.headers,
      connection: connection.name,
    };
  }
  if (config.connection) {
    throw new EvalsError(
      `${purpose} names the connection ${config.connection}, which exists only on a Gatehouse server: ` +
        'give baseUrl and apiKeyEnv to run it here, or run the suite on the platform',
    );
  }
  return {
    baseURL: config.baseUrl ?? DEFAULT_OPENAI_BASE_URL,
    apiKey: requireEnv(context, config.apiKeyEnv ?? DEFAULT_API_KEY_ENV, purpose),
    headers: Object.fromEntries(
      Object.entries(config.headers ?? {}).map(([name, value]) => [
        name,
        interpolateEnv(value, context, `header ${name}`),
      ]),
    ),
  };
}

export function fetchOf(context: TargetContext): FetchLike {
  return context.fetch ?? lightFetch;
}
