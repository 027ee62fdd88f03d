import { loadConfig } from '@gatehouse/config';
import {
  checkLiveEndpoints,
  type DatasetItem,
  type EndpointCheck,
  EvalsError,
  loadSuiteFile,
  openFrozenDataset,
  parseDatasetRef,
  templateVariables,
} from '@gatehouse/evals';
import { type Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, EXIT } from '../cli-errors';
import { evalsRoot } from '../evals-root';

export function registerSuiteCommands(program: Command): void {
  const suite = program.command('suite').description('evaluation suites');
  suite
    .command('validate')
    .description(
      'check suites against the schema, their dataset (exists, hash intact) and replay cassettes; exit 2 on any problem',
    )
    .argument('<files...>', 'suite files')
    .option('--evals-dir <dir>', 'where datasets/ and cassettes/ are')
    .option(
      '--check',
      'also check each live target and judge: the environment variables it needs are set, and one cheap call answers',
    )
    .action(async (files: string[], options: { evalsDir?: string; check?: boolean }) => {
      let failures = 0;
      const env = options.check ? loadConfig().evalEnvironment : {};
      for (const file of files) {
        try {
          const loaded = await loadSuiteFile(file);
          const root = evalsRoot(options.evalsDir, file);
          const { name, version } = parseDatasetRef(loaded.definition.dataset);
          const dataset = await openFrozenDataset(`${root}/datasets`, name, version);
          const metadataKeys = new Set(Object.keys(dataset.manifest.fields.metadata));
          const missing = [loaded.definition.prompt.template, loaded.definition.prompt.system ?? '']
            .flatMap(templateVariables)
            .filter((v) => v.startsWith('metadata.') && !metadataKeys.has(v.split('.')[1]));
          if (missing.length > 0) {
            throw new EvalsError(
              `the prompt uses ${missing.map((v) => `{{${v}}}`).join(', ')}, which no item of ${loaded.definition.dataset} has`,
              { file },
            );
          }
          const target = loaded.definition.target;
          if (target.type === 'replay' && !existsSync(`${root}/cassettes/${target.cassette}.jsonl`)) {
            throw new EvalsError(
              `cassette ${target.cassette} is missing from ${root}/cassettes: record it with --record`,
              { file },
            );
          }
          const checks: EndpointCheck[] = [];
          if (options.check) {
            let first: DatasetItem | undefined;
            for await (const item of dataset.items()) {
              first = item;
              break;
            }
            if (first) {
              checks.push(
                ...(await checkLiveEndpoints(loaded.definition, first, {
                  env,
                  baseDir: dirname(resolve(file)),
                  cassetteDir: `${root}/cassettes`,
                })),
              );
            }
            if (target.type === 'replay') {
              checks.push({ subject: 'target', ok: true, detail: 'replay: offline, nothing to call' });
            }
          }
          const failed = checks.filter((c) => !c.ok);
          if (failed.length === 0) {
            process.stdout.write(
              `OK  ${file}  ${loaded.definition.name}@${loaded.definition.version} on ${loaded.definition.dataset} (${dataset.manifest.count} items)  sha256 ${loaded.hash}\n`,
            );
          }
          for (const check of checks) {
            process.stdout.write(`  ${check.ok ? 'OK  ' : 'FAIL'}  ${check.subject}: ${check.detail}\n`);
          }
          if (failed.length > 0) {
            throw new EvalsError(
              `${failed.length} of ${checks.length} live check${checks.length === 1 ? '' : 's'} failed: ${failed.map((c) => `${c.subject}: ${c.detail}`).join('; ')}`,
              { file },
            );
          }
        } catch (error) {
          if (!(error instanceof EvalsError)) {
            throw error;
          }
          failures += 1;
          process.stderr.write(`${error.message}\n`);
        }
      }
      if (failures > 0) {
        throw new CliError(
          `${failures} of ${files.length} suite${files.length === 1 ? '' : 's'} failed validation`,
          EXIT.error,
        );
      }
    });
}
