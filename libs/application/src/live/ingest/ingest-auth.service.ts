import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError, type LiveSettings, type Stage } from '@gatehouse/domain';
import {
  IngestTokenRepository,
  LiveIngestRepository,
  LiveSettingsRepository,
  UnitOfWork,
} from '@gatehouse/persistence';
import { withTimeout } from '@gatehouse/queue';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { InjectConfig } from '../../gatehouse-config.module';
import { hashIngestToken } from '../admin/live-admin-inputs';
import { liveSettingsOf } from '../live-settings';
import { IngestUnavailableError } from './ingest-errors';

/** Who is sending live data: the token's use case as it was when the token was last looked up. */
export interface IngestContext {
  tokenId: string;
  aiUseCaseId: string;
  stage: Stage;
  /** The use case's registered (approved) target hash, if it has one. */
  targetHash: string | null;
  settings: LiveSettings;
}

/** Stages whose live use may be sent: the pilot (learn), wider use (scale), and trials while at test. */
export const INGEST_STAGES: readonly Stage[] = ['test', 'learn', 'scale'];

/** The longest bearer token looked up (longer ones are refused unhashed). */
const MAX_TOKEN_CHARS = 512;
/** Lookups kept per process: unknown tokens are cached too, so the bound keeps a flood of them in check. */
const MAX_CACHED = 10_000;

interface Cached {
  until: number;
  lookup: Promise<IngestContext | null>;
}

/** The Redis channel (under the queue's prefix) revoked tokens' hashes are published on. */
export const revokedIngestTokensChannel = (prefix: string): string => `${prefix}:ingest-token-revoked`;
/** How long a revocation's publish may take before the revoking request gives up on it (the TTL still holds). */
const PUBLISH_TIMEOUT_MS = 2_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Authenticates ingest tokens: sha256 of the bearer token looked up in ingest_tokens, then the use case's
 * stage, registered target hash and live settings. A lookup (hit or miss) is cached per process for
 * `config.live.tokenCacheMs`, so the hot path does no query per request; a stage change or new settings
 * therefore take effect within that time. Concurrent requests with the same token share one lookup. An
 * ingest token is only ever looked up here: it opens no other route, and an API token is not an ingest token.
 *
 * A revocation acts at once: `revoked` (called once it has committed) evicts the token here and, when the
 * queue runs on Redis, publishes its hash on a channel that every process serving ingest subscribes to (from
 * its first ingest request) and evicts on. No Redis call is made per request. While a process with Redis
 * configured does not hear revocations (not yet subscribed, or Redis unreachable) it keeps no lookup once it
 * has settled (concurrent requests still share one): every request reads the token, so a revocation made
 * elsewhere acts at once there too. It forgets every cached lookup when its subscription drops, and again
 * when it (re)subscribes, so nothing it missed outlives that moment.
 */
@Injectable()
export class IngestAuthService implements OnApplicationShutdown {
  private readonly logger = new Logger(IngestAuthService.name);
  private readonly cache = new Map<string, Cached>();
  /** The revocations channel, when the queue runs on Redis (the embedded default is one process). */
  private readonly channel: string | null;
  private subscriber: Redis | null = null;
  private publisher: Redis | null = null;
  private listening = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: IngestTokenRepository,
    private readonly ingest: LiveIngestRepository,
    private readonly settings: LiveSettingsRepository,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {
    this.channel = config.queue.kind === 'redis' ? revokedIngestTokensChannel(config.queue.prefix) : null;
  }

  /** The token's context; 401 for a missing, unknown or revoked token, 409 when the use case is not live. */
  async authenticate(token: string | null): Promise<IngestContext> {
    if (!token) {
      throw new DomainError(
        'unauthenticated',
        'Send the use case\'s ingest token as "Authorization: Bearer <token>".',
      );
    }
    this.listen();
    const context = token.length <= MAX_TOKEN_CHARS ? await this.lookup(hashIngestToken(token)) : null;
    if (!context) {
      throw new DomainError(
        'unauthenticated',
        'The ingest token is not valid: it may be unknown or revoked (an API token is not an ingest token).',
      );
    }
    if (!INGEST_STAGES.includes(context.stage)) {
      throw new DomainError(
        'invalid_state',
        `The AI use case is at "${context.stage}": live data is accepted only at test, learn or scale.`,
        [],
        'use_case_not_live',
      );
    }
    return context;
  }

  /** Forgets every cached lookup (tests, and an operator's revocation that must act at once in this process). */
  clear(): void {
    this.cache.clear();
  }

  /**
   * A token was revoked (call it after the revocation committed): evicted here, and its hash published to
   * every other process when the queue runs on Redis. A publish that fails is logged, not thrown: the
   * revocation stands, and the other processes' caches time out.
   */
  async revoked(tokenHash: string): Promise<void> {
    this.cache.delete(tokenHash);
    if (!this.channel) {
      return;
    }
    try {
      this.publisher ??= this.connect({
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      const publisher = this.publisher;
      await withTimeout(
        (async () => {
          if (publisher.status === 'wait') {
            await publisher.connect();
          }
          await publisher.publish(this.channel as string, tokenHash);
        })(),
        PUBLISH_TIMEOUT_MS,
      );
    } catch (error) {
      this.logger.warn(
        `A revoked ingest token could not be announced to the other processes (their caches expire within ${this.config.live.tokenCacheMs} ms): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Whether revocations made by other processes reach this one now (false: only through the cache's time-out). */
  get hearsRevocations(): boolean {
    return this.listening;
  }

  async onApplicationShutdown(): Promise<void> {
    this.listening = false;
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
    this.subscriber = null;
    this.publisher = null;
  }

  /** Subscribes to revocations, once, in a process that serves ingest and caches lookups. */
  private listen(): void {
    const channel = this.channel;
    if (!channel || this.subscriber || this.config.live.tokenCacheMs <= 0) {
      return;
    }
    const subscriber = this.connect({ autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('message', (from: string, hash: string) => {
      if (from === channel && SHA256_HEX.test(hash)) {
        this.cache.delete(hash);
      }
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => {
          // Whatever was revoked while not subscribed is forgotten with the rest.
          this.cache.clear();
          this.listening = true;
        },
        (error: unknown) =>
          this.logger.warn(
            `Could not subscribe to ingest token revocations: ${error instanceof Error ? error.message : String(error)}`,
          ),
      );
    });
    subscriber.on('close', () => {
      // Revocations published from now on are missed: nothing cached may outlive them.
      this.listening = false;
      this.cache.clear();
    });
  }

  private connect(options: RedisOptions): Redis {
    if (this.config.queue.kind !== 'redis') {
      throw new Error('no Redis configured');
    }
    const redis = new Redis(this.config.queue.url.reveal(), {
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      ...options,
    });
    redis.on('error', () => undefined); // reconnects by itself; a publish that fails says so
    return redis;
  }

  private lookup(hash: string): Promise<IngestContext | null> {
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) {
      return cached.lookup;
    }
    const lookup = this.load(hash);
    if (this.config.live.tokenCacheMs > 0) {
      if (this.cache.size >= MAX_CACHED) {
        this.evict(now);
      }
      const entry: Cached = { until: now + this.config.live.tokenCacheMs, lookup };
      this.cache.set(hash, entry);
      const forget = () => {
        if (this.cache.get(hash) === entry) {
          this.cache.delete(hash);
        }
      };
      // A failed lookup (database down) is not remembered; nor, while revocations made by other processes
      // cannot reach this one, is any lookup once it has settled (the requests meanwhile share it).
      const hearing = this.channel === null || this.listening;
      lookup.then(hearing ? () => undefined : forget, forget);
    }
    return lookup;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.cache) {
      if (entry.until <= now) {
        this.cache.delete(key);
      }
    }
    // Still full: drop the oldest half (a Map iterates in insertion order).
    if (this.cache.size >= MAX_CACHED) {
      let drop = Math.ceil(this.cache.size / 2);
      for (const key of this.cache.keys()) {
        if (drop-- <= 0) {
          break;
        }
        this.cache.delete(key);
      }
    }
  }

  private async load(hash: string): Promise<IngestContext | null> {
    try {
      return await this.query(hash);
    } catch {
      // The database is down or busy: the sender retries (503), nothing is cached.
      throw new IngestUnavailableError();
    }
  }

  private query(hash: string): Promise<IngestContext | null> {
    return this.uow.read(async (tx) => {
      const holder = await this.tokens.findByHash(tx, hash);
      if (!holder || holder.revokedAt !== null) {
        return null;
      }
      const [target, settings] = await Promise.all([
        this.ingest.target(tx, holder.aiUseCaseId),
        this.settings.find(tx, holder.aiUseCaseId),
      ]);
      if (!target) {
        return null;
      }
      return {
        tokenId: holder.tokenId,
        aiUseCaseId: holder.aiUseCaseId,
        stage: target.stage,
        targetHash: target.targetHash,
        settings: liveSettingsOf(settings),
      };
    });
  }
}
