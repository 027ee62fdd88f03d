import { freezeDataset } from '@gatehouse/evals';
import { type Command } from 'commander';
import { relative } from 'node:path';
import { evalsRoot } from '../evals-root';
import { packageVersion } from '../provenance';

export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('frozen, content-addressed datasets');
  dataset
    .command('freeze')
    .description(
      'freeze a JSONL or CSV file as the next version of a named dataset (evals/datasets/<name>/<version>/)',
    )
    .argument(
      '<file>',
      'items as JSONL ({id, input, expected?, metadata?} per line) or CSV (id, input, expected, metadata.<key> columns)',
    )
    .requiredOption('--name <name>', 'the dataset name')
    .option('--note <text>', 'provenance note kept in the manifest (where the items came from)')
    .option('--evals-dir <dir>', 'the evals folder (default ./evals)')
    .action(async (file: string, options: { name: string; note?: string; evalsDir?: string }) => {
      const root = `${evalsRoot(options.evalsDir)}/datasets`;
      const { manifest, directory, created } = await freezeDataset(file, {
        name: options.name,
        root,
        note: options.note,
        frozenWith: `gatehouse ${packageVersion()}`,
      });
      process.stdout.write(
        created
          ? `Froze ${manifest.count} items as ${manifest.name}@${manifest.version} in ${relative(process.cwd(), directory)}\nsha256 ${manifest.sha256}\n`
          : `Unchanged: the items are exactly ${manifest.name}@${manifest.version} (sha256 ${manifest.sha256}); no new version.\n`,
      );
    });
}
