import {
  EvalsError,
  loadSuiteFile,
  openFrozenDataset,
  parseDatasetRef,
  templateVariables,
} from '@gatehouse/evals';
import { type Command } from 'commander';
import { existsSync } from 'node:fs';
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
    .action(async (files: string[], options: { evalsDir?: string }) => {
      let failures = 0;
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
          process.stdout.write(
            `OK  ${file}  ${loaded.definition.name}@${loaded.definition.version} on ${loaded.definition.dataset} (${dataset.manifest.count} items)  sha256 ${loaded.hash}\n`,
          );
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
