import { type BaseMessageLike } from '@langchain/core/messages';
import { type Runnable } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { isAbsolute, resolve } from 'node:path';
import { EvalsError } from '../evals-error';
import { type ChatMessage } from '../datasets/dataset-item';
import { type TargetContext, requireEnv } from './target-context';
import { type Target, TargetError, type TargetRequest, type TargetResponse } from './target';

export interface LangChainTargetConfig {
  model?: string;
  baseUrl?: string;
  apiKeyEnv: string;
  module?: string;
  export: string;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
}

const ROLE: Record<ChatMessage['role'], 'system' | 'human' | 'ai'> = {
  system: 'system',
  user: 'human',
  assistant: 'ai',
};

export function toLangChainMessages(messages: ChatMessage[]): BaseMessageLike[] {
  return messages.map((m) => [ROLE[m.role], m.content]);
}

/** Text from whatever a chat model or chain returns: a string, a message, or `{answer|output|text|content}`. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ['content', 'answer', 'output', 'text']) {
      const field = record[key];
      if (typeof field === 'string') {
        return field;
      }
      if (key === 'content' && Array.isArray(field)) {
        return field
          .map((part) => (typeof part === 'string' ? part : ((part as { text?: string }).text ?? '')))
          .join('');
      }
    }
  }
  return null;
}

/**
 * A LangChain system under test: a `ChatOpenAI` model, or a team's own Runnable (a RAG chain, an agent)
 * exported by a JavaScript module. A Runnable receives `{ input, messages, id, metadata }`.
 */
export class LangChainTarget implements Target {
  readonly type = 'langchain';
  readonly provider: string;
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;
  private readonly runnable: Runnable;
  private readonly isChatModel: boolean;

  constructor(config: LangChainTargetConfig, context: TargetContext) {
    if (config.model) {
      const baseURL = config.baseUrl ?? 'https://api.openai.com/v1';
      this.provider = `openai:${new URL(baseURL).host}`;
      this.description = `${config.model} at ${new URL(baseURL).host} (LangChain ChatOpenAI)`;
      this.fingerprint = {
        type: this.type,
        model: config.model,
        baseUrl: baseURL,
        temperature: config.temperature ?? null,
        seed: config.seed ?? null,
        maxTokens: config.maxTokens ?? null,
      };
      this.runnable = new ChatOpenAI({
        model: config.model,
        apiKey: requireEnv(context, config.apiKeyEnv, `the ${config.model} target`),
        configuration: { baseURL },
        temperature: config.temperature,
        maxTokens: config.maxTokens,
        modelKwargs: config.seed === undefined ? undefined : { seed: config.seed },
        maxRetries: 0,
      });
      this.isChatModel = true;
    } else {
      const modulePath = isAbsolute(config.module ?? '')
        ? (config.module as string)
        : resolve(context.baseDir, config.module ?? '');
      let loaded: Record<string, unknown>;
      try {
        loaded = require(modulePath) as Record<string, unknown>;
      } catch (error) {
        throw new EvalsError(`cannot load the LangChain module (${(error as Error).message})`, {
          file: modulePath,
        });
      }
      const candidate = loaded[config.export] ?? (config.export === 'default' ? loaded : undefined);
      if (!candidate || typeof (candidate as Runnable).invoke !== 'function') {
        throw new EvalsError(
          `export "${config.export}" is not a LangChain Runnable (it has no invoke method)`,
          { file: modulePath },
        );
      }
      this.runnable = candidate as Runnable;
      this.provider = `module:${config.module}`;
      this.description = `LangChain runnable ${config.module}#${config.export}`;
      this.fingerprint = { type: this.type, module: config.module, export: config.export };
      this.isChatModel = false;
    }
  }

  async call(request: TargetRequest, signal: AbortSignal): Promise<TargetResponse> {
    const input = this.isChatModel
      ? toLangChainMessages(request.messages)
      : {
          input: request.prompt,
          messages: request.messages,
          id: request.item.id,
          metadata: request.item.metadata ?? {},
        };
    const result: unknown = await this.runnable.invoke(input, { signal });
    const output = textOf(result);
    if (output === null) {
      throw new TargetError('invalid_response', 'the runnable returned neither text nor a message');
    }
    const usage = (result as { usage_metadata?: { input_tokens?: number; output_tokens?: number } })
      .usage_metadata;
    return { output, inputTokens: usage?.input_tokens, outputTokens: usage?.output_tokens };
  }
}
