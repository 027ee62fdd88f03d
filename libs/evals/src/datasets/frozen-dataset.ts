import { canonicalJson, sha256Hex } from '@gatehouse/domain';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EvalsError } from '../evals-error';
import { type DatasetItem } from './dataset-item';
import { type ItemAt, readDatasetFile, readJsonl } from './dataset-readers';

export const ITEMS_FILE = 'items.jsonl';
export const MANIFEST_FILE = 'manifest.json';

export interface FieldSummary {
  count: number;
  inputs: { text: number; chat: number };
  expected: Record<string, number>;
  /** Metadata keys with how many items carry each, and up to 20 distinct values. */
  metadata: Record<string, { count: number; values: Record<string, number>; moreValues: boolean }>;
}

export interface DatasetManifest {
  name: string;
  version: number;
  /** sha256 of items.jsonl: the items in canonical JSON, one per line, sorted by id. */
  sha256: string;
  count: number;
  fields: FieldSummary;
  provenance: { sourceFile: string; sourceSha256: string; frozenWith: string; note?: string };
  createdAt: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,79}$/;

export function assertDatasetName(name: string): void {
  if (!NAME.test(name)) {
    throw new EvalsError(
      `dataset name "${name}" must be 1-80 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** `name@version` → its parts. */
export function parseDatasetRef(ref: string): { name: string; version: number } {
  const match = /^([^@\s]+)@(\d+)$/.exec(ref);
  if (!match) {
    throw new EvalsError(`"${ref}" is not a dataset reference like benefits-enquiries@1`);
  }
  assertDatasetName(match[1]);
  return { name: match[1], version: Number(match[2]) };
}

/**
 * Canonical form of a dataset: every item as canonical JSON on its own line, sorted by id. Its sha256 is
 * the dataset's content address: the same items give the same hash whatever their order or formatting.
 */
export function canonicalItemsText(items: DatasetItem[]): string {
  return [...items]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((item) => `${canonicalJson(item)}\n`)
    .join('');
}

/** Items with unique ids, at least one: otherwise an error naming the source and line. */
export function checkItems(itemsAt: Iterable<ItemAt>, source: string): DatasetItem[] {
  const items: DatasetItem[] = [];
  const seen = new Map<string, number>();
  for (const { item, line } of itemsAt) {
    const first = seen.get(item.id);
    if (first !== undefined) {
      throw new EvalsError(`duplicate id "${item.id}" (first used on line ${first})`, {
        file: source,
        line,
        field: 'id',
      });
    }
    seen.set(item.id, line);
    items.push(item);
  }
  if (items.length === 0) {
    throw new EvalsError('has no items', { file: source });
  }
  return items;
}

/** Reads and checks a source file: valid items, no duplicate ids. Errors name the file and line. */
export async function readDatasetSource(
  file: string,
): Promise<{ items: DatasetItem[]; sourceSha256: string }> {
  const read: ItemAt[] = [];
  for await (const itemAt of readDatasetFile(file)) {
    read.push(itemAt);
  }
  return { items: checkItems(read, file), sourceSha256: sha256Hex(await readFile(file)) };
}

export function summariseFields(items: DatasetItem[]): FieldSummary {
  const summary = emptyFieldSummary();
  for (const item of items) {
    addToFieldSummary(summary, item);
  }
  return summary;
}

export function emptyFieldSummary(): FieldSummary {
  return { count: 0, inputs: { text: 0, chat: 0 }, expected: {}, metadata: {} };
}

/** Counts one item into a summary (what summariseFields does for each). */
export function addToFieldSummary(summary: FieldSummary, item: DatasetItem): void {
  summary.count += 1;
  summary.inputs[typeof item.input === 'string' ? 'text' : 'chat'] += 1;
  const kind =
    item.expected === undefined
      ? 'absent'
      : Array.isArray(item.expected)
        ? 'list'
        : item.expected === null
          ? 'null'
          : typeof item.expected;
  summary.expected[kind] = (summary.expected[kind] ?? 0) + 1;
  for (const [key, value] of Object.entries(item.metadata ?? {})) {
    // No prototype: a value such as "constructor" is counted like any other, not found on Object.prototype.
    const field = (summary.metadata[key] ??= {
      count: 0,
      values: Object.create(null) as Record<string, number>,
      moreValues: false,
    });
    field.count += 1;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text.length <= 60 && (Object.hasOwn(field.values, text) || Object.keys(field.values).length < 20)) {
      field.values[text] = (field.values[text] ?? 0) + 1;
    } else {
      field.moreValues = true;
    }
  }
}

export interface FreezeResult {
  manifest: DatasetManifest;
  directory: string;
  /** False when an identical version already existed and was reused. */
  created: boolean;
}

/**
 * Freezes a JSONL or CSV file as the next version of a named dataset under `<root>/<name>/<version>/`
 * (items.jsonl + manifest.json). Identical content reuses the existing version. The version directory
 * appears atomically (written aside, then renamed), so a failed freeze leaves nothing behind.
 */
export async function freezeDataset(
  file: string,
  options: { name: string; root: string; frozenWith: string; note?: string; now?: Date },
): Promise<FreezeResult> {
  assertDatasetName(options.name);
  const { items, sourceSha256 } = await readDatasetSource(file);
  const text = canonicalItemsText(items);
  const sha256 = sha256Hex(text);
  const datasetDir = join(options.root, options.name);
  const versions = await listVersions(datasetDir);
  for (const version of versions) {
    const existing = await readManifest(join(datasetDir, String(version)));
    if (existing?.sha256 === sha256) {
      return { manifest: existing, directory: join(datasetDir, String(version)), created: false };
    }
  }
  const version = (versions.at(-1) ?? 0) + 1;
  const manifest: DatasetManifest = {
    name: options.name,
    version,
    sha256,
    count: items.length,
    fields: summariseFields(items),
    provenance: {
      sourceFile: basename(file),
      sourceSha256,
      frozenWith: options.frozenWith,
      ...(options.note ? { note: options.note } : {}),
    },
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  const directory = join(datasetDir, String(version));
  const staging = join(datasetDir, `.staging-${version}-${process.pid}`);
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, ITEMS_FILE), text);
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(staging, directory);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { manifest, directory, created: true };
}

export async function listVersions(datasetDir: string): Promise<number[]> {
  const entries = await readdir(datasetDir).catch(() => [] as string[]);
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

async function readManifest(directory: string): Promise<DatasetManifest | null> {
  const text = await readFile(join(directory, MANIFEST_FILE), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as DatasetManifest);
}

/** A frozen dataset version whose items file was checked against its manifest's hash. */
export interface FrozenDataset {
  manifest: DatasetManifest;
  itemsFile: string;
  /** Streams the items (in id order) without holding them all in memory. */
  items(): AsyncGenerator<DatasetItem>;
}

/**
 * Opens `<root>/<name>/<version>` and re-computes the sha256 of its items before anything uses them:
 * an edited frozen dataset is refused, naming the file.
 */
export async function openFrozenDataset(root: string, name: string, version: number): Promise<FrozenDataset> {
  assertDatasetName(name);
  const directory = join(root, name, String(version));
  const manifest = await readManifest(directory);
  if (!manifest) {
    const known = await listVersions(join(root, name));
    throw new EvalsError(
      known.length > 0
        ? `dataset ${name}@${version} does not exist (versions: ${known.join(', ')})`
        : `dataset ${name} does not exist under ${root}; freeze it with \`gatehouse dataset freeze <file> --name ${name}\``,
    );
  }
  const itemsFile = join(directory, ITEMS_FILE);
  const actual = await hashFile(itemsFile);
  if (actual !== manifest.sha256) {
    throw new EvalsError(
      `sha256 is ${actual} but the manifest says ${manifest.sha256}: a frozen dataset must never be edited; freeze a new version instead`,
      { file: itemsFile },
    );
  }
  return {
    manifest,
    itemsFile,
    async *items() {
      let count = 0;
      // Validated when frozen and verified by hash when opened: no need to validate each item again.
      for await (const { item } of readJsonl(itemsFile, { trusted: true })) {
        count += 1;
        yield item;
      }
      if (count !== manifest.count) {
        throw new EvalsError(`has ${count} items but the manifest says ${manifest.count}`, {
          file: itemsFile,
        });
      }
    },
  };
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
    }
  } catch (error) {
    throw new EvalsError(`cannot be read (${(error as Error).message})`, { file });
  }
  return hash.digest('hex');
}
