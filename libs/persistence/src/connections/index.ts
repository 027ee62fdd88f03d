import { ConnectionRepository } from './connection.repository';

export * from './connection.repository';

export const CONNECTION_REPOSITORIES = [ConnectionRepository] as const;
