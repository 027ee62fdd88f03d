import OpenAI from 'openai';
import { lightFetch } from './light-fetch';
import { type TargetContext, interpolateEnv, requireEnv } from './target-context';
import { type Target, TargetError, type TargetRequest, type TargetResponse } from './target';

export interface OpenAiCompatibleConfig {
  model: string;
  baseUrl?: string;
  apiKeyEnv: string;
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
    const baseURL = config.baseUrl ?? 'https://api.openai.com/v1';
    this.provider = `openai:${new URL(baseURL).host}`;
    this.description = `${config.model} at ${new URL(baseURL).host} (openai SDK)`;
    this.fingerprint = {
      type: this.type,
      model: config.model,
      baseUrl: baseURL,
      temperature: config.temperature ?? null,
      seed: config.seed ?? null,
      maxTokens: config.maxTokens ?? null,
      headerNames: Object.keys(config.headers ?? {}).sort(),
    };
    this.client = new OpenAI({
      apiKey: requireEnv(context, config.apiKeyEnv, `the ${config.model} target`),
      baseURL,
      maxRetries: 0,
      fetch: lightFetch,
      timeout: 600_000,
      defaultHeaders: Object.fromEntries(
        Object.entries(config.headers ?? {}).map(([name, value]) => [
          name,
          interpolateEnv(value, context, `header ${name}`),
        ]),
      ),
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
