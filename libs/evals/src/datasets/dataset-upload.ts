import { canonicalJson, jsonTextTooDeep, MAX_JSON_DEPTH } from '@gatehouse/domain';
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EvalsError } from '../evals-error';
import { type DatasetItem } from './dataset-item';
import { validateItem } from './dataset-readers';
import { addToFieldSummary, emptyFieldSummary, type FieldSummary } from './frozen-dataset';

/** The longest the dataset intake works before letting the event loop answer other requests. */
export const INTAKE_SLICE_MS = 10;

/**
 * Awaited between units of work: gives the event loop a turn (`setImmediate`) once `sliceMs` have passed
 * since the last one, so a long job shares the process with health checks and other requests.
 */
export function eventLoopYielder(sliceMs = INTAKE_SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) {
      return undefined;
    }
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}

export interface UploadedDataset {
  /** The items sorted by id (the order they are stored and hashed in). */
  items: DatasetItem[];
  /** sha256 of the canonical items: the same as sha256Hex(canonicalItemsText(items)). */
  sha256: string;
  /** sha256 of the uploaded text as sent. */
  sourceSha256: string;
  fields: FieldSummary;
}

/**
 * Parses, checks, sorts and hashes an uploaded JSONL dataset without holding the event loop for more than
 * about INTAKE_SLICE_MS at a time (a 1,000,000-line upload takes seconds of CPU). Errors name `source`
 * and the line, as parseJsonlText + checkItems do.
 */
export async function readUploadedDataset(text: string, source: string): Promise<UploadedDataset> {
  const pause = eventLoopYielder();
  const items: DatasetItem[] = [];
  const seen = new IdLines();
  const fields = emptyFieldSummary();
  let line = 0;
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const row = text.slice(start, end);
    start = end + 1;
    line += 1;
    if (row.trim() === '') {
      continue;
    }
    if (jsonTextTooDeep(row)) {
      // Refused before parsing: JSON.parse would build the whole nest first (gigabytes for 64 MiB of `[`).
      throw new EvalsError(
        `is nested more than ${MAX_JSON_DEPTH} levels deep (the limit is ${MAX_JSON_DEPTH})`,
        { file: source, line, field: '(item)' },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (error) {
      throw new EvalsError(`is not valid JSON (${(error as Error).message})`, { file: source, line });
    }
    const item = validateItem(value, source, line);
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
    addToFieldSummary(fields, item);
    await pause();
  }
  if (items.length === 0) {
    throw new EvalsError('has no items', { file: source });
  }
  const sorted = await sortInSlices(items, byId, pause);
  const canonical = createHash('sha256');
  for (const item of sorted) {
    canonical.update(`${canonicalJson(item)}\n`);
    await pause();
  }
  return {
    items: sorted,
    sha256: canonical.digest('hex'),
    sourceSha256: await sha256InSlices(text, pause),
    fields,
  };
}

/**
 * The line of each id seen, in 256 maps rather than one: a single Map of a million ids stops the process
 * for about 100 ms each time it grows.
 */
class IdLines {
  private readonly shards = Array.from({ length: 256 }, () => new Map<string, number>());

  private shard(id: string): Map<string, number> {
    return this.shards[(id.charCodeAt(id.length - 1) * 31 + id.charCodeAt(id.length >> 1)) & 255];
  }

  get(id: string): number | undefined {
    return this.shard(id).get(id);
  }

  set(id: string, line: number): void {
    this.shard(id).set(id, line);
  }
}

const byId = (a: DatasetItem, b: DatasetItem) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const RUN = 2048;

/**
 * A stable merge sort that pauses between slices of work: runs of RUN sorted natively, then merged
 * bottom-up. (Array.prototype.sort on a million items holds the event loop for about a second.)
 */
export async function sortInSlices<T>(
  values: T[],
  compare: (a: T, b: T) => number,
  pause: () => Promise<void> | undefined = eventLoopYielder(),
): Promise<T[]> {
  let from = values.slice();
  for (let i = 0; i < from.length; i += RUN) {
    const run = from.slice(i, i + RUN).sort(compare);
    for (let j = 0; j < run.length; j++) {
      from[i + j] = run[j];
    }
    await pause();
  }
  let to = new Array<T>(from.length);
  for (let width = RUN; width < from.length; width *= 2) {
    for (let left = 0; left < from.length; left += 2 * width) {
      const middle = Math.min(left + width, from.length);
      const right = Math.min(left + 2 * width, from.length);
      let a = left;
      let b = middle;
      for (let k = left; k < right; k++) {
        to[k] = a < middle && (b >= right || compare(from[a], from[b]) <= 0) ? from[a++] : from[b++];
        if ((k & 0xfff) === 0) {
          await pause();
        }
      }
    }
    [from, to] = [to, from];
  }
  return from;
}

const HASH_SLICE = 1 << 20;

/** sha256 of a string's UTF-8, fed in slices that never split a surrogate pair. */
export async function sha256InSlices(
  text: string,
  pause: () => Promise<void> | undefined = eventLoopYielder(),
): Promise<string> {
  const hash = createHash('sha256');
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + HASH_SLICE, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) {
      end += 1;
    }
    hash.update(text.slice(start, end));
    start = end;
    await pause();
  }
  return hash.digest('hex');
}
