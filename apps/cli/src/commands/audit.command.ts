import { type Command } from 'commander';
import { EXIT } from '../cli-errors';
import type * as DatabaseSessionModule from '../database-session';

/** Loaded when a database command runs: `gatehouse eval …` does not pay for Nest and TypeORM. */

const session = () => require('../database-session') as typeof DatabaseSessionModule;

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      're-compute the audit hash chain; exit 1 and name the first broken or missing link if it is not intact',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await session().withDatabase(({ auditLog }) => auditLog.verify());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else if (report.ok) {
        process.stdout.write(
          `Audit chain intact: ${report.eventsChecked} event(s), head ${report.headSeq} ${report.headHash}\n`,
        );
      } else if (report.firstBreak?.problem === 'missing_head') {
        process.stdout.write(
          `Audit chain BROKEN: its head record is missing (missing_head), after ${report.eventsChecked} event(s) that link:\n  ${report.firstBreak.detail}\n`,
        );
      } else {
        const broken = report.firstBreak;
        process.stdout.write(
          `Audit chain BROKEN at event ${broken?.seq} (${broken?.problem}${broken?.eventId ? `, event id ${broken.eventId}` : ''}):\n  ${broken?.detail}\n`,
        );
      }
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}
