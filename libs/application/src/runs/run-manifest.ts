import { type GatehouseConfig } from '@gatehouse/config';
import { contentHash, type StoredManifest } from '@gatehouse/domain';
import {
  describeScorers,
  epochSettings,
  providerOf,
  type SuiteDefinition,
  type TargetConfig,
} from '@gatehouse/evals';
import { type DatasetEntity, type QueuedRunRow, type SuiteEntity } from '@gatehouse/persistence';
import { randomUUID } from 'node:crypto';

/** A new platform run's manifest: every input pinned by hash (the run's id is made here). */
export function buildManifest(
  suite: SuiteEntity,
  dataset: DatasetEntity,
  definition: SuiteDefinition,
  target: TargetConfig,
  cassettes: Record<string, string>,
  build: Pick<GatehouseConfig, 'version' | 'gitCommit'>,
): StoredManifest {
  return {
    runId: randomUUID(),
    suite: { name: suite.name, version: suite.version, hash: suite.sha256 },
    dataset: {
      name: dataset.name,
      version: dataset.version,
      hash: dataset.sha256,
      count: dataset.itemCount,
    },
    target: { type: target.type, description: describeTarget(target), configHash: contentHash(target) },
    scorers: describeScorers(definition.scorers).map((s, i) => ({
      name: s.name,
      type: s.type,
      version: s.version,
      configHash: contentHash(definition.scorers[i]),
    })),
    epochs: epochSettings(definition).count,
    packageVersion: build.version,
    gitCommit: build.gitCommit,
    startedAt: new Date().toISOString(),
    completedAt: null,
    engine: 'platform',
    cassettes,
  };
}

/** The queued run's own columns for a manifest (its id and creation time are the manifest's). */
export function queuedRun(
  manifest: StoredManifest,
  run: {
    suite: Pick<SuiteEntity, 'id'>;
    target: TargetConfig;
    aiUseCaseId?: string;
    baselineRunId?: string;
    createdBy: string;
  },
): QueuedRunRow {
  return {
    id: manifest.runId,
    suiteId: run.suite.id,
    aiUseCaseId: run.aiUseCaseId ?? null,
    baselineRunId: run.baselineRunId ?? null,
    targetConfig: run.target,
    targetHash: manifest.target.configHash,
    provider: providerOf(run.target),
    total: manifest.dataset.count * manifest.epochs,
    manifest,
    createdBy: run.createdBy,
    createdAt: new Date(manifest.startedAt),
  };
}

function describeTarget(target: TargetConfig): string {
  switch (target.type) {
    case 'replay':
      return `replay of cassette ${target.cassette}${target.recordFrom && target.recordFrom.type !== 'http' && target.recordFrom.model ? ` (recorded from ${target.recordFrom.model})` : ''}`;
    case 'http':
      return target.connection
        ? `${target.method} ${target.path ?? '/'} on connection ${target.connection} (http)`
        : `${target.method} ${target.url ?? ''} (http)`;
    case 'openai':
      return `${target.model} (openai SDK${target.connection ? `, connection ${target.connection}` : ''})`;
    case 'langchain':
      return target.model
        ? `${target.model} (LangChain ChatOpenAI)`
        : `LangChain runnable ${target.module}#${target.export}`;
  }
}
