/**
 * The job contracts every queue backend runs: names, payloads (ids only, never prompts or secrets) and
 * deterministic job ids. Each job name has exactly one handler; the worker checks that at start.
 */
export enum JobName {
  StartRun = 'run.start',
  /** Enqueues the next pages of a run's items once the provider queue has drained below the window. */
  FanOutRun = 'run.fan-out',
  ExecuteItem = 'run.execute-item',
  AggregateRun = 'run.aggregate',
  ReconcileRuns = 'runs.reconcile',
  /** Sends one notification delivery (an e-mail or a webhook call); retried by the delivery's own backoff. */
  DeliverNotification = 'notification.deliver',
  /** Scores the sampled interactions of one ingest batch with the use case's online scorers. */
  ScoreLive = 'live.score',
  /**
   * The watch's periodic pass (scheduled by the consumer itself): deletes captured text past retention,
   * checks drift, starts due re-evaluations and marks use cases whose evidence is about to expire.
   */
  WatchLive = 'live.watch',
}

export interface JobPayloads {
  [JobName.StartRun]: { runId: string };
  /** `round` counts the checks that found the queue still full at `fromSeq` (it keeps job ids unique). */
  [JobName.FanOutRun]: { runId: string; fromSeq: number; round: number };
  [JobName.ExecuteItem]: { runId: string; itemId: string; seq: number; epoch: number };
  [JobName.AggregateRun]: { runId: string };
  [JobName.ReconcileRuns]: Record<string, never>;
  /** `attempt`: the attempts the delivery had made when this job was added (its compare-and-set). */
  [JobName.DeliverNotification]: { deliveryId: string; attempt: number };
  [JobName.ScoreLive]: { aiUseCaseId: string; batchId: string };
  [JobName.WatchLive]: Record<string, never>;
}

/** Run control (start, aggregate, reconcile) shares one queue; items go to one queue per provider. */
export const CONTROL_QUEUE = 'gatehouse-control';

/**
 * Notification deliveries have a queue of their own: a slow or hanging receiver (up to its time-out per call)
 * never holds the control queue's few slots that runs start and aggregate through.
 */
export const NOTIFICATION_QUEUE = 'gatehouse-notifications';

/** Deliveries in flight per process. */
export const NOTIFICATION_CONCURRENCY = 8;

/**
 * Live traffic has a queue of its own: a flood of ingest batches to score never delays a run's start or
 * aggregation, and the watch's pass never waits behind them either (it runs on the control queue).
 */
export const LIVE_QUEUE = 'gatehouse-live';

/** Live scoring jobs in flight per process. */
export const LIVE_CONCURRENCY = 4;

/** The queue a control job goes to. */
export function controlQueueOf(name: JobName): string {
  return name === JobName.DeliverNotification
    ? NOTIFICATION_QUEUE
    : name === JobName.ScoreLive
      ? LIVE_QUEUE
      : CONTROL_QUEUE;
}

/** A provider's item queue: its own rate limit and 429 pauses, so one provider cannot stall another. */
export function itemQueueName(provider: string): string {
  return `gatehouse-items-${provider
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, 120)}`;
}

/** Job ids are deterministic (a job added twice while it exists is one job) and never contain ':'. */
export const jobIds = {
  startRun: (runId: string) => `start-${runId}`,
  fanOut: (runId: string, fromSeq: number, round: number) => `fanout-${runId}-${fromSeq}-${round}`,
  aggregateRun: (runId: string) => `aggregate-${runId}`,
  item: (runId: string, seq: number, epoch: number) => `item-${runId}-${seq}-${epoch}`,
  /** One per delivery attempt and due time (a replay or a sweep after a lost attempt is a new job). */
  deliverNotification: (deliveryId: string, attempt: number, dueAtMs: number) =>
    `notify-${deliveryId}-${attempt}-${dueAtMs}`,
  /** One per ingest batch: a batch re-sent by a retrying exporter is stored once and scored once. */
  scoreLive: (batchId: string) => `live-${batchId}`,
};
