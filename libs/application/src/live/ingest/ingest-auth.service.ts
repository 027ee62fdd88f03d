import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError, type LiveSettings, type Stage } from '@gatehouse/domain';
import {
  IngestTokenRepository,
  LiveIngestRepository,
  LiveSettingsRepository,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
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

/**
 * Authenticates ingest tokens: sha256 of the bearer token looked up in ingest_tokens, then the use case's
 * stage, registered target hash and live settings. A lookup (hit or miss) is cached per process for
 * `config.live.tokenCacheMs`, so the hot path does no query per request; a revocation, a stage change or
 * new settings therefore take effect within that time. Concurrent requests with the same token share one
 * lookup. An ingest token is only ever looked up here: it opens no other route, and an API token is not
 * an ingest token.
 */
@Injectable()
export class IngestAuthService {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: IngestTokenRepository,
    private readonly ingest: LiveIngestRepository,
    private readonly settings: LiveSettingsRepository,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /** The token's context; 401 for a missing, unknown or revoked token, 409 when the use case is not live. */
  async authenticate(token: string | null): Promise<IngestContext> {
    if (!token) {
      throw new DomainError(
        'unauthenticated',
        'Send the use case\'s ingest token as "Authorization: Bearer <token>".',
      );
    }
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
      this.cache.set(hash, { until: now + this.config.live.tokenCacheMs, lookup });
      // A failed lookup (database down) is not remembered.
      lookup.catch(() => this.cache.delete(hash));
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
