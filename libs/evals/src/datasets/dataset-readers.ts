import { jsonSafetyProblem } from '@gatehouse/domain';
import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { type ZodError } from 'zod';
import { EvalsError } from '../evals-error';
import { readLines } from './read-lines';
import { type DatasetItem } from './dataset-item';
import { datasetItemSchema } from './item-schema';

export interface ItemAt {
  item: DatasetItem;
  /** 1-based line (JSONL) or record start line (CSV) of the item in its file. */
  line: number;
}

/**
 * Streams the items of a JSONL file (one JSON object per line; blank lines allowed), validating each.
 * `trusted` skips the schema check for files already validated and verified by hash (frozen datasets):
 * a 100,000-item run then allocates a fraction of the garbage.
 */
export async function* readJsonl(file: string, options: { trusted?: boolean } = {}): AsyncGenerator<ItemAt> {
  let line = 0;
  for await (const text of readLines(file)) {
    line += 1;
    if (text.trim() === '') {
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new EvalsError(`is not valid JSON (${(error as Error).message})`, { file, line });
    }
    yield { item: options.trusted ? (value as DatasetItem) : validateItem(value, file, line), line };
  }
}

/** Parses JSONL text already in memory (an upload); errors name `source` and the line. */
export function parseJsonlText(text: string, source: string): ItemAt[] {
  const items: ItemAt[] = [];
  text.split('\n').forEach((row, index) => {
    const line = index + 1;
    if (row.trim() === '') {
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (error) {
      throw new EvalsError(`is not valid JSON (${(error as Error).message})`, { file: source, line });
    }
    items.push({ item: validateItem(value, source, line), line });
  });
  return items;
}

/**
 * Streams the items of a CSV file with a header row: `id`, `input`, optional `expected` (JSON when it
 * parses as an object, array, number or boolean, else text) and `metadata.<key>` columns.
 */
export async function* readCsv(file: string): AsyncGenerator<ItemAt> {
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: false,
      info: true,
      relax_column_count: false,
    }),
  );
  try {
    for await (const record of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const row = record.record;
      const line = record.info.lines;
      const metadata: Record<string, unknown> = {};
      const item: Record<string, unknown> = {};
      for (const [column, raw] of Object.entries(row)) {
        if (column.startsWith('metadata.')) {
          metadata[column.slice('metadata.'.length)] = coerceCell(raw);
        } else if (column === 'expected') {
          if (raw !== '') {
            item.expected = coerceCell(raw);
          }
        } else {
          item[column] = raw;
        }
      }
      if (Object.keys(metadata).length > 0) {
        item.metadata = metadata;
      }
      yield { item: validateItem(item, file, line), line };
    }
  } catch (error) {
    if (error instanceof EvalsError) {
      throw error;
    }
    const csvError = error as Error & { lines?: number };
    throw new EvalsError(`is not valid CSV (${csvError.message})`, { file, line: csvError.lines });
  }
}

/** Picks the reader from the extension: `.jsonl` / `.ndjson` or `.csv`. */
export function readDatasetFile(file: string): AsyncGenerator<ItemAt> {
  if (/\.(jsonl|ndjson)$/i.test(file)) {
    return readJsonl(file);
  }
  if (/\.csv$/i.test(file)) {
    return readCsv(file);
  }
  throw new EvalsError('must be a .jsonl or .csv file', { file });
}

function coerceCell(raw: string): unknown {
  if (/^(\{|\[|-?\d|true$|false$|null$)/.test(raw.trim())) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** One item, checked: no nesting past MAX_JSON_DEPTH, no prototype keys, no NUL; then the item schema. */
export function validateItem(value: unknown, file: string, line: number): DatasetItem {
  const unsafe = jsonSafetyProblem(value, '(item)');
  if (unsafe) {
    throw new EvalsError(unsafe.message, { file, line, field: unsafe.field });
  }
  const parsed = datasetItemSchema.safeParse(value);
  if (!parsed.success) {
    throw new EvalsError(describeIssues(parsed.error), { file, line, field: firstField(parsed.error) });
  }
  return parsed.data;
}

function firstField(error: ZodError): string {
  const issue = error.issues[0];
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  return path.length === 0
    ? '(item)'
    : path
        .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
        .join('.')
        .replace('.[', '[');
}

function describeIssues(error: ZodError): string {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    return `unknown field "${issue.keys[0]}" (an item has id, input, expected and metadata)`;
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    return 'must be a JSON object with id and input';
  }
  return issue.message === 'Invalid input: expected string, received undefined'
    ? 'is required'
    : issue.message;
}
