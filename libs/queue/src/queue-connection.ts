import { type QueueConfig } from '@gatehouse/config';
import Redis from 'ioredis';
import { withTimeout } from './with-timeout';

export interface QueueHealth {
  kind: QueueConfig['kind'];
  ok: boolean;
  latencyMs?: number;
  detail?: string;
}

/**
 * The queue backend as the API and worker see it for readiness. The embedded mode's in-process queue
 * is always ready; Redis must answer PING and must not evict keys (BullMQ would lose jobs silently).
 */
export interface QueueConnection {
  readonly kind: QueueConfig['kind'];
  check(): Promise<QueueHealth>;
  close(): Promise<void>;
}

export function createQueueConnection(config: QueueConfig): QueueConnection {
  return config.kind === 'redis'
    ? new RedisQueueConnection(config.url.reveal())
    : new InProcessQueueConnection();
}

class InProcessQueueConnection implements QueueConnection {
  readonly kind = 'in-process' as const;

  async check(): Promise<QueueHealth> {
    return { kind: this.kind, ok: true, detail: 'in-process queue (embedded mode)' };
  }

  async close(): Promise<void> {
    // nothing to release: the in-process queue lives and dies with the process
  }
}

class RedisQueueConnection implements QueueConnection {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private evictionPolicy: string | null = null;

  constructor(url: string) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', () => undefined); // reported through check(), not as unhandled events
  }

  async check(): Promise<QueueHealth> {
    const started = performance.now();
    try {
      if (this.redis.status === 'wait') {
        await this.redis.connect();
      }
      await withTimeout(this.redis.ping(), 1500);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      // Managed Redis services may refuse CONFIG; then the policy is unknown and not held against it.
      this.evictionPolicy ??= await this.redis
        .config('GET', 'maxmemory-policy')
        .then((reply) => (reply as string[])[1] ?? 'unknown')
        .catch(() => 'unknown');
      if (this.evictionPolicy !== 'noeviction' && this.evictionPolicy !== 'unknown') {
        return {
          kind: this.kind,
          ok: false,
          latencyMs,
          detail: `maxmemory-policy is ${this.evictionPolicy}; BullMQ needs noeviction`,
        };
      }
      return { kind: this.kind, ok: true, latencyMs };
    } catch (error) {
      return { kind: this.kind, ok: false, detail: `Redis unreachable: ${(error as Error).message}` };
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
