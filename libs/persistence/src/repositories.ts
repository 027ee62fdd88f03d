import { AI_USE_CASE_REPOSITORIES } from './ai-use-cases';
import { AuditLogRepository } from './audit-log.repository';
import { CONNECTION_REPOSITORIES } from './connections';
import { GATE_REPOSITORIES } from './gates';
import { IDENTITY_REPOSITORIES } from './identity';
import { LIVE_REPOSITORIES } from './live';
import { NOTIFICATION_REPOSITORIES } from './notifications';
import { REGISTRY_REPOSITORIES } from './registry';
import { REVIEW_REPOSITORIES } from './reviews';
import { RUN_REPOSITORIES } from './runs';
import { type UnitOfWork } from './unit-of-work';
import { WORK_REPOSITORIES } from './work';

/** A repository: built once per process from the unit of work, and nothing else. */
export type RepositoryClass = new (uow: UnitOfWork) => object;

/**
 * Every repository, for the application's database module to provide. A new repository goes in its
 * feature folder's list.
 */
export const REPOSITORIES: readonly RepositoryClass[] = [
  AuditLogRepository,
  ...AI_USE_CASE_REPOSITORIES,
  ...CONNECTION_REPOSITORIES,
  ...GATE_REPOSITORIES,
  ...IDENTITY_REPOSITORIES,
  ...LIVE_REPOSITORIES,
  ...NOTIFICATION_REPOSITORIES,
  ...REGISTRY_REPOSITORIES,
  ...REVIEW_REPOSITORIES,
  ...RUN_REPOSITORIES,
  ...WORK_REPOSITORIES,
];
