import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { listVersions } from '../datasets/frozen-dataset';

/** What an `evals/` folder holds, in the order a server needs it: datasets, then cassettes, then suites. */
export interface EvalsDirectory {
  root: string;
  datasets: { name: string; version: number }[];
  /** Cassette name (file name without `.jsonl`) and file. */
  cassettes: { name: string; file: string }[];
  suites: string[];
}

const SUITE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

async function entries(directory: string): Promise<string[]> {
  return (await readdir(directory).catch(() => [] as string[])).sort();
}

/** Lists `<root>/datasets/<name>/<version>`, `<root>/cassettes/*.jsonl` and `<root>/suites/*.{yaml,yml,json}`. */
export async function scanEvalsDirectory(root: string): Promise<EvalsDirectory> {
  const datasets: EvalsDirectory['datasets'] = [];
  for (const name of await entries(join(root, 'datasets'))) {
    for (const version of await listVersions(join(root, 'datasets', name))) {
      datasets.push({ name, version });
    }
  }
  const cassettes = (await entries(join(root, 'cassettes')))
    .filter((file) => file.endsWith('.jsonl'))
    .map((file) => ({ name: basename(file, '.jsonl'), file: join(root, 'cassettes', file) }));
  const suites = (await entries(join(root, 'suites')))
    .filter((file) => SUITE_EXTENSIONS.has(extname(file)))
    .map((file) => join(root, 'suites', file));
  return { root, datasets, cassettes, suites };
}
