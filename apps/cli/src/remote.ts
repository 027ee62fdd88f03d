import { remoteServerFromEnvironment } from '@gatehouse/config';
import { CliError, EXIT } from './cli-errors';

export interface RemoteOptions {
  url?: string;
  token?: string;
}

export interface Problem {
  status: number;
  detail: string;
  errors: { field: string; message: string }[];
}

/** A Gatehouse server: `--url` or GATEHOUSE_URL, `--token` or GATEHOUSE_TOKEN (never printed). */
export class RemoteServer {
  readonly url: string;
  private readonly token: string;

  constructor(options: RemoteOptions, env: RemoteOptions = remoteServerFromEnvironment()) {
    const url = options.url ?? env.url ?? 'http://localhost:3000';
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new CliError(`--url / GATEHOUSE_URL must be an http(s) URL, not "${url}"`);
    }
    const token = options.token ?? env.token;
    if (!token) {
      throw new CliError(
        'set GATEHOUSE_TOKEN (or pass --token) to an API token of an engineer on the server',
      );
    }
    this.url = url.replace(/\/+$/, '');
    this.token = token;
  }

  /** Calls the API; answers (2xx or problem+json) come back, an unreachable server is a CliError. */
  async call<T>(
    method: string,
    path: string,
    body?: { text: string; type: string } | object,
  ): Promise<{ status: number; body: T | Problem }> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: 'application/json',
    };
    let payload: string | undefined;
    if (body && 'text' in body && 'type' in body && typeof body.text === 'string') {
      headers['Content-Type'] = String(body.type);
      payload = body.text;
    } else if (body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, { method, headers, body: payload });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach ${this.url} (${cause?.code ?? cause?.message ?? String(error)})`,
        EXIT.error,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { status: response.status, detail: text.slice(0, 500), errors: [] };
    }
    if (response.status === 401) {
      throw new CliError(`${this.url} refused the token (401): check GATEHOUSE_TOKEN`);
    }
    return { status: response.status, body: parsed as T | Problem };
  }
}

export function describeProblem(problem: Problem): string {
  const fields = (problem.errors ?? []).map((e) => `\n      ${e.field}: ${e.message}`).join('');
  return `${problem.detail ?? `HTTP ${problem.status}`}${fields}`;
}
