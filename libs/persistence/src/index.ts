export * from './audit-log.repository';
export * from './column-types';
export * from './data-source';
export * from './database-errors';
export * from './entities';
export * from './migrations';
export * from './raw-rows';
export * from './unit-of-work';
