import { type JsonValue } from '@gatehouse/domain';
import { itemValue } from '../prompts/template';
import { type TargetContext, interpolateEnv } from './target-context';
import { readJsonPath } from './json-path';
import { type Target, TargetError, type TargetRequest, type TargetResponse, retryAfterMs } from './target';

export interface HttpTargetConfig {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: JsonValue;
  answerPath: string;
}

/**
 * The team's own service under test: a JSON request built from a template, the answer read from a JSON
 * path of the response. Header values may come from the environment (`${API_TOKEN}`) and never appear in
 * descriptions, fingerprints or errors.
 */
export class HttpTarget implements Target {
  readonly type = 'http';
  readonly provider: string;
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly config: HttpTargetConfig,
    context: TargetContext,
  ) {
    this.url = interpolateEnv(config.url, context, 'the http target URL');
    this.headers = Object.fromEntries(
      Object.entries(config.headers).map(([name, value]) => [
        name,
        interpolateEnv(value, context, `header ${name}`),
      ]),
    );
    const { host, pathname } = new URL(this.url);
    this.provider = `http:${host}`;
    this.description = `${config.method} ${host}${pathname} (http)`;
    this.fingerprint = {
      type: this.type,
      url: config.url,
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
    const response = await fetch(this.url, {
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
