import { type JsonValue } from '@gatehouse/domain';
import { itemValue } from '../prompts/template';
import {
  type PlatformResources,
  type TargetContext,
  fetchOf,
  interpolateEnv,
  platformConnection,
} from './target-context';
import { type FetchLike } from './light-fetch';
import { readJsonPath } from './json-path';
import { type Target, TargetError, type TargetRequest, type TargetResponse, retryAfterMs } from './target';
import { EvalsError } from '../evals-error';

export interface HttpTargetConfig {
  url?: string;
  connection?: string;
  path?: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: JsonValue;
  answerPath: string;
}

/**
 * The team's own service under test: a JSON request built from a template, the answer read from a JSON
 * path of the response. In the CLI the URL and header values may come from the environment
 * (`${API_TOKEN}`); on the platform both come from an admin's `http` connection. Secrets never appear in
 * descriptions, fingerprints or errors: those are built from the configuration as written.
 */
export class HttpTarget implements Target {
  readonly type = 'http';
  readonly provider: string;
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: FetchLike;

  constructor(
    private readonly config: HttpTargetConfig,
    context: TargetContext,
  ) {
    this.fetch = fetchOf(context);
    if (context.platform) {
      if (config.url !== undefined || Object.keys(config.headers).length > 0) {
        throw new EvalsError(
          'an http target on the server takes its URL and headers from its connection, not from the suite',
        );
      }
      const connection = platformConnection(
        context as TargetContext & { platform: PlatformResources },
        config.connection,
        'http',
        'the http target',
      );
      this.url = joinPath(connection.baseUrl, config.path);
      this.headers = connection.headers;
      const { host, pathname } = new URL(this.url);
      this.provider = `connection:${connection.name}`;
      this.description = `${config.method} ${host}${pathname} (http, connection ${connection.name})`;
    } else {
      if (config.url === undefined) {
        throw new EvalsError(
          `the http target names the connection ${config.connection}, which exists only on a Gatehouse server: give url to run it here`,
        );
      }
      this.url = interpolateEnv(config.url, context, 'the http target URL');
      this.headers = Object.fromEntries(
        Object.entries(config.headers).map(([name, value]) => [
          name,
          interpolateEnv(value, context, `header ${name}`),
        ]),
      );
      this.provider = `http:${new URL(this.url).host}`;
      // From the URL as written: a ${VAR} in it stays a placeholder in every report and error.
      this.description = `${config.method} ${config.url.replace(/[?#].*$/, '').replace(/^https?:\/\//, '')} (http)`;
    }
    this.fingerprint = {
      type: this.type,
      url: config.url ?? null,
      connection: config.connection ?? null,
      path: config.path ?? null,
      method: config.method,
      body: config.body,
      answerPath: config.answerPath,
      headerNames: Object.keys(config.headers).sort(),
    };
  }

  async call(request: TargetRequest, signal: AbortSignal): Promise<TargetResponse> {
    const body = fillTemplate(this.config.body, (path) =>
      path === 'prompt' ? request.prompt : itemValue(request.item, path),
    );
    const response = await this.fetch(this.url, {
      method: this.config.method,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...this.headers },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      const kind =
        response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'server_error' : 'client_error';
      throw new TargetError(kind, `${this.description} answered ${response.status}`, {
        status: response.status,
        retryAfterMs: retryAfterMs(response.headers),
      });
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new TargetError('invalid_response', `${this.description} did not answer with JSON`);
    }
    const answer = readJsonPath(json, this.config.answerPath);
    if (typeof answer !== 'string') {
      throw new TargetError('invalid_response', `the response has no text at ${this.config.answerPath}`);
    }
    return { output: answer };
  }
}

/**
 * A connection's base URL with a target's path: `https://svc/api` + `/answer` → `https://svc/api/answer`.
 * The result must stay on the connection's origin and under its base path, however the path was spelt
 * (the URL parser undoes escapes such as `%2e%2e`): a user of a connection reaches only what it was for.
 */
export function joinPath(baseUrl: string, path: string | undefined): string {
  if (!path) {
    return baseUrl;
  }
  const base = new URL(baseUrl);
  const joined = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (
    joined.origin !== base.origin ||
    (joined.pathname !== basePath && !joined.pathname.startsWith(`${basePath}/`))
  ) {
    throw new EvalsError(`the path ${path} leaves the connection's base path ${base.pathname}`);
  }
  return joined.href;
}

/** Replaces `{{path}}` in every string of a JSON template; a string that is exactly one variable keeps its JSON type. */
export function fillTemplate(
  template: JsonValue,
  lookup: (path: string) => JsonValue | undefined,
): JsonValue {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*([\w.]+)\s*\}\}$/.exec(template);
    if (whole) {
      return lookup(whole[1]) ?? null;
    }
    return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, path: string) => {
      const value = lookup(path);
      return value === undefined || value === null
        ? ''
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
    });
  }
  if (Array.isArray(template)) {
    return template.map((entry) => fillTemplate(entry, lookup));
  }
  if (template && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [key, fillTemplate(value, lookup)]),
    );
  }
  return template;
}
