import { RegistryRepository } from './registry.repository';

export * from './registry.repository';

export const REGISTRY_REPOSITORIES = [RegistryRepository] as const;
