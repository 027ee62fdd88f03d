/**
 * The API for `npm run bench:intake`, in a process of its own (forked with an IPC channel): built as
 * main.ts builds it, with an event-loop delay histogram (perf_hooks.monitorEventLoopDelay) and an RSS
 * sampler the benchmark resets and reads between phases. Configured by the environment, like main.ts.
 */
import { BootstrapService } from '@gatehouse/application';
import { loadConfig, pinTimezoneToUtc } from '@gatehouse/config';
import { type AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApiApp } from '../apps/api/src/create-api-app';

export type IntakeServerRequest = { cmd: 'reset' } | { cmd: 'report' };

export interface IntakeServerReport {
  /** Event-loop delay since the last reset, in ms. */
  loopMaxMs: number;
  loopP99Ms: number;
  loopP50Ms: number;
  rssMb: number;
  /** Highest RSS sampled (every 20 ms) since the last reset. */
  peakRssMb: number;
}

async function main(): Promise<void> {
  pinTimezoneToUtc();
  const config = loadConfig();
  const app = await createApiApp(config);
  await app.get(BootstrapService).run();
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let peakRss = process.memoryUsage.rss();
  setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20).unref();

  const mb = (bytes: number) => bytes / 1024 / 1024;
  process.on('message', (message: IntakeServerRequest) => {
    if (message.cmd === 'reset') {
      loop.reset();
      peakRss = process.memoryUsage.rss();
      process.send?.({ reset: true });
    } else {
      const report: IntakeServerReport = {
        loopMaxMs: loop.max / 1e6,
        loopP99Ms: loop.percentile(99) / 1e6,
        loopP50Ms: loop.percentile(50) / 1e6,
        rssMb: mb(process.memoryUsage.rss()),
        peakRssMb: mb(Math.max(peakRss, process.memoryUsage.rss())),
      };
      process.send?.(report);
    }
  });
  process.on('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  process.send?.({ port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
