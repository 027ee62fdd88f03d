import { type TargetConfig } from '../suites/suite-schema';
import { HttpTarget } from './http.target';
import { cassetteFile, RecordingTarget, recordedConfigHash, ReplayTarget } from './replay.target';
import { type Target } from './target';
import { type TargetContext } from './target-context';
import { EvalsError } from '../evals-error';

/**
 * Builds the system under test from a suite's target. With `record`, a replay target calls its
 * `recordFrom` live target and writes the cassette; without it, replay stays offline.
 */
export async function createTarget(
  config: TargetConfig,
  context: TargetContext,
  options: { record?: boolean } = {},
): Promise<Target> {
  switch (config.type) {
    // The model SDKs are loaded only when a suite uses them: a replay run stays lean.
    case 'openai':
      return new (require('./openai.target') as typeof import('./openai.target')).OpenAiTarget(
        config,
        context,
      );
    case 'langchain':
      return new (require('./langchain.target') as typeof import('./langchain.target')).LangChainTarget(
        config,
        context,
      );
    case 'http':
      return new HttpTarget(config, context);
    case 'replay': {
      if (!options.record) {
        return ReplayTarget.open(context.cassetteDir, config.cassette, context.loadCassette, {
          recordedFrom: config.recordFrom ? recordedConfigHash(config.recordFrom) : undefined,
          onUnverified: context.onUnverifiedCassette,
        });
      }
      if (!config.recordFrom) {
        throw new EvalsError(
          `--record needs target.recordFrom: the live target to record cassette ${config.cassette} from`,
        );
      }
      const live = await createTarget(config.recordFrom, context);
      return new RecordingTarget(
        live,
        cassetteFile(context.cassetteDir, config.cassette),
        recordedConfigHash(config.recordFrom),
      );
    }
  }
}

/**
 * The model under test as a judge must not be it: the target's model and base URL, or for a replay
 * target, those of the live target it was recorded from.
 */
export function modelUnderTest(config: TargetConfig): Record<string, unknown> {
  const live = config.type === 'replay' ? config.recordFrom : config;
  if (!live || live.type === 'http' || !live.model) {
    return {};
  }
  return live.connection
    ? { model: live.model, connection: live.connection }
    : { model: live.model, baseUrl: live.baseUrl ?? 'https://api.openai.com/v1' };
}

/** The provider a target calls, without building it: the platform queues items per provider. */
export function providerOf(config: TargetConfig): string {
  const host = (url: string | undefined) => new URL(url ?? 'https://api.openai.com/v1').host;
  if (config.type !== 'replay' && config.connection) {
    return `connection:${config.connection}`;
  }
  switch (config.type) {
    case 'openai':
      return `openai:${host(config.baseUrl)}`;
    case 'langchain':
      return config.model ? `openai:${host(config.baseUrl)}` : `module:${config.module}`;
    case 'http':
      return config.url && URL.canParse(config.url) ? `http:${new URL(config.url).host}` : 'http';
    case 'replay':
      return 'replay';
  }
}
