import { Client } from 'pg';
import Redis from 'ioredis';

/** The local services the integration tiers use; override with TEST_POSTGRES_URL / TEST_REDIS_URL. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function probePostgres(url = POSTGRES_ADMIN_URL): Promise<string | null> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${new URL(url).host} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRedis(url = REDIS_TEST_URL): Promise<string | null> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${new URL(url).host} is unreachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

export type TestService = 'postgres' | 'redis';

/** Set by the Jest global setup when a service is down outside CI; such suites are skipped loudly. */
export function missingServices(): TestService[] {
  return (process.env.GATEHOUSE_TEST_MISSING ?? '').split(',').filter(Boolean) as TestService[];
}
