import { Client } from 'pg';
import { POSTGRES_ADMIN_URL } from './services';

/** Migrated once per run by the global setup; every test file clones it (a fast file copy). */
/**
 * The migrated template test databases are cloned from: one per Jest run (named after its process, set
 * by the global setup), so two runs on one machine never drop each other's template.
 */
export function templateDatabase(): string {
  return process.env.GATEHOUSE_TEST_TEMPLATE ?? 'gatehouse_test_template';
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
