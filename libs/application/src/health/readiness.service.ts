import { type GatehouseConfig } from '@gatehouse/config';
import { UnitOfWork } from '@gatehouse/persistence';
import { createQueueConnection, type QueueConnection, type QueueHealth } from '@gatehouse/queue';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '../gatehouse-config.module';

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: {
    database: { ok: boolean; driver: string; latencyMs?: number; detail?: string };
    queue: QueueHealth;
  };
}

/** Ready means: the database answers a query and the queue backend answers (and will keep jobs). */
@Injectable()
export class ReadinessService implements OnApplicationShutdown {
  private readonly queue: QueueConnection;

  constructor(
    private readonly uow: UnitOfWork,
    @InjectConfig() config: GatehouseConfig,
  ) {
    this.queue = createQueueConnection(config.queue);
  }

  async check(): Promise<ReadinessReport> {
    const [database, queue] = await Promise.all([this.checkDatabase(), this.queue.check()]);
    return { status: database.ok && queue.ok ? 'ok' : 'unavailable', checks: { database, queue } };
  }

  private async checkDatabase(): Promise<ReadinessReport['checks']['database']> {
    const driver = this.uow.engine;
    const started = performance.now();
    try {
      await this.uow.ping();
      return { ok: true, driver, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { ok: false, driver, detail: (error as Error).message };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
