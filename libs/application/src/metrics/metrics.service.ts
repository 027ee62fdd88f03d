import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process (not prom-client's global one, so several apps in one test
 * process do not collide). Feature code registers its own metrics on `registry`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly itemsProcessed = new Counter({
    name: 'gatehouse_run_items_total',
    help: 'Run items recorded by this process, by status (scored, errored) and error kind.',
    labelNames: ['status', 'kind'] as const,
    registers: [this.registry],
  });

  readonly providerLatency = new Histogram({
    name: 'gatehouse_provider_latency_seconds',
    help: 'Time inside the successful provider call, by provider (queue waits and retries excluded).',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'gatehouse_queue_wait_seconds',
    help: 'Time an item job waited in its queue before a worker started it.',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });

  readonly providerRetries = new Counter({
    name: 'gatehouse_provider_retries_total',
    help: 'Provider calls tried again, by provider and why (rate_limited: a 429 paused the provider queue; server_error, timeout, network: retried with backoff).',
    labelNames: ['provider', 'kind'] as const,
    registers: [this.registry],
  });

  readonly providerPauseSeconds = new Counter({
    name: 'gatehouse_provider_pause_seconds_total',
    help: 'Seconds of waiting that providers asked for with 429 (Retry-After, or backoff when none was given).',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  /** Set by the process that owns a queue connection, on each scrape. */
  readonly queueDepth = new Gauge({
    name: 'gatehouse_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  readonly queueErrors = new Counter({
    name: 'gatehouse_queue_errors_total',
    help: 'Queue errors seen by this process, by kind (redis, worker, queue, lock).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly jobsStalled = new Counter({
    name: 'gatehouse_jobs_stalled_total',
    help: 'Jobs this process found stalled (their worker stopped renewing the lock) and put back, by queue.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly jobsFailed = new Counter({
    name: 'gatehouse_jobs_failed_total',
    help: 'Job attempts that failed in this process, by queue and whether the job failed for good (final).',
    labelNames: ['queue', 'final'] as const,
    registers: [this.registry],
  });

  readonly jobsRequeued = new Counter({
    name: 'gatehouse_jobs_requeued_total',
    help: 'Item jobs the reconciler put back, by why: missing (lost), failed (had failed for good), completed.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly runsGivenUp = new Counter({
    name: 'gatehouse_runs_given_up_total',
    help: 'Runs the reconciler failed after its bounded repair attempts without progress.',
    registers: [this.registry],
  });

  readonly notificationAttempts = new Counter({
    name: 'gatehouse_notification_attempts_total',
    help: 'Notification delivery attempts, by channel (email, webhook) and outcome (delivered, retrying, failed).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  private beforeScrape: (() => Promise<void>) | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  /** Something to refresh just before each scrape (the queue depth gauge). */
  onScrape(refresh: () => Promise<void>): void {
    this.beforeScrape = refresh;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await this.beforeScrape?.().catch(() => undefined);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
