import { type UserView } from '@gatehouse/application';
import { type Command } from 'commander';
import { CliError } from '../cli-errors';
import type * as DatabaseSessionModule from '../database-session';
import { type DatabaseSession } from '../database-session';

/** Operator commands for the server: list users, and re-enrol one (e.g. when the admin token is lost). */
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
    .command('enrol')
    .description(
      'issue a new one-time enrolment token for a user (by id, email or exact name), e.g. when the admin token is lost; revokes all their API tokens; printed once',
    )
    .argument('<user>', 'user id, email or name')
    .option('--reason <reason>', 'why, for the audit log')
    .action(async (who: string, options: { reason?: string }) => {
      const { enrolment, revokedTokens, hours } = await session().withDatabase(async (session) => {
        const user = await findUser(session, who);
        const reissued = await session.identity.reissueEnrolment(
          { actor: session.operator, requestId: null },
          user.id,
          options.reason,
        );
        return { ...reissued, hours: session.config.enrolmentTtlHours };
      });
      process.stdout.write(`${enrolment.token}\n`);
      process.stderr.write(
        `Enrolment issued (${enrolment.displayPrefix}…), valid once for ${hours} h; ${revokedTokens} API token${revokedTokens === 1 ? '' : 's'} revoked.\n` +
          'The user exchanges it for their own API token: POST /v1/enrolments {"token": "<enrolment token>"}.\n',
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
