import { runMigrations } from '@gatehouse/persistence';
import { type Command } from 'commander';
import { describe, withDatabase } from '../database-session';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending database migrations (PostgreSQL from DATABASE_URL, else the embedded SQLite file)',
    )
    .action(async () => {
      await withDatabase(
        async ({ config, dataSource }) => {
          const applied = await runMigrations(dataSource);
          process.stdout.write(
            applied.length === 0
              ? `Database ${describe(config)} is up to date.\n`
              : `Applied ${applied.length} migration(s) to ${describe(config)}:\n${applied.map((m) => `  ${m}`).join('\n')}\n`,
          );
        },
        { requireSchema: false },
      );
    });
}
