import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Where datasets and cassettes live: `--evals-dir`, else the folder above a suite kept in `…/suites/`,
 * else `./evals`.
 */
export function evalsRoot(option: string | undefined, suiteFile?: string): string {
  if (option) {
    return resolve(option);
  }
  if (suiteFile) {
    const folder = dirname(resolve(suiteFile));
    if (basename(folder) === 'suites' && existsSync(join(dirname(folder), 'datasets'))) {
      return dirname(folder);
    }
  }
  return resolve('evals');
}
