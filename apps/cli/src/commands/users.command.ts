import { type UserView } from '@gatehouse/application';
import { type Command } from 'commander';
import { CliError } from '../cli-errors';
import type * as DatabaseSessionModule from '../database-session';
import { type DatabaseSession } from '../database-session';

/** Operator commands for the server: list users and issue a token when the admin token is lost. */
/** Loaded when a database command runs: `gatehouse eval …` does not pay for Nest and TypeORM. */

const session = () => require('../database-session') as typeof DatabaseSessionModule;

export function registerUsersCommands(program: Command): void {
  const users = program
    .command('users')
    .description('users and API tokens, straight in the database (server operators)');
  users
    .command('list')
    .description('list users with their roles and teams')
    .action(async () => {
      const { items } = await session().withDatabase(({ identity }) => identity.listUsers(200, 0));
      for (const user of items) {
        process.stdout.write(
          `${user.id}  ${user.name.padEnd(24)} ${user.roles.join(',').padEnd(24)} ${user.team?.name ?? ''}${user.disabled ? '  (disabled)' : ''}\n`,
        );
      }
    });
  users
    .command('issue-token')
    .description('issue a new API token for a user (by id, email or exact name); printed once')
    .argument('<user>', 'user id, email or name')
    .option('--name <name>', 'a name for the token', 'issued-from-cli')
    .option('--expires-in-days <days>', 'days until the token stops working')
    .action(async (who: string, options: { name: string; expiresInDays?: string }) => {
      const expiresInDays = options.expiresInDays === undefined ? undefined : Number(options.expiresInDays);
      if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1)) {
        throw new CliError('--expires-in-days must be a whole number of days, 1 or more');
      }
      const token = await session().withDatabase(async (session) => {
        const user = await findUser(session, who);
        return session.identity.issueToken({ actor: session.operator, requestId: null }, user.id, {
          name: options.name,
          expiresInDays,
        });
      });
      process.stdout.write(`${token.token}\n`);
      process.stderr.write(
        `Token "${token.name}" issued (${token.displayPrefix}…). It is shown once; only its hash is stored.\n`,
      );
    });
}

async function findUser(session: DatabaseSession, who: string): Promise<UserView> {
  const { items } = await session.identity.listUsers(10_000, 0);
  const matches = items.filter((u) => u.id === who || u.email === who || u.name === who);
  if (matches.length === 0) {
    throw new CliError(`no user "${who}"; \`npx gatehouse users list\` shows them`);
  }
  if (matches.length > 1) {
    throw new CliError(`"${who}" matches ${matches.length} users; use the id`);
  }
  return matches[0];
}
