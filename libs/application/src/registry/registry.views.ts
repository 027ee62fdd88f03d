import { type DatasetManifest, type SuiteDefinition } from '@gatehouse/evals';
import { type DatasetEntity, type SuiteEntity } from '@gatehouse/persistence';

export interface DatasetView {
  id: string;
  name: string;
  version: number;
  sha256: string;
  itemCount: number;
  manifest: DatasetManifest;
  createdBy: string;
  createdAt: string;
}

export interface SuiteView {
  id: string;
  name: string;
  version: number;
  sha256: string;
  dataset: { id: string; name: string; version: number; sha256: string };
  definition: SuiteDefinition;
  createdBy: string;
  createdAt: string;
}

export const toDatasetView = (entity: DatasetEntity): DatasetView => ({
  id: entity.id,
  name: entity.name,
  version: entity.version,
  sha256: entity.sha256,
  itemCount: entity.itemCount,
  manifest: entity.manifest as DatasetManifest,
  createdBy: entity.createdBy,
  createdAt: entity.createdAt.toISOString(),
});

export const toSuiteView = (entity: SuiteEntity, dataset: DatasetEntity): SuiteView => ({
  id: entity.id,
  name: entity.name,
  version: entity.version,
  sha256: entity.sha256,
  dataset: { id: dataset.id, name: dataset.name, version: dataset.version, sha256: dataset.sha256 },
  definition: entity.definition as SuiteDefinition,
  createdBy: entity.createdBy,
  createdAt: entity.createdAt.toISOString(),
});
