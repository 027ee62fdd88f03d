import { type BootstrapOutcome, BootstrapService } from '@gatehouse/application';
import { ConfigError, type GatehouseConfig, loadConfig, pinTimezoneToUtc } from '@gatehouse/config';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const started = performance.now();
  pinTimezoneToUtc();
  let config: GatehouseConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const app = await createApiApp(config);
  const outcome = await app.get(BootstrapService).run();
  await app.listen(config.http.port, config.http.host);
  // With PORT=0 the system picks a free port: show where we really are.
  const url =
    config.http.port === 0 ? (await app.getUrl()).replace('[::1]', 'localhost') : config.http.publicUrl;
  printBanner(url, config, outcome, performance.now() - started);
  // Graceful stop: stop accepting requests, finish those in flight, close the database; exit 0. A stop
  // that takes longer than GATEHOUSE_SHUTDOWN_TIMEOUT_MS is cut short with exit code 1.
  const stop = (signal: NodeJS.Signals) => {
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`Gatehouse did not stop cleanly after ${signal}: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

/**
 * Printed to standard error, apart from the JSON log lines on standard output: one-time tokens must never
 * reach log storage that collects the log stream.
 */
function printBanner(
  url: string,
  config: GatehouseConfig,
  outcome: BootstrapOutcome,
  elapsedMs: number,
): void {
  const lines = [
    '',
    `Gatehouse is ready at ${url} (${config.database.kind === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL'}, ${config.queue.kind} queue) in ${Math.round(elapsedMs)} ms`,
    `  API docs:  ${url}/docs`,
    `  Health:    ${url}/health/ready`,
  ];
  if (outcome.admin?.token) {
    lines.push(
      '',
      'First start: an admin was created. Its API token is shown ONCE; keep it somewhere safe:',
      `  ${outcome.admin.name}: ${outcome.admin.token}`,
    );
  } else if (outcome.admin?.tokenFromEnvironment) {
    lines.push('', 'First start: an admin was created with the token in GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN.');
  }
  if (outcome.demoUsers.length > 0) {
    lines.push('', 'Example users (tokens shown once):');
    for (const user of outcome.demoUsers) {
      lines.push(`  ${user.name.padEnd(12)} ${user.roles.join(',').padEnd(13)} ${user.token}`);
    }
    lines.push('', `Try: curl -H "Authorization: Bearer <token>" ${url}/v1/ai-use-cases`);
  }
  const examples = outcome.examples;
  if (examples) {
    const { datasets, cassettes, suites } = examples.created;
    if (datasets + cassettes + suites > 0) {
      lines.push(
        '',
        `Example evaluations imported from ${config.runs.evalsDir}: ${datasets} dataset version(s), ${suites} suite(s), ${cassettes} cassette(s).`,
      );
    }
    lines.push(
      `Run one (an engineer's token): curl -X POST -H "Authorization: Bearer <token>" -H "Content-Type: application/json" \\`,
      `  -d '{"suite":"benefits-triage@1"}' ${url}/v1/runs`,
    );
    for (const problem of examples.problems) {
      lines.push(`  Not imported: ${problem}`);
    }
  }
  process.stderr.write(`${lines.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Gatehouse failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
