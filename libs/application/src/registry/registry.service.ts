import { type GatehouseConfig } from '@gatehouse/config';
import {
  type Actor,
  type ArtefactKind,
  assertHasRole,
  assertMayPublish,
  decidePublish,
  DomainError,
  type FieldProblem,
  sha256Hex,
} from '@gatehouse/domain';
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
  SuiteValidationError,
  type UploadedDataset,
} from '@gatehouse/evals';
import {
  CassetteEntity,
  DatasetEntity,
  DatasetItemEntity,
  isUniqueViolation,
  SuiteEntity,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InjectConfig } from '../gatehouse-config.module';
import { type RequestContext } from '../request-context';
import { holderOf } from './cassette-pins';
import { type DatasetView, type SuiteView, toDatasetView, toSuiteView } from './registry.views';

const CHUNK = 500;

/** An evals problem (file, line, field) as field problems for the API. */
export function evalsProblems(error: EvalsError): FieldProblem[] {
  if (error instanceof SuiteValidationError) {
    return error.problems.map((p) => ({
      field: p.field,
      message: `${p.message}${p.line ? ` (line ${p.line}, column ${p.column})` : ''}`,
      code: 'invalid',
    }));
  }
  const { field, line } = error.location;
  return [
    {
      field: field ?? '(body)',
      message: line ? `line ${line}: ${error.reason}` : error.reason,
      code: 'invalid',
    },
  ];
}

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
    return this.uow.write(async (m) => {
      if (input.version !== undefined) {
        const same = await m.findOneBy(DatasetEntity, { name, version: input.version });
        if (same) {
          if (same.sha256 !== sha256) {
            await this.claimName(m, context.actor, 'dataset', name);
          }
          return { dataset: this.sameContent(same, sha256), created: false };
        }
      } else {
        const existing = await m.findOneBy(DatasetEntity, { name, sha256 });
        if (existing) {
          return { dataset: toDatasetView(existing), created: false };
        }
      }
      const ownerTeamId = await this.claimName(m, context.actor, 'dataset', name);
      const latest = await m.findOne(DatasetEntity, { where: { name }, order: { version: 'DESC' } });
      const version = input.version ?? (latest?.version ?? 0) + 1;
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
      const view = await this.insertDataset(m, context, manifest, items, 'dataset.frozen', ownerTeamId);
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
    return this.uow.write(async (m) => {
      const same = await m.findOneBy(DatasetEntity, { name: manifest.name, version: manifest.version });
      if (same?.sha256 === sha256) {
        return { dataset: toDatasetView(same), created: false };
      }
      const ownerTeamId = await this.claimName(m, context.actor, 'dataset', manifest.name);
      if (same) {
        return { dataset: this.sameContent(same, sha256), created: false };
      }
      return {
        dataset: await this.insertDataset(m, context, manifest, items, 'dataset.imported', ownerTeamId),
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
    m: EntityManager,
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
    try {
      await m.insert(DatasetEntity, entity);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(
          'conflict',
          `Dataset ${manifest.name}@${manifest.version} was created meanwhile; retry.`,
          [],
          'versions_immutable',
        );
      }
      throw error;
    }
    const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < ordered.length; i += CHUNK) {
      const rows = ordered
        .slice(i, i + CHUNK)
        .map((item, j) => ({ datasetId: entity.id, itemId: item.id, seq: i + j, item }));
      await m
        .createQueryBuilder()
        .insert()
        .into(DatasetItemEntity)
        .values(rows)
        .updateEntity(false)
        .execute();
      await setImmediate(); // SQLite inserts synchronously: let the event loop in between chunks.
    }
    await this.audit.record(m, context, {
      action,
      subjectType: 'dataset',
      subjectId: entity.id,
      after: { name: entity.name, version: entity.version, sha256: entity.sha256, count: items.length },
    });
    return toDatasetView(entity);
  }

  /** Every dataset version, newest version of each name first; `name` narrows to one dataset. */
  listDatasets(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: DatasetView[]; total: number }> {
    return this.uow.read(async (m) => {
      const [rows, total] = await m.findAndCount(DatasetEntity, {
        where: filter.name ? { name: filter.name } : {},
        order: { name: 'ASC', version: 'DESC' },
        take: filter.limit,
        skip: filter.offset,
      });
      return { items: rows.map(toDatasetView), total };
    });
  }

  async dataset(name: string, version: number): Promise<DatasetView> {
    return toDatasetView(await this.uow.read((m) => this.findDataset(m, name, version)));
  }

  async datasetItems(
    name: string,
    version: number,
    limit: number,
    offset: number,
  ): Promise<{ items: DatasetItem[]; total: number }> {
    return this.uow.read(async (m) => {
      const dataset = await this.findDataset(m, name, version);
      const rows = await m.find(DatasetItemEntity, {
        where: { datasetId: dataset.id },
        order: { seq: 'ASC' },
        take: limit,
        skip: offset,
      });
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
    return this.uow.write(async (m) => {
      const dataset = await m.findOneBy(DatasetEntity, { name: ref.name, version: ref.version });
      if (!dataset) {
        throw DomainError.validation([
          {
            field: 'dataset',
            message: `${definition.dataset} is not on this server: upload it first (gatehouse push)`,
            code: 'unknown_reference',
          },
        ]);
      }
      const existing = await m.findOneBy(SuiteEntity, { name: definition.name, version: definition.version });
      const ownerTeamId =
        existing?.sha256 === hash ? null : await this.claimName(m, context.actor, 'suite', definition.name);
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
      try {
        await m.insert(SuiteEntity, entity);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new DomainError(
            'conflict',
            `Suite ${definition.name}@${definition.version} was published meanwhile.`,
            [],
            'versions_immutable',
          );
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

  listSuites(filter: {
    name?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: SuiteView[]; total: number }> {
    return this.uow.read(async (m) => {
      const [suites, total] = await m.findAndCount(SuiteEntity, {
        where: filter.name ? { name: filter.name } : {},
        relations: { dataset: true },
        order: { name: 'ASC', version: 'DESC' },
        take: filter.limit,
        skip: filter.offset,
      });
      return { items: suites.map((s) => toSuiteView(s, s.dataset as DatasetEntity)), total };
    });
  }

  /** Cassettes on the server (names, hashes, entry counts), newest upload first. */
  listCassettes(): Promise<{ name: string; sha256: string; entries: number; createdAt: string }[]> {
    return this.uow.read(async (m) =>
      (
        await m.find(CassetteEntity, {
          select: { name: true, sha256: true, entryCount: true, createdAt: true },
          order: { name: 'ASC', createdAt: 'DESC' },
        })
      ).map((c) => ({
        name: c.name,
        sha256: c.sha256,
        entries: c.entryCount,
        createdAt: c.createdAt.toISOString(),
      })),
    );
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
    return this.uow.write(async (m) => {
      const existing = await m.findOne(CassetteEntity, {
        where: { name, sha256: parsed.sha256 },
        select: { id: true, sha256: true, entryCount: true, ownerTeamId: true, publishedAt: true },
      });
      if (existing) {
        // The same content again is the same artefact. From its owner it becomes the current content
        // again (what a target registered next pins); from anyone else it changes nothing.
        const decision = decidePublish(context.actor, holderOf(await this.firstOfName(m, 'cassettes', name)));
        if (decision.allowed && existing.ownerTeamId === decision.ownerTeamId) {
          const now = new Date();
          await m.update(CassetteEntity, { id: existing.id }, { publishedAt: now });
          await this.audit.record(m, context, {
            action: 'cassette.republished',
            subjectType: 'cassette',
            subjectId: existing.id,
            before: { publishedAt: existing.publishedAt?.toISOString() ?? null },
            after: { name, sha256: existing.sha256, publishedAt: now.toISOString() },
          });
        }
        return { name, sha256: existing.sha256, entries: existing.entryCount, created: false };
      }
      const ownerTeamId = await this.claimName(m, context.actor, 'cassette', name);
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
      await m.insert(CassetteEntity, entity);
      await this.audit.record(m, context, {
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
    const cassette = await this.uow.read((m) => m.findOneBy(CassetteEntity, { name, sha256 }));
    if (!cassette) {
      throw new EvalsError(
        `cassette ${name} with sha256 ${sha256} is not on this server: upload it with \`gatehouse push\``,
      );
    }
    return cassette.content;
  }

  /**
   * Who may publish under a name (decidePublish); returns the owner the new row records. On PostgreSQL a
   * transaction-scoped advisory lock on the name makes two teams' first uploads of a new name take turns
   * (SQLite's single connection already serialises them).
   */
  private async claimName(
    m: EntityManager,
    actor: Actor,
    kind: ArtefactKind,
    name: string,
  ): Promise<string | null> {
    if (this.uow.driver === 'postgres') {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gatehouse:${kind}:${name}`]);
    }
    const table = kind === 'dataset' ? 'datasets' : kind === 'suite' ? 'suites' : 'cassettes';
    if (kind === 'cassette') {
      // `<cassette>.<metric>.judge<n>` belongs to whoever holds `<cassette>`: nobody else can take the
      // names a team's judges will record under (and so block its replays) before it records them.
      for (const prefix of dottedPrefixes(name)) {
        const first = await this.firstOfName(m, table, prefix);
        if (first) {
          return assertMayPublish(actor, kind, name, holderOf(first));
        }
      }
    }
    return assertMayPublish(actor, kind, name, holderOf(await this.firstOfName(m, table, name)));
  }

  /** The first row published under a name (its owner holds the name), or null. */
  private async firstOfName(
    m: EntityManager,
    table: 'datasets' | 'suites' | 'cassettes',
    name: string,
  ): Promise<{ ownerTeamId: string | null } | null> {
    const row = await m
      .createQueryBuilder()
      .select('a.owner_team_id', 'ownerTeamId')
      .from(table, 'a')
      .where('a.name = :name', { name })
      .orderBy('a.created_at', 'ASC')
      .limit(1)
      .getRawOne<{ ownerTeamId: string | null }>();
    return row ?? null;
  }

  async cassetteExists(name: string): Promise<boolean> {
    return this.uow.read((m) => m.existsBy(CassetteEntity, { name }));
  }
}

/** `a.b.c` → `a`, `a.b`: the shorter names a dotted cassette name belongs under, shortest first. */
function dottedPrefixes(name: string): string[] {
  const parts = name.split('.');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('.'));
}
