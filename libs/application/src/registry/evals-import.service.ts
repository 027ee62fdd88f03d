import { type Actor, DomainError } from '@gatehouse/domain';
import { type DatasetItem, openFrozenDataset, scanEvalsDirectory } from '@gatehouse/evals';
import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { type RequestContext } from '../request-context';
import { RegistryService } from './registry.service';

export interface ImportSummary {
  created: { datasets: number; cassettes: number; suites: number };
  unchanged: number;
  /** What could not be imported, one line each (file and reason). */
  problems: string[];
}

/** The embedded quick start's importer: the shipped `evals/` examples, imported as the system. */
export const EXAMPLES_ACTOR: Actor = {
  id: 'system',
  name: 'Gatehouse (examples)',
  teamId: null,
  roles: ['engineer'],
};

/**
 * Imports an `evals/` folder (frozen datasets, cassettes, suites) into the registry, keeping dataset
 * versions. Idempotent: content already there is left alone, so every embedded start can run it.
 */
@Injectable()
export class EvalsImportService {
  private readonly logger = new Logger(EvalsImportService.name);

  constructor(private readonly registry: RegistryService) {}

  async importDirectory(
    root: string,
    context: RequestContext = { actor: EXAMPLES_ACTOR, requestId: null },
  ): Promise<ImportSummary> {
    const folder = await scanEvalsDirectory(root);
    const summary: ImportSummary = {
      created: { datasets: 0, cassettes: 0, suites: 0 },
      unchanged: 0,
      problems: [],
    };
    const count = (kind: keyof ImportSummary['created'], created: boolean) => {
      if (created) {
        summary.created[kind] += 1;
      } else {
        summary.unchanged += 1;
      }
    };
    const attempt = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (error) {
        const details =
          error instanceof DomainError ? error.problems.map((p) => `; ${p.field} ${p.message}`).join('') : '';
        const reason = `${error instanceof Error ? error.message : String(error)}${details}`;
        summary.problems.push(`${what}: ${reason}`);
      }
    };
    for (const { name, version } of folder.datasets) {
      await attempt(`dataset ${name}@${version}`, async () => {
        const dataset = await openFrozenDataset(`${root}/datasets`, name, version);
        const items: DatasetItem[] = [];
        for await (const item of dataset.items()) {
          items.push(item);
        }
        count(
          'datasets',
          (await this.registry.importFrozenDataset(context, dataset.manifest, items)).created,
        );
      });
    }
    for (const cassette of folder.cassettes) {
      await attempt(cassette.file, async () => {
        count(
          'cassettes',
          (await this.registry.createCassette(context, cassette.name, await readFile(cassette.file, 'utf8')))
            .created,
        );
      });
    }
    for (const file of folder.suites) {
      await attempt(file, async () => {
        count('suites', (await this.registry.createSuite(context, await readFile(file, 'utf8'))).created);
      });
    }
    const created = summary.created.datasets + summary.created.cassettes + summary.created.suites;
    if (created > 0) {
      this.logger.log(
        `Imported ${root}: ${summary.created.datasets} dataset version(s), ${summary.created.cassettes} cassette(s), ${summary.created.suites} suite(s).`,
      );
    }
    for (const problem of summary.problems) {
      this.logger.warn(`Not imported: ${problem}`);
    }
    return summary;
  }
}
