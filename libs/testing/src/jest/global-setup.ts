import { type TestService, probePostgres, probeRedis, POSTGRES_ADMIN_URL } from '../services';
import { templateDatabase, withAdminClient, withDatabase } from '../postgres-admin';

/**
 * Checks that PostgreSQL and Redis answer. Under CI=true a missing service fails the run; otherwise the
 * suites that need it are skipped and this says so loudly. Then builds the migrated template database.
 * Jest runs this once per project; the work is done once per run.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.GATEHOUSE_TEST_PREPARED === 'true') {
    return;
  }
  await prepare();
  process.env.GATEHOUSE_TEST_PREPARED = 'true';
}

async function prepare(): Promise<void> {
  const problems: [TestService, string | null][] = [
    ['postgres', await probePostgres()],
    ['redis', await probeRedis()],
  ];
  const missing = problems.filter(([, problem]) => problem !== null);
  if (missing.length > 0) {
    const lines = missing.map(([, problem]) => `  - ${problem}`).join('\n');
    if (process.env.CI === 'true') {
      throw new Error(`Integration tests need these services, and CI=true forbids skipping them:\n${lines}`);
    }
    process.stderr.write(
      `\n${'!'.repeat(100)}\n!! SKIPPING the integration suites that need these services:\n${lines}\n` +
        `!! Start them (see README "Running the tests") or set TEST_POSTGRES_URL / TEST_REDIS_URL.\n${'!'.repeat(100)}\n\n`,
    );
    process.env.GATEHOUSE_TEST_MISSING = missing.map(([service]) => service).join(',');
  }
  if (!missing.some(([service]) => service === 'postgres')) {
    await buildTemplate();
  }
}

async function buildTemplate(): Promise<void> {
  // Entities read the driver at import time, so load the persistence lib only once it is set.
  process.env.DATABASE_URL = POSTGRES_ADMIN_URL;
  const { createDataSource, runMigrations } = await import('@gatehouse/persistence');
  const { Secret } = await import('@gatehouse/config');
  process.env.GATEHOUSE_TEST_TEMPLATE = `gh_tpl_${process.pid}`;
  const TEMPLATE_DATABASE = templateDatabase();
  await withAdminClient(async (client) => {
    await dropLeftovers(client);
    await client.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DATABASE}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  });
  const dataSource = createDataSource({
    kind: 'postgres',
    url: new Secret(withDatabase(POSTGRES_ADMIN_URL, TEMPLATE_DATABASE)),
    poolSize: 2,
    statementTimeoutMs: 60_000,
  });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Test databases and templates of runs that ended or crashed (their process is gone) are dropped. */
async function dropLeftovers(client: import('pg').Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'gh\\_t\\_%' OR datname LIKE 'gh\\_tpl\\_%'",
  );
  for (const { datname } of rows) {
    const pid = Number(datname.split('_')[2]);
    if (Number.isInteger(pid) && !isAlive(pid)) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
