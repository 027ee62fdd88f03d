import { type GatehouseConfig } from '@gatehouse/config';
import { assertHasRole, decidePublish, DomainError, sha256Hex } from '@gatehouse/domain';
import {
  assertDatasetName,
  canonicalItemsText,
  type DatasetItem,
  type DatasetManifest,
  EvalsError,
  parseCassette,
  parseDatasetRef,
  parseSuite,
  readUploadedDataset,
  type UploadedDataset,
} from '@gatehouse/evals';
import {
  ArtefactNameRepository,
  CassetteEntity,
  CassetteRepository,
  DatasetEntity,
  DatasetRepository,
  SuiteEntity,
  SuiteRepository,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import { claimName } from './artefact-names';
import { holderOf } from './cassette-pins';
import { evalsProblems } from './evals-problems';
import { type DatasetView, type SuiteView, toDatasetView, toSuiteView } from './registry.views';

/**
 * Datasets, suites and cassettes on the platform: immutable and content-addressed. Posting the same
 * content again returns the version that exists (so `gatehouse push` is idempotent); a changed suite
 * under an existing name and version is refused. A name belongs to the team that published it first
 * (decidePublish): another team publishing new content under it gets a 409.
 */
@Injectable()
export class RegistryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly datasets: DatasetRepository,
    private readonly suites: SuiteRepository,
    private readonly cassettes: CassetteRepository,
    private readonly names: ArtefactNameRepository,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /**
   * Freezes uploaded JSONL as a dataset version: the next one, or `version` when given (what
   * `gatehouse push` does, so suites keep pointing at the versions frozen in `evals/`). The same
   * content again returns the version that holds it.
   */
  async createDataset(
    context: RequestContext,
    input: { name: string; jsonl: string; version?: number; note?: string },
  ): Promise<{ dataset: DatasetView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a dataset');
    const { name, jsonl, note } = input;
    let upload: UploadedDataset;
    try {
      assertDatasetName(name);
      // Parsed, sorted and hashed in slices: a million-line upload never holds the event loop for long.
      upload = await readUploadedDataset(jsonl, 'items');
    } catch (error) {
      throw error instanceof EvalsError
        ? DomainError.validation(evalsProblems(error), `The dataset is not valid: ${error.message}`)
        : error;
    }
    const { items, sha256 } = upload;
    return this.uow.write(async (tx) => {
      if (input.version !== undefined) {
        const same = await this.datasets.findVersion(tx, name, input.version);
        if (same) {
          if (same.sha256 !== sha256) {
            await claimName(this.names, tx, context.actor, 'dataset', name);
          }
          return { dataset: this.sameContent(same, sha256), created: false };
        }
      } else {
        const existing = await this.datasets.findContent(tx, name, sha256);
        if (existing) {
          return { dataset: toDatasetView(existing), created: false };
        }
      }
      const ownerTeamId = await claimName(this.names, tx, context.actor, 'dataset', name);
      const version = input.version ?? (await this.datasets.latestVersion(tx, name)) + 1;
      const manifest: DatasetManifest = {
        name,
        version,
        sha256,
        count: items.length,
        fields: upload.fields,
        provenance: {
          sourceFile: 'upload',
          sourceSha256: upload.sourceSha256,
          frozenWith: `gatehouse ${this.config.version} api`,
          ...(note ? { note } : {}),
        },
        createdAt: new Date().toISOString(),
      };
      const view = await this.insertDataset(tx, context, manifest, items, 'dataset.frozen', ownerTeamId);
      return { dataset: view, created: true };
    });
  }

  /** Stores a dataset version exactly as frozen elsewhere (the CLI's `evals/datasets`), keeping its version. */
  async importFrozenDataset(
    context: RequestContext,
    manifest: DatasetManifest,
    items: DatasetItem[],
  ): Promise<{ dataset: DatasetView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a dataset');
    const sha256 = sha256Hex(canonicalItemsText(items));
    if (sha256 !== manifest.sha256 || items.length !== manifest.count) {
      throw DomainError.validation([
        {
          field: 'manifest.sha256',
          message: `does not match the items (they hash to ${sha256})`,
          code: 'hash_mismatch',
        },
      ]);
    }
    return this.uow.write(async (tx) => {
      const same = await this.datasets.findVersion(tx, manifest.name, manifest.version);
      if (same?.sha256 === sha256) {
        return { dataset: toDatasetView(same), created: false };
      }
      const ownerTeamId = await claimName(this.names, tx, context.actor, 'dataset', manifest.name);
      if (same) {
        return { dataset: this.sameContent(same, sha256), created: false };
      }
      return {
        dataset: await this.insertDataset(tx, context, manifest, items, 'dataset.imported', ownerTeamId),
        created: true,
      };
    });
  }

  private sameContent(existing: DatasetEntity, sha256: string): DatasetView {
    if (existing.sha256 !== sha256) {
      throw new DomainError(
        'conflict',
        `Dataset ${existing.name}@${existing.version} exists with other content (sha256 ${existing.sha256}); versions are immutable, so freeze the change as a new version.`,
        [{ field: 'version', message: 'is already used by different content', code: 'versions_immutable' }],
        'versions_immutable',
      );
    }
    return toDatasetView(existing);
  }

  private async insertDataset(
    tx: Tx,
    context: RequestContext,
    manifest: DatasetManifest,
    items: DatasetItem[],
    action: 'dataset.frozen' | 'dataset.imported',
    ownerTeamId: string | null,
  ): Promise<DatasetView> {
    const entity = Object.assign(new DatasetEntity(), {
      id: randomUUID(),
      name: manifest.name,
      version: manifest.version,
      sha256: manifest.sha256,
      itemCount: items.length,
      manifest,
      ownerTeamId,
      createdBy: context.actor.id,
      createdAt: new Date(),
    });
    if (!(await this.datasets.insert(tx, entity))) {
      throw new DomainError(
        'conflict',
        `Dataset ${manifest.name}@${manifest.version} was created meanwhile; retry.`,
        [],
        'versions_immutable',
      );
    }
    const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await this.datasets.insertItems(tx, entity.id, ordered);
    await this.audit.record(tx, context, {
      action,
      subjectType: 'dataset',
      subjectId: entity.id,
      after: { name: entity.name, version: entity.version, sha256: entity.sha256, count: items.length },
    });
    return toDatasetView(entity);
  }

  /** Every dataset version, newest version of each name first; `name` narrows to one dataset. */
  async listDatasets(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: DatasetView[]; total: number }> {
    const { items, total } = await this.datasets.page(filter);
    return { items: items.map(toDatasetView), total };
  }

  async dataset(name: string, version: number): Promise<DatasetView> {
    return toDatasetView(await this.uow.read((tx) => this.findDataset(tx, name, version)));
  }

  async datasetItems(
    name: string,
    version: number,
    limit: number,
    offset: number,
  ): Promise<{ items: DatasetItem[]; total: number }> {
    return this.uow.read(async (tx) => {
      const dataset = await this.findDataset(tx, name, version);
      const items = await this.datasets.items(tx, dataset.id, limit, offset);
      return { items: items as DatasetItem[], total: dataset.itemCount };
    });
  }

  async findDataset(tx: Tx, name: string, version: number): Promise<DatasetEntity> {
    const dataset = await this.datasets.findVersion(tx, name, version);
    if (!dataset) {
      throw DomainError.notFound(`Dataset ${name}@${version}`);
    }
    return dataset;
  }

  /** Validates a suite (YAML or JSON text) and stores it pinned to its dataset version. */
  async createSuite(
    context: RequestContext,
    source: string,
  ): Promise<{ suite: SuiteView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Publishing a suite');
    let loaded;
    try {
      loaded = parseSuite(source, 'suite');
    } catch (error) {
      throw error instanceof EvalsError
        ? DomainError.validation(evalsProblems(error), 'The suite is not valid.')
        : error;
    }
    const { definition, hash } = loaded;
    const ref = parseDatasetRef(definition.dataset);
    return this.uow.write(async (tx) => {
      const dataset = await this.datasets.findVersion(tx, ref.name, ref.version);
      if (!dataset) {
        throw DomainError.validation([
          {
            field: 'dataset',
            message: `${definition.dataset} is not on this server: upload it first (gatehouse push)`,
            code: 'unknown_reference',
          },
        ]);
      }
      const existing = await this.suites.findVersion(tx, definition.name, definition.version);
      const ownerTeamId =
        existing?.sha256 === hash
          ? null
          : await claimName(this.names, tx, context.actor, 'suite', definition.name);
      if (existing) {
        if (existing.sha256 !== hash) {
          throw new DomainError(
            'conflict',
            `Suite ${definition.name}@${definition.version} exists with other content; versions are immutable, so publish the change as version ${definition.version + 1}.`,
            [
              {
                field: 'version',
                message: 'is already used by different content',
                code: 'versions_immutable',
              },
            ],
            'versions_immutable',
          );
        }
        return { suite: toSuiteView(existing, dataset), created: false };
      }
      const entity = Object.assign(new SuiteEntity(), {
        id: randomUUID(),
        name: definition.name,
        version: definition.version,
        sha256: hash,
        definition,
        source,
        datasetId: dataset.id,
        ownerTeamId,
        createdBy: context.actor.id,
        createdAt: new Date(),
      });
      if (!(await this.suites.insert(tx, entity))) {
        throw new DomainError(
          'conflict',
          `Suite ${definition.name}@${definition.version} was published meanwhile.`,
          [],
          'versions_immutable',
        );
      }
      await this.audit.record(tx, context, {
        action: 'suite.published',
        subjectType: 'suite',
        subjectId: entity.id,
        after: { name: entity.name, version: entity.version, sha256: hash, dataset: definition.dataset },
      });
      return { suite: toSuiteView(entity, dataset), created: true };
    });
  }

  async listSuites(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: SuiteView[]; total: number }> {
    const { items, total } = await this.suites.page(filter);
    return { items: items.map((s) => toSuiteView(s, s.dataset)), total };
  }

  /** Cassettes on the server (names, hashes, entry counts), newest upload first. */
  async listCassettes(): Promise<{ name: string; sha256: string; entries: number; createdAt: string }[]> {
    return (await this.cassettes.list()).map((c) => ({
      name: c.name,
      sha256: c.sha256,
      entries: c.entryCount,
      createdAt: c.createdAt.toISOString(),
    }));
  }

  async suite(name: string, version: number): Promise<SuiteView> {
    const suite = await this.suites.findWithDataset(name, version);
    if (!suite) {
      throw DomainError.notFound(`Suite ${name}@${version}`);
    }
    return toSuiteView(suite, suite.dataset);
  }

  /** Stores a replay cassette (JSONL of recorded responses); the same content twice is one cassette. */
  async createCassette(
    context: RequestContext,
    name: string,
    content: string,
  ): Promise<{ name: string; sha256: string; entries: number; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a cassette');
    let parsed;
    try {
      parsed = parseCassette(content, `cassette ${name}`);
    } catch (error) {
      throw error instanceof EvalsError
        ? DomainError.validation(evalsProblems(error), 'The cassette is not valid.')
        : error;
    }
    return this.uow.write(async (tx) => {
      const existing = await this.cassettes.findContent(tx, name, parsed.sha256);
      if (existing) {
        // The same content again is the same artefact. From its owner it becomes the current content
        // again (what a target registered next pins); from anyone else it changes nothing.
        const decision = decidePublish(
          context.actor,
          holderOf(await this.names.firstOfName(tx, 'cassettes', name)),
        );
        if (decision.allowed && existing.ownerTeamId === decision.ownerTeamId) {
          const now = new Date();
          await this.cassettes.republish(tx, existing.id, now);
          await this.audit.record(tx, context, {
            action: 'cassette.republished',
            subjectType: 'cassette',
            subjectId: existing.id,
            before: { publishedAt: existing.publishedAt?.toISOString() ?? null },
            after: { name, sha256: existing.sha256, publishedAt: now.toISOString() },
          });
        }
        return { name, sha256: existing.sha256, entries: existing.entryCount, created: false };
      }
      const ownerTeamId = await claimName(this.names, tx, context.actor, 'cassette', name);
      const now = new Date();
      const entity = Object.assign(new CassetteEntity(), {
        id: randomUUID(),
        name,
        sha256: parsed.sha256,
        entryCount: parsed.entries.size,
        content,
        recordedFrom: parsed.recordedFrom,
        ownerTeamId,
        createdBy: context.actor.id,
        createdAt: now,
        publishedAt: now,
      });
      await this.cassettes.insert(tx, entity);
      await this.audit.record(tx, context, {
        action: 'cassette.uploaded',
        subjectType: 'cassette',
        subjectId: entity.id,
        after: {
          name,
          sha256: parsed.sha256,
          entries: parsed.entries.size,
          recordedFrom: parsed.recordedFrom,
        },
      });
      return { name, sha256: parsed.sha256, entries: parsed.entries.size, created: true };
    });
  }

  /** One cassette's content, by name and content hash (what a run pinned). */
  async cassetteContent(name: string, sha256: string): Promise<string> {
    const content = await this.cassettes.content(name, sha256);
    if (content === null) {
      throw new EvalsError(
        `cassette ${name} with sha256 ${sha256} is not on this server: upload it with \`gatehouse push\``,
      );
    }
    return content;
  }

  cassetteExists(name: string): Promise<boolean> {
    return this.cassettes.existsNamed(name);
  }
}
