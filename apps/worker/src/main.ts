import { MetricsService, ReadinessService } from '@gatehouse/application';
import { ConfigError, type GatehouseConfig, loadConfig, pinTimezoneToUtc } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { type AddressInfo } from 'node:net';
import { startWorkerHttp } from './worker-http';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  pinTimezoneToUtc();
  let config: GatehouseConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (config.queue.kind !== 'redis') {
    process.stderr.write(
      'The worker consumes the Redis queue: set REDIS_URL (and DATABASE_URL). In the embedded mode `npm start` runs jobs in-process and needs no worker.\n',
    );
    process.exit(2);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const server = await startWorkerHttp(
    config.worker.port,
    config.http.host,
    app.get(ReadinessService),
    app.get(MetricsService),
  );
  const { port } = server.address() as AddressInfo;
  app.get(Logger).log(`Gatehouse worker ready; health and metrics on http://${config.http.host}:${port}`);
  process.stdout.write(`Gatehouse worker is ready (health and metrics on port ${port})\n`);
  const stop = () => {
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
    server.close();
    app
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Gatehouse worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
