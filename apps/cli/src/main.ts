import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.command';
import { registerDatasetCommands } from './commands/dataset.command';
import { registerEvalCommands } from './commands/eval.command';
import { registerGateCommands } from './commands/gate.command';
import { registerMigrateCommand } from './commands/migrate.command';
import { registerPushCommand } from './commands/push.command';
import { registerRunCommands } from './commands/run.command';
import { registerSuiteCommands } from './commands/suite.command';
import { registerUsersCommands } from './commands/users.command';
import { EXIT, reportError } from './cli-errors';

export function buildProgram(): Command {
  const program = new Command()
    .name('gatehouse')
    .description('Gatehouse: evaluate AI use cases, check stage gates, verify the audit log.')
    .showHelpAfterError()
    .exitOverride();
  registerEvalCommands(program);
  registerSuiteCommands(program);
  registerDatasetCommands(program);
  registerPushCommand(program);
  registerRunCommands(program);
  registerGateCommands(program);
  registerMigrateCommand(program);
  registerAuditCommands(program);
  registerUsersCommands(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    return reportError(error);
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
