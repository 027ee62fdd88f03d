import { Client } from 'pg';
import { POSTGRES_ADMIN_URL } from './services';

/** Migrated once per run by the global setup; every test file clones it (a fast file copy). */
export const TEMPLATE_DATABASE = 'gatehouse_test_template';

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
