import { assertHasRole, DomainError, type FieldProblem, sha256Hex } from '@gatehouse/domain';
import {
  canonicalItemsText,
  checkItems,
  type DatasetItem,
  type DatasetManifest,
  EvalsError,
  parseCassette,
  parseDatasetRef,
  parseJsonlText,
  parseSuite,
  summariseFields,
  SuiteValidationError,
} from '@gatehouse/evals';
import { CassetteEntity, DatasetEntity, DatasetItemEntity, isUniqueViolation, SuiteEntity, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { type DatasetView, type SuiteView, toDatasetView, toSuiteView } from './registry.views';

const CHUNK = 500;

/** An evals problem (file, line, field) as field problems for the API. */
export function evalsProblems(error: EvalsError): FieldProblem[] {
  if (error instanceof SuiteValidationError) {
    return error.problems.map((p) => ({ field: p.field, message: `${p.message}${p.line ? ` (line ${p.line}, column ${p.column})` : ''}`, code: 'invalid' }));
  }
  return [{ field: error.location.field ?? '(body)', message: error.message, code: 'invalid' }];
}

/**
 * Datasets, suites and cassettes on the platform: immutable and content-addressed. Posting the same
 * content again returns the version that exists (so `gatehouse push` is idempotent); a changed suite
 * under an existing name and version is refused.
 */
@Injectable()
export class RegistryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  /** Freezes uploaded JSONL as the next version of a dataset (or returns the identical one). */
  async createDataset(context: RequestContext, name: string, jsonl: string, note?: string): Promise<{ dataset: DatasetView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a dataset');
    let items: DatasetItem[];
    try {
      parseDatasetRef(`${name}@1`);
      items = checkItems(parseJsonlText(jsonl, 'items'), 'items');
    } catch (error) {
      throw error instanceof EvalsError ? DomainError.validation(evalsProblems(error), `The dataset is not valid: ${error.message}`) : error;
    }
    const text = canonicalItemsText(items);
    const sha256 = sha256Hex(text);
    return this.uow.write(async (m) => {
      const existing = await m.findOneBy(DatasetEntity, { name, sha256 });
      if (existing) {
        return { dataset: toDatasetView(existing), created: false };
      }
      const latest = await m.findOne(DatasetEntity, { where: { name }, order: { version: 'DESC' } });
      const version = (latest?.version ?? 0) + 1;
      const now = new Date();
      const manifest: DatasetManifest = {
        name,
        version,
        sha256,
        count: items.length,
        fields: summariseFields(items),
        provenance: { sourceFile: 'upload', sourceSha256: sha256Hex(jsonl), frozenWith: 'gatehouse api', ...(note ? { note } : {}) },
        createdAt: now.toISOString(),
      };
      const entity = Object.assign(new DatasetEntity(), {
        id: randomUUID(),
        name,
        version,
        sha256,
        itemCount: items.length,
        manifest,
        createdBy: context.actor.id,
        createdAt: now,
      });
      await this.insertDataset(m, entity, items);
      const view = toDatasetView(entity);
      await this.audit.record(m, context, {
        action: 'dataset.frozen',
        subjectType: 'dataset',
        subjectId: entity.id,
        after: { name, version, sha256, count: items.length },
      });
      return { dataset: view, created: true };
    });
  }

  /** Stores a dataset version exactly as frozen elsewhere (the CLI's `evals/datasets`), keeping its version. */
  async importFrozenDataset(context: RequestContext, manifest: DatasetManifest, items: DatasetItem[]): Promise<{ dataset: DatasetView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a dataset');
    const sha256 = sha256Hex(canonicalItemsText(items));
    if (sha256 !== manifest.sha256 || items.length !== manifest.count) {
      throw DomainError.validation([{ field: 'manifest.sha256', message: `does not match the items (they hash to ${sha256})`, code: 'hash_mismatch' }]);
    }
    return this.uow.write(async (m) => {
      const same = await m.findOneBy(DatasetEntity, { name: manifest.name, version: manifest.version });
      if (same) {
        if (same.sha256 !== sha256) {
          throw new DomainError('conflict', `Dataset ${manifest.name}@${manifest.version} exists with other content; versions are immutable.`, [], 'versions_immutable');
        }
        return { dataset: toDatasetView(same), created: false };
      }
      const entity = Object.assign(new DatasetEntity(), {
        id: randomUUID(),
        name: manifest.name,
        version: manifest.version,
        sha256,
        itemCount: items.length,
        manifest,
        createdBy: context.actor.id,
        createdAt: new Date(),
      });
      await this.insertDataset(m, entity, items);
      await this.audit.record(m, context, {
        action: 'dataset.imported',
        subjectType: 'dataset',
        subjectId: entity.id,
        after: { name: entity.name, version: entity.version, sha256, count: items.length },
      });
      return { dataset: toDatasetView(entity), created: true };
    });
  }

  private async insertDataset(m: EntityManager, entity: DatasetEntity, items: DatasetItem[]): Promise<void> {
    await m.insert(DatasetEntity, entity);
    const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < ordered.length; i += CHUNK) {
      const rows = ordered.slice(i, i + CHUNK).map((item, j) => ({ datasetId: entity.id, itemId: item.id, seq: i + j, item }));
      await m.createQueryBuilder().insert().into(DatasetItemEntity).values(rows).updateEntity(false).execute();
    }
  }

  listDatasets(): Promise<DatasetView[]> {
    return this.uow.read(async (m) => (await m.find(DatasetEntity, { order: { name: 'ASC', version: 'DESC' } })).map(toDatasetView));
  }

  async dataset(name: string, version: number): Promise<DatasetView> {
    return toDatasetView(await this.uow.read((m) => this.findDataset(m, name, version)));
  }

  async datasetItems(name: string, version: number, limit: number, offset: number): Promise<{ items: DatasetItem[]; total: number }> {
    return this.uow.read(async (m) => {
      const dataset = await this.findDataset(m, name, version);
      const rows = await m.find(DatasetItemEntity, { where: { datasetId: dataset.id }, order: { seq: 'ASC' }, take: limit, skip: offset });
      return { items: rows.map((r) => r.item as DatasetItem), total: dataset.itemCount };
    });
  }

  async findDataset(m: EntityManager, name: string, version: number): Promise<DatasetEntity> {
    const dataset = await m.findOneBy(DatasetEntity, { name, version });
    if (!dataset) {
      throw DomainError.notFound(`Dataset ${name}@${version}`);
    }
    return dataset;
  }

  /** Validates a suite (YAML or JSON text) and stores it pinned to its dataset version. */
  async createSuite(context: RequestContext, source: string): Promise<{ suite: SuiteView; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Publishing a suite');
    let loaded;
    try {
      loaded = parseSuite(source, 'suite');
    } catch (error) {
      throw error instanceof EvalsError ? DomainError.validation(evalsProblems(error), 'The suite is not valid.') : error;
    }
    const { definition, hash } = loaded;
    const ref = parseDatasetRef(definition.dataset);
    return this.uow.write(async (m) => {
      const dataset = await m.findOneBy(DatasetEntity, { name: ref.name, version: ref.version });
      if (!dataset) {
        throw DomainError.validation([{ field: 'dataset', message: `${definition.dataset} is not on this server: upload it first (gatehouse push)`, code: 'unknown_reference' }]);
      }
      const existing = await m.findOneBy(SuiteEntity, { name: definition.name, version: definition.version });
      if (existing) {
        if (existing.sha256 !== hash) {
          throw new DomainError(
            'conflict',
            `Suite ${definition.name}@${definition.version} exists with other content; versions are immutable, so publish the change as version ${definition.version + 1}.`,
            [{ field: 'version', message: 'is already used by different content', code: 'versions_immutable' }],
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
        createdBy: context.actor.id,
        createdAt: new Date(),
      });
      try {
        await m.insert(SuiteEntity, entity);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new DomainError('conflict', `Suite ${definition.name}@${definition.version} was published meanwhile.`, [], 'versions_immutable');
        }
        throw error;
      }
      await this.audit.record(m, context, {
        action: 'suite.published',
        subjectType: 'suite',
        subjectId: entity.id,
        after: { name: entity.name, version: entity.version, sha256: hash, dataset: definition.dataset },
      });
      return { suite: toSuiteView(entity, dataset), created: true };
    });
  }

  listSuites(): Promise<SuiteView[]> {
    return this.uow.read(async (m) => {
      const suites = await m.find(SuiteEntity, { relations: { dataset: true }, order: { name: 'ASC', version: 'DESC' } });
      return suites.map((s) => toSuiteView(s, s.dataset as DatasetEntity));
    });
  }

  async suite(name: string, version: number): Promise<SuiteView> {
    return this.uow.read(async (m) => {
      const suite = await m.findOne(SuiteEntity, { where: { name, version }, relations: { dataset: true } });
      if (!suite) {
        throw DomainError.notFound(`Suite ${name}@${version}`);
      }
      return toSuiteView(suite, suite.dataset as DatasetEntity);
    });
  }

  /** Stores a replay cassette (JSONL of recorded responses); the same content twice is one cassette. */
  async createCassette(context: RequestContext, name: string, content: string): Promise<{ name: string; sha256: string; entries: number; created: boolean }> {
    assertHasRole(context.actor, ['engineer'], 'Uploading a cassette');
    let parsed;
    try {
      parsed = parseCassette(content, `cassette ${name}`);
    } catch (error) {
      throw error instanceof EvalsError ? DomainError.validation(evalsProblems(error), 'The cassette is not valid.') : error;
    }
    return this.uow.write(async (m) => {
      const existing = await m.findOneBy(CassetteEntity, { name, sha256: parsed.sha256 });
      if (existing) {
        return { name, sha256: existing.sha256, entries: existing.entryCount, created: false };
      }
      const entity = Object.assign(new CassetteEntity(), {
        id: randomUUID(),
        name,
        sha256: parsed.sha256,
        entryCount: parsed.entries.size,
        content,
        createdBy: context.actor.id,
        createdAt: new Date(),
      });
      await m.insert(CassetteEntity, entity);
      await this.audit.record(m, context, {
        action: 'cassette.uploaded',
        subjectType: 'cassette',
        subjectId: entity.id,
        after: { name, sha256: parsed.sha256, entries: parsed.entries.size },
      });
      return { name, sha256: parsed.sha256, entries: parsed.entries.size, created: true };
    });
  }

  /** The newest upload of a cassette, for replay targets on the platform. */
  async cassetteContent(name: string): Promise<string> {
    const cassette = await this.uow.read((m) => m.findOne(CassetteEntity, { where: { name }, order: { createdAt: 'DESC' } }));
    if (!cassette) {
      throw new EvalsError(`cassette ${name} is not on this server: upload it with \`gatehouse push\``);
    }
    return cassette.content;
  }

  async cassetteExists(name: string): Promise<boolean> {
    return this.uow.read((m) => m.existsBy(CassetteEntity, { name }));
  }
}
