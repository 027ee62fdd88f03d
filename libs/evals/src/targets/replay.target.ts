import { contentHash } from '@gatehouse/domain';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readLines } from '../datasets/read-lines';
import { EvalsError } from '../evals-error';
import { type Target, TargetError, type TargetRequest, type TargetResponse } from './target';

export interface CassetteEntry {
  key: string;
  request: { messages: TargetRequest['messages']; maxTokens: number | null; epoch: number };
  response: TargetResponse;
}

/**
 * A request's cassette key: the sha256 of the canonical JSON of what was sent (messages, token limit,
 * epoch). Built directly in canonical key order (epoch, maxTokens, messages; content, role), which is what
 * canonicalJson gives for these values, without its general-purpose key sorting on the hot path.
 */
export function cassetteKey(request: TargetRequest): string {
  const canonical = JSON.stringify({
    epoch: request.epoch,
    maxTokens: request.maxTokens ?? null,
    messages: request.messages.map((m) => ({ content: m.content, role: m.role })),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export function cassetteFile(cassetteDir: string, name: string): string {
  return join(cassetteDir, `${name}.jsonl`);
}

/**
 * A cassette's first line says which live configuration it was recorded from (the canonical hash of the
 * suite's `target.recordFrom`, or of the judge's settings for a judge cassette), so a replay can refuse a
 * suite whose live configuration changed since. Cassettes without it still replay, as unverified.
 */
export interface CassetteMeta {
  gatehouseCassette: 1;
  /** sha256 of the canonical JSON of the live configuration the answers came from. */
  recordedFrom: string;
}

/** Where and with which credentials a model is called: not part of which answers it gives. */
const TRANSPORT_FIELDS = ['baseUrl', 'apiKeyEnv', 'headers', 'connection'];

/**
 * The hash a cassette's meta line records for a live target (or judge) configuration: the model and its
 * settings, without how it is reached (base URL, key variable, headers, or the server's connection that
 * `gatehouse push --connection` puts in their place), so the same judge behind a connection still matches.
 */
export function recordedConfigHash(config: unknown): string {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    return contentHash(config);
  }
  return contentHash(
    Object.fromEntries(Object.entries(config).filter(([key]) => !TRANSPORT_FIELDS.includes(key))),
  );
}

function parseMeta(row: string): CassetteMeta | null {
  if (!row.startsWith('{"gatehouseCassette"')) {
    return null;
  }
  const meta = JSON.parse(row) as Partial<CassetteMeta>;
  return meta.gatehouseCassette === 1 &&
    typeof meta.recordedFrom === 'string' &&
    /^[0-9a-f]{64}$/.test(meta.recordedFrom)
    ? (meta as CassetteMeta)
    : null;
}

function metaLine(recordedFrom: string): string {
  return JSON.stringify({ gatehouseCassette: 1, recordedFrom } satisfies CassetteMeta);
}

function parseEntry(row: string, source: string, line: number): CassetteEntry {
  let entry: CassetteEntry;
  try {
    entry = JSON.parse(row) as CassetteEntry;
  } catch (error) {
    throw new EvalsError(`is not a cassette entry (${(error as Error).message})`, { file: source, line });
  }
  if (typeof entry.key !== 'string' || typeof entry.response?.output !== 'string') {
    throw new EvalsError('is not a cassette entry (it needs key and response.output)', {
      file: source,
      line,
    });
  }
  return entry;
}

export interface ParsedCassette {
  entries: Map<string, TargetResponse>;
  sha256: string;
  /** The configuration hash of its meta line, or null for a cassette recorded before meta lines. */
  recordedFrom: string | null;
}

/** Parses a cassette's text (JSONL); errors name the source and line. */
export function parseCassette(text: string, source: string): ParsedCassette {
  const entries = new Map<string, TargetResponse>();
  let recordedFrom: string | null = null;
  text.split('\n').forEach((row, index) => {
    if (row.trim() === '') {
      return;
    }
    const meta = index === 0 ? parseMetaLine(row, source) : null;
    if (meta) {
      recordedFrom = meta.recordedFrom;
    } else {
      const entry = parseEntry(row, source, index + 1);
      entries.set(entry.key, entry.response);
    }
  });
  return { entries, sha256: createHash('sha256').update(text).digest('hex'), recordedFrom };
}

function parseMetaLine(row: string, source: string): CassetteMeta | null {
  try {
    return parseMeta(row);
  } catch (error) {
    throw new EvalsError(`is not a cassette meta line (${(error as Error).message})`, {
      file: source,
      line: 1,
    });
  }
}

/** Streams a cassette file (a 100,000-entry cassette never sits in memory as one string). */
async function readCassetteFile(file: string): Promise<ParsedCassette> {
  const entries = new Map<string, TargetResponse>();
  const hash = createHash('sha256');
  let recordedFrom: string | null = null;
  let line = 0;
  try {
    for await (const row of readLines(file)) {
      line += 1;
      hash.update(`${row}\n`);
      const meta = line === 1 ? parseMetaLine(row, file) : null;
      if (meta) {
        recordedFrom = meta.recordedFrom;
      } else if (row.trim() !== '') {
        const entry = parseEntry(row, file, line);
        entries.set(entry.key, entry.response);
      }
    }
  } catch (error) {
    if (error instanceof EvalsError) {
      throw error;
    }
    throw new EvalsError('does not exist: record it with `gatehouse eval run <suite> --record`', { file });
  }
  return { entries, sha256: hash.digest('hex'), recordedFrom };
}

/**
 * Replays recorded responses, keyed by a canonical hash of the request: deterministic and offline. A
 * request that was never recorded errors the item (it is not scored as a failure).
 */
export class ReplayTarget implements Target {
  readonly type = 'replay';
  readonly provider = 'replay';
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;

  private constructor(
    readonly name: string,
    private readonly entries: Map<string, TargetResponse>,
    sha256: string,
    /** False when the cassette does not record the configuration it came from (recorded before meta lines). */
    readonly verified: boolean,
  ) {
    this.description = `replay of cassette ${name} (${entries.size} recordings${verified ? '' : ', unverified'})`;
    this.fingerprint = { type: this.type, cassette: name, sha256 };
  }

  /**
   * Opens a cassette. With `recordedFrom` (the hash of the live configuration the suite says it was
   * recorded from), a cassette recorded from another configuration is refused; one without a meta line
   * opens as unverified (and `onUnverified` hears of it).
   */
  static async open(
    cassetteDir: string,
    name: string,
    load?: (name: string) => Promise<string>,
    check: { recordedFrom?: string; field?: string; onUnverified?: (name: string) => void } = {},
  ): Promise<ReplayTarget> {
    const file = cassetteFile(cassetteDir, name);
    const parsed = load ? parseCassette(await load(name), `cassette ${name}`) : await readCassetteFile(file);
    if (check.recordedFrom && parsed.recordedFrom && parsed.recordedFrom !== check.recordedFrom) {
      throw new EvalsError(
        `cassette ${name} was recorded from another configuration than the suite's ${check.field ?? 'target.recordFrom'} says: re-record it with \`gatehouse eval run <suite> --record\`${load ? ' and push it' : ''}`,
        { file: load ? undefined : file, field: check.field ?? 'target.recordFrom' },
      );
    }
    if (!parsed.recordedFrom) {
      check.onUnverified?.(name);
    }
    return new ReplayTarget(name, parsed.entries, parsed.sha256, parsed.recordedFrom !== null);
  }

  async call(request: TargetRequest): Promise<TargetResponse> {
    const response =
      this.entries.get(cassetteKey(request)) ?? (request.replayAlternatives && this.alternative(request));
    if (!response) {
      throw new TargetError(
        'replay_miss',
        `cassette ${this.name} has no recording for item ${request.item.id} (epoch ${request.epoch}): re-record with --record`,
      );
    }
    return response;
  }

  /** The recording filed under one of the request's alternative message lists (a judge's legacy prompt). */
  private alternative(request: TargetRequest): TargetResponse | undefined {
    for (const messages of request.replayAlternatives ?? []) {
      const response = this.entries.get(cassetteKey({ ...request, messages }));
      if (response) {
        return response;
      }
    }
    return undefined;
  }
}

/**
 * Calls a live target and keeps what it answers; `close()` writes the cassette (old entries kept unless
 * re-recorded, sorted by key, written aside then renamed so a crash never leaves half a file).
 */
export class RecordingTarget implements Target {
  readonly type: string;
  readonly provider: string;
  readonly description: string;
  readonly fingerprint: Record<string, unknown>;
  private readonly recorded = new Map<string, CassetteEntry>();

  /**
   * `recordedFrom`: the hash of the live configuration (recordedConfigHash), written as the cassette's
   * meta line. Entries already in the file are kept only when it was recorded from the same configuration.
   */
  constructor(
    private readonly live: Target,
    private readonly file: string,
    private readonly recordedFrom?: string,
  ) {
    this.type = live.type;
    this.provider = live.provider;
    this.description = `${live.description}, recording to ${file}`;
    this.fingerprint = live.fingerprint;
  }

  async call(request: TargetRequest, signal: AbortSignal): Promise<TargetResponse> {
    const response = await this.live.call(request, signal);
    const key = cassetteKey(request);
    this.recorded.set(key, {
      key,
      request: { messages: request.messages, maxTokens: request.maxTokens ?? null, epoch: request.epoch },
      response,
    });
    return response;
  }

  get size(): number {
    return this.recorded.size;
  }

  async close(): Promise<void> {
    await this.live.close?.();
    const merged = new Map<string, string>();
    if (existsSync(this.file)) {
      const rows = (await readFile(this.file, 'utf8')).split('\n');
      const meta = parseMeta(rows[0] ?? '');
      // Answers recorded from another (or an unknown) configuration are not kept beside the new ones.
      if (meta?.recordedFrom === this.recordedFrom || (!meta && this.recordedFrom === undefined)) {
        for (const row of meta ? rows.slice(1) : rows) {
          if (row.trim() !== '') {
            merged.set((JSON.parse(row) as CassetteEntry).key, row);
          }
        }
      }
    }
    for (const [key, entry] of this.recorded) {
      merged.set(key, JSON.stringify(entry));
    }
    const text = (this.recordedFrom ? `${metaLine(this.recordedFrom)}\n` : '').concat(
      [...merged.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, row]) => `${row}\n`)
        .join(''),
    );
    await mkdir(dirname(this.file), { recursive: true });
    const staging = `${this.file}.${process.pid}.tmp`;
    await writeFile(staging, text);
    await rename(staging, this.file);
  }
}
