import { ArtefactNameRepository } from './artefact-name.repository';
import { CassetteRepository } from './cassette.repository';
import { DatasetRepository } from './dataset.repository';
import { SuiteRepository } from './suite.repository';

export * from './artefact-name.repository';
export * from './cassette.repository';
export * from './dataset.repository';
export * from './suite.repository';

export const REGISTRY_REPOSITORIES = [
  ArtefactNameRepository,
  CassetteRepository,
  DatasetRepository,
  SuiteRepository,
] as const;
