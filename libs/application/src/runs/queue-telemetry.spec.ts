import { MetricsService } from '../metrics/metrics.service';
import { QUEUE_LOG_WINDOW_MS, QueueTelemetry } from './queue-telemetry';

describe('QueueTelemetry (queue errors, stalls and failures: logged rate-limited, counted)', () => {
  function telemetry() {
    const lines: string[] = [];
    let now = 1_000_000;
    const metrics = new MetricsService();
    const t = new QueueTelemetry(
      metrics,
      { warn: (line) => lines.push(`warn ${line}`), error: (line) => lines.push(`error ${line}`) },
      () => now,
    );
    return { t, lines, metrics, advance: (ms: number) => (now += ms) };
  }

  const metric = async (metrics: MetricsService, name: string) =>
    metrics.registry.getSingleMetricAsString(name);

  it('logs one line per kind per window and tells how many it left out, but counts every error', async () => {
    const { t, lines, metrics, advance } = telemetry();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 50; i++) {
      t.error('redis', refused);
      advance(100);
    }
    t.error('worker', new Error('Missing lock for job 7'));
    expect(lines).toEqual([
      'warn Queue redis error: connect ECONNREFUSED 127.0.0.1:6379',
      'warn Queue worker error: Missing lock for job 7',
    ]);
    advance(QUEUE_LOG_WINDOW_MS);
    t.error('redis', refused);
    expect(lines[2]).toBe(
      'warn Queue redis error: connect ECONNREFUSED 127.0.0.1:6379 (and 49 more like it since 15 s ago, not logged)',
    );
    expect(await metric(metrics, 'gatehouse_queue_errors_total')).toContain('kind="redis"} 51');
    expect(await metric(metrics, 'gatehouse_queue_errors_total')).toContain('kind="worker"} 1');
  });

  it('counts stalled jobs and failed attempts; logs stalls and only the failures that are final', async () => {
    const { t, lines, metrics } = telemetry();
    t.stalled('gatehouse-items-openai', 'item-r-1-1');
    t.failed('gatehouse-items-openai', 'item-r-2-1', 'database away', false);
    t.failed('gatehouse-items-openai', 'item-r-2-1', 'database away', true);
    expect(lines).toEqual([
      'warn Job item-r-1-1 in gatehouse-items-openai stalled (its worker stopped renewing the lock): put back to wait',
      'error Job item-r-2-1 in gatehouse-items-openai failed for good (no attempt left): database away; the reconciler re-enqueues its item if the run still needs it',
    ]);
    expect(await metric(metrics, 'gatehouse_jobs_stalled_total')).toContain(
      'gatehouse_jobs_stalled_total{queue="gatehouse-items-openai"} 1',
    );
    const failed = await metric(metrics, 'gatehouse_jobs_failed_total');
    expect(failed).toContain('{queue="gatehouse-items-openai",final="false"} 1');
    expect(failed).toContain('{queue="gatehouse-items-openai",final="true"} 1');
  });
});
