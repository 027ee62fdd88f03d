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

/** Parses a cassette's text (JSONL); errors name the source and line. */
export function parseCassette(
  text: string,
  source: string,
): { entries: Map<string, TargetResponse>; sha256: string } {
  const entries = new Map<string, TargetResponse>();
  text.split('\n').forEach((row, index) => {
    if (row.trim() !== '') {
      const entry = parseEntry(row, source, index + 1);
      entries.set(entry.key, entry.response);
    }
  });
  return { entries, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Streams a cassette file (a 100,000-entry cassette never sits in memory as one string). */
async function readCassetteFile(
  file: string,
): Promise<{ entries: Map<string, TargetResponse>; sha256: string }> {
  const entries = new Map<string, TargetResponse>();
  const hash = createHash('sha256');
  let line = 0;
  try {
    for await (const row of readLines(file)) {
      line += 1;
      hash.update(`${row}\n`);
      if (row.trim() !== '') {
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
  return { entries, sha256: hash.digest('hex') };
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
    private readonly name: string,
    private readonly entries: Map<string, TargetResponse>,
    sha256: string,
  ) {
    this.description = `replay of cassette ${name} (${entries.size} recordings)`;
    this.fingerprint = { type: this.type, cassette: name, sha256 };
  }

  static async open(
    cassetteDir: string,
    name: string,
    load?: (name: string) => Promise<string>,
  ): Promise<ReplayTarget> {
    const { entries, sha256 } = load
      ? parseCassette(await load(name), `cassette ${name}`)
      : await readCassetteFile(cassetteFile(cassetteDir, name));
    return new ReplayTarget(name, entries, sha256);
  }

  async call(request: TargetRequest): Promise<TargetResponse> {
    const response = this.entries.get(cassetteKey(request));
    if (!response) {
      throw new TargetError(
        'replay_miss',
        `cassette ${this.name} has no recording for item ${request.item.id} (epoch ${request.epoch}): re-record with --record`,
      );
    }
    return response;
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

  constructor(
    private readonly live: Target,
    private readonly file: string,
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
      for (const row of (await readFile(this.file, 'utf8')).split('\n')) {
        if (row.trim() !== '') {
          merged.set((JSON.parse(row) as CassetteEntry).key, row);
        }
      }
    }
    for (const [key, entry] of this.recorded) {
      merged.set(key, JSON.stringify(entry));
    }
    const text = [...merged.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, row]) => `${row}\n`)
      .join('');
    await mkdir(dirname(this.file), { recursive: true });
    const staging = `${this.file}.${process.pid}.tmp`;
    await writeFile(staging, text);
    await rename(staging, this.file);
  }
}
