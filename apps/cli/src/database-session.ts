import { type IdentityService, identityServiceOn } from '@gatehouse/application';
import { type GatehouseConfig, loadConfig, pinTimezoneToUtc } from '@gatehouse/config';
import { type Actor } from '@gatehouse/domain';
import { AuditLogRepository, createDataSource, UnitOfWork } from '@gatehouse/persistence';
import { userInfo } from 'node:os';
import { type DataSource } from 'typeorm';
import { CliError } from './cli-errors';

export interface DatabaseSession {
  config: GatehouseConfig;
  dataSource: DataSource;
  uow: UnitOfWork;
  auditLog: AuditLogRepository;
  identity: IdentityService;
  /** Who the audit log names for changes made from this command line. */
  operator: Actor;
}

/**
 * Opens the configured database (DATABASE_URL, or the embedded SQLite file) for a command and closes
 * it afterwards. The CLI talks to the database directly: it is the operator's tool on the server.
 */
export async function withDatabase<T>(
  work: (session: DatabaseSession) => Promise<T>,
  options: { requireSchema?: boolean } = {},
): Promise<T> {
  pinTimezoneToUtc();
  const config = loadConfig();
  const dataSource = createDataSource(config.database);
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new CliError(`cannot open the database (${describe(config)}): ${(error as Error).message}`);
  }
  try {
    if (options.requireSchema !== false && (await dataSource.showMigrations())) {
      throw new CliError(
        `the database (${describe(config)}) is not migrated to this version: run \`npx gatehouse migrate\` first`,
      );
    }
    const uow = new UnitOfWork(dataSource);
    const auditLog = new AuditLogRepository(uow);
    const identity = identityServiceOn(uow, config);
    const operator: Actor = {
      id: 'cli',
      name: `Command line (${userInfo().username})`,
      teamId: null,
      roles: ['admin'],
    };
    return await work({ config, dataSource, uow, auditLog, identity, operator });
  } finally {
    await dataSource.destroy();
  }
}

export function describe(config: GatehouseConfig): string {
  return config.database.kind === 'sqlite'
    ? `SQLite ${config.database.file}`
    : `PostgreSQL ${redactUrl(config.database.url.reveal())}`;
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) {
    parsed.password = '***';
  }
  return `${parsed.host}${parsed.pathname}`;
}
