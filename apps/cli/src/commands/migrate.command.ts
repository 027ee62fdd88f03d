import { runMigrations } from '@gatehouse/persistence';
import { type Command } from 'commander';
import type * as DatabaseSessionModule from '../database-session';

/** Loaded when a database command runs: `gatehouse eval …` does not pay for Nest and TypeORM. */

const session = () => require('../database-session') as typeof DatabaseSessionModule;

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending database migrations (PostgreSQL from DATABASE_URL, else the embedded SQLite file)',
    )
    .action(async () => {
      await session().withDatabase(
        async ({ config, dataSource }) => {
          const applied = await runMigrations(dataSource);
          process.stdout.write(
            applied.length === 0
              ? `Database ${session().describe(config)} is up to date.\n`
              : `Applied ${applied.length} migration(s) to ${session().describe(config)}:\n${applied.map((m) => `  ${m}`).join('\n')}\n`,
          );
        },
        { requireSchema: false },
      );
    });
}
