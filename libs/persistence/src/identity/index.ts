import { IdentityRepository } from './identity.repository';

export * from './identity.repository';

export const IDENTITY_REPOSITORIES = [IdentityRepository] as const;
