import { type BaseMessageLike } from '@langchain/core/messages';
import { type Runnable } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { isAbsolute, resolve } from 'node:path';
import { EvalsError } from '../evals-error';
import { type ChatMessage } from '../datasets/dataset-item';
import { DEFAULT_MAX_RESPONSE_BYTES } from './light-fetch';
import { type TargetContext, fetchOf, openAiEndpoint } from './target-context';
import { type Target, TargetError, type TargetRequest, type TargetResponse } from './target';

export interface LangChainTargetConfig {
  model?: string;
  connection?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
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
 * The file a module target loads: in the CLI a path (relative to the suite file); on the platform only a
 * module the operator put in its modules folder, by name, so no path from a request is ever loaded.
 */
function moduleFile(module: string, context: TargetContext): string {
  if (context.platform) {
    const file = context.platform.modules.get(module);
    if (!file) {
      const known = [...context.platform.modules.keys()];
      throw new EvalsError(
        `the LangChain module ${module} is not registered on this server (${known.length ? `registered: ${known.join(', ')}` : 'none is registered: an operator sets GATEHOUSE_LANGCHAIN_MODULES_DIR'})`,
      );
    }
    return file;
  }
  return isAbsolute(module) ? module : resolve(context.baseDir, module);
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
  private readonly maxResponseBytes: number;

  constructor(config: LangChainTargetConfig, context: TargetContext) {
    if (config.model) {
      const endpoint = openAiEndpoint(config, context, `the ${config.model} target`);
      const host = new URL(endpoint.baseURL).host;
      this.provider = endpoint.connection ? `connection:${endpoint.connection}` : `openai:${host}`;
      this.description = `${config.model} at ${host} (LangChain ChatOpenAI${endpoint.connection ? `, connection ${endpoint.connection}` : ''})`;
      this.fingerprint = {
        type: this.type,
        model: config.model,
        baseUrl: endpoint.baseURL,
        ...(endpoint.connection ? { connection: endpoint.connection } : {}),
        temperature: config.temperature ?? null,
        seed: config.seed ?? null,
        maxTokens: config.maxTokens ?? null,
      };
      this.runnable = new ChatOpenAI({
        model: config.model,
        apiKey: endpoint.apiKey,
        configuration: {
          baseURL: endpoint.baseURL,
          fetch: fetchOf(context),
          defaultHeaders: endpoint.headers,
        },
        temperature: config.temperature,
        maxTokens: config.maxTokens,
        modelKwargs: config.seed === undefined ? undefined : { seed: config.seed },
        maxRetries: 0,
      });
      this.isChatModel = true;
    } else {
      const modulePath = moduleFile(config.module ?? '', context);
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
    this.maxResponseBytes = context.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
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
    if (Buffer.byteLength(output) > this.maxResponseBytes) {
      throw new TargetError(
        'response_too_large',
        `the answer is larger than the limit of ${this.maxResponseBytes} bytes`,
      );
    }
    const usage = (result as { usage_metadata?: { input_tokens?: number; output_tokens?: number } })
      .usage_metadata;
    return { output, inputTokens: usage?.input_tokens, outputTokens: usage?.output_tokens };
  }
}
