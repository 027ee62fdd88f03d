import { mapSuiteToConnections, openFrozenDataset, scanEvalsDirectory } from '@gatehouse/evals';
import { type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError, EXIT } from '../cli-errors';
import { evalsRoot } from '../evals-root';
import { describeProblem, type Problem, RemoteServer } from '../remote';

interface PushOptions {
  evalsDir?: string;
  url?: string;
  token?: string;
  connection?: string;
  judgeConnection?: string;
}

/**
 * `gatehouse push`: syncs an evals folder to a server — frozen datasets (keeping their versions), then
 * cassettes, then suites. Idempotent by content hash: what the server already holds is reported as
 * unchanged; a different content under an existing version is refused and named.
 */
export function registerPushCommand(program: Command): void {
  program
    .command('push')
    .description(
      'upload the datasets, cassettes and suites of an evals folder to a Gatehouse server (idempotent)',
    )
    .option('--evals-dir <dir>', 'the evals folder (default ./evals)')
    .option('--url <url>', 'the server (default GATEHOUSE_URL or http://localhost:3000)')
    .option('--token <token>', 'an engineer API token (default GATEHOUSE_TOKEN; prefer the variable)')
    .option(
      '--connection <name>',
      'on the server, live targets call the model through this admin connection (not their baseUrl/url, key variable or headers)',
    )
    .option(
      '--judge-connection <name>',
      'on the server, live judges call their model through this connection',
    )
    .action(async (options: PushOptions) => {
      const server = new RemoteServer(options);
      const root = evalsRoot(options.evalsDir);
      const folder = await scanEvalsDirectory(root);
      if (folder.datasets.length + folder.cassettes.length + folder.suites.length === 0) {
        throw new CliError(`${root} holds no datasets/, cassettes/ or suites/ to push`);
      }
      const counts = { created: 0, unchanged: 0, refused: 0 };
      const report = (what: string, status: number, body: unknown) => {
        if (status === 201 || status === 200) {
          counts[status === 201 ? 'created' : 'unchanged'] += 1;
          process.stdout.write(`${status === 201 ? 'created  ' : 'unchanged'}  ${what}\n`);
        } else {
          counts.refused += 1;
          process.stdout.write(`REFUSED    ${what}: ${describeProblem(body as Problem)}\n`);
        }
      };
      for (const { name, version } of folder.datasets) {
        // Verifies the frozen hash first: an edited dataset is never uploaded.
        const dataset = await openFrozenDataset(`${root}/datasets`, name, version);
        const text = await readFile(dataset.itemsFile, 'utf8');
        const query = new URLSearchParams({ name, version: String(version) });
        const { status, body } = await server.call('POST', `/v1/datasets?${query}`, {
          text,
          type: 'application/x-ndjson',
        });
        report(
          `dataset  ${name}@${version} (${dataset.manifest.count} items, sha256 ${dataset.manifest.sha256.slice(0, 12)})`,
          status,
          body,
        );
      }
      for (const cassette of folder.cassettes) {
        const text = await readFile(cassette.file, 'utf8');
        const { status, body } = await server.call(
          'POST',
          `/v1/cassettes?name=${encodeURIComponent(cassette.name)}`,
          {
            text,
            type: 'application/x-ndjson',
          },
        );
        report(`cassette ${cassette.name}`, status, body);
      }
      for (const file of folder.suites) {
        const text = await readFile(file, 'utf8');
        const { status, body } =
          options.connection || options.judgeConnection
            ? await server.call('POST', '/v1/suites', {
                text: JSON.stringify(
                  mapSuiteToConnections(parseSuiteFile(text, file), {
                    target: options.connection,
                    judges: options.judgeConnection,
                  }),
                ),
                type: 'application/json',
              })
            : await server.call('POST', '/v1/suites', { text, type: 'application/yaml' });
        const suite = body as { name?: string; version?: number };
        report(
          `suite    ${suite.name ? `${suite.name}@${suite.version}` : relative(process.cwd(), file)}`,
          status,
          body,
        );
      }
      process.stdout.write(
        `\n${server.url}: ${counts.created} created, ${counts.unchanged} unchanged, ${counts.refused} refused\n`,
      );
      if (counts.refused > 0) {
        throw new CliError(`${counts.refused} item(s) were refused by ${server.url}`, EXIT.error);
      }
    });
}

function parseSuiteFile(text: string, file: string): Record<string, unknown> {
  try {
    const parsed: unknown = parseYaml(text, { maxAliasCount: 100 });
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch (error) {
    throw new CliError(`${file}: is not valid YAML (${(error as Error).message})`);
  }
  throw new CliError(`${file}: is not a suite (a YAML mapping)`);
}
