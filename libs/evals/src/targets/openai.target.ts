import OpenAI from 'openai';
import { type TargetContext, fetchOf, openAiEndpoint } from './target-context';
import { type Target, TargetError, type TargetRequest, type TargetResponse } from './target';

export interface OpenAiCompatibleConfig {
  model: string;
  connection?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  headers?: Record<string, string>;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
}

/**
 * A chat model behind any OpenAI-compatible endpoint (OpenAI, Azure OpenAI's v1 API, vLLM, Ollama, a
 * gateway) through the official `openai` SDK, with its own retries off (the runner owns retrying) and
 * undici's `request` underneath instead of the global fetch (see light-fetch.ts).
 */
export class OpenAiTarget implements Target {
  readonly type = 'openai';
  readonly provider: string;
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;
  private readonly client: OpenAI;

  constructor(
    private readonly config: OpenAiCompatibleConfig,
    context: TargetContext,
  ) {
    const endpoint = openAiEndpoint(config, context, `the ${config.model} target`);
    const host = new URL(endpoint.baseURL).host;
    this.provider = endpoint.connection ? `connection:${endpoint.connection}` : `openai:${host}`;
    this.description = `${config.model} at ${host} (openai SDK${endpoint.connection ? `, connection ${endpoint.connection}` : ''})`;
    this.fingerprint = {
      type: this.type,
      model: config.model,
      baseUrl: endpoint.baseURL,
      ...(endpoint.connection ? { connection: endpoint.connection } : {}),
      temperature: config.temperature ?? null,
      seed: config.seed ?? null,
      maxTokens: config.maxTokens ?? null,
      headerNames: Object.keys(config.headers ?? {}).sort(),
    };
    this.client = new OpenAI({
      apiKey: endpoint.apiKey,
      baseURL: endpoint.baseURL,
      maxRetries: 0,
      fetch: fetchOf(context),
      timeout: 600_000,
      defaultHeaders: endpoint.headers,
    });
  }

  async call(request: TargetRequest, signal: AbortSignal): Promise<TargetResponse> {
    const completion = await this.client.chat.completions.create(
      {
        model: this.config.model,
        messages: request.messages,
        temperature: this.config.temperature,
        seed: this.config.seed,
        max_tokens: request.maxTokens ?? this.config.maxTokens,
      },
      { signal },
    );
    const content = completion.choices?.[0]?.message?.content;
    if (typeof content !== 'string') {
      throw new TargetError('invalid_response', 'the response has no message content');
    }
    return {
      output: content,
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      model: completion.model,
    };
  }
}
