import { itemQueueName, type QueueObserver } from '@gatehouse/queue';
import { Logger } from '@nestjs/common';
import { type MetricsService } from '../metrics/metrics.service';

/** At most one log line per kind of event in this window; the lines in between are counted, then told. */
export const QUEUE_LOG_WINDOW_MS = 10_000;

type LogLine = (message: string) => void;

const ITEM_QUEUE_PREFIX = itemQueueName('');

/**
 * What the queues report, logged and counted: every event is counted in /metrics; log lines are
 * rate-limited per kind (one per QUEUE_LOG_WINDOW_MS, the next saying how many were left out), so a
 * Redis outage writes a few lines, not thousands. Failed attempts that will be retried are counted only.
 */
export class QueueTelemetry implements QueueObserver {
  private readonly windows = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly metrics: MetricsService,
    private readonly log: { warn: LogLine; error: LogLine } = new Logger('Queue'),
    private readonly now: () => number = Date.now,
  ) {}

  error(kind: string, error: unknown): void {
    this.metrics.queueErrors.inc({ kind });
    this.limited(`error:${kind}`, (more) => this.log.warn(`Queue ${kind} error: ${describe(error)}${more}`));
  }

  stalled(queue: string, jobId: string): void {
    this.metrics.jobsStalled.inc({ queue });
    this.limited(`stalled:${queue}`, (more) =>
      this.log.warn(
        `Job ${jobId} in ${queue} stalled (its worker stopped renewing the lock): put back to wait${more}`,
      ),
    );
  }

  failed(queue: string, jobId: string | undefined, reason: string, final: boolean): void {
    this.metrics.jobsFailed.inc({ queue, final: String(final) });
    if (final) {
      this.limited(`failed:${queue}`, (more) =>
        this.log.error(
          `Job ${jobId ?? '(removed)'} in ${queue} failed for good (no attempt left): ${reason}${more}` +
            (queue.startsWith(ITEM_QUEUE_PREFIX)
              ? '; the reconciler re-enqueues its item if the run still needs it'
              : ''),
        ),
      );
    }
  }

  private limited(key: string, write: (more: string) => void): void {
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.loggedAt < QUEUE_LOG_WINDOW_MS) {
      window.suppressed += 1;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    const more =
      suppressed > 0
        ? ` (and ${suppressed} more like it since ${Math.round((now - (window?.loggedAt ?? now)) / 1000)} s ago, not logged)`
        : '';
    this.windows.set(key, { loggedAt: now, suppressed: 0 });
    write(more);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.message}${typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : ''}`;
  }
  return String(error);
}
