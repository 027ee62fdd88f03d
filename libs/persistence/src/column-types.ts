import { databaseKindFromEnvironment } from '@gatehouse/config';
import { type ColumnType } from 'typeorm';

/**
 * Timestamps are `timestamptz` on PostgreSQL and `datetime` on SQLite. TypeORM fixes column types when
 * entity classes load, so the driver is read from the environment once, at import time; the migration
 * chooses the same types from its connection, and a test asserts the two agree (no schema drift).
 */
export const TIMESTAMP: ColumnType =
  databaseKindFromEnvironment() === 'postgres' ? 'timestamptz' : 'datetime';

export function timestampTypeFor(driver: string): 'timestamptz' | 'datetime' {
  return driver === 'postgres' ? 'timestamptz' : 'datetime';
}
