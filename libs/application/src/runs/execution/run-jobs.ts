import { JobName, type JobHandlers } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { LiveScoringService } from '../../live/scoring/live-scoring.service';
import { WatchService } from '../../live/watch/watch.service';
import { DeliveryService } from '../../notifications/delivery.service';
import { NotificationSweepService } from '../../notifications/notification-sweep.service';
import { ItemExecutorService } from './item-executor.service';
import { RunAggregationService } from './run-aggregation.service';
import { RunReconcilerService } from './run-reconciler.service';
import { RunStartService } from './run-start.service';

/**
 * Where each job lands: one service method per job name, called by the queue with the job's data and
 * context (the type makes a missing or extra one a compile error).
 */
@Injectable()
export class RunJobs {
  constructor(
    private readonly start: RunStartService,
    private readonly items: ItemExecutorService,
    private readonly aggregation: RunAggregationService,
    private readonly reconciler: RunReconcilerService,
    private readonly deliveries: DeliveryService,
    private readonly sweep: NotificationSweepService,
    private readonly liveScoring: LiveScoringService,
    private readonly watch: WatchService,
  ) {}

  handlers(): JobHandlers {
    return {
      [JobName.StartRun]: this.start.startRun.bind(this.start),
      [JobName.FanOutRun]: this.start.continueFanOut.bind(this.start),
      [JobName.ExecuteItem]: this.items.executeItem.bind(this.items),
      [JobName.AggregateRun]: this.aggregation.aggregate.bind(this.aggregation),
      // The reconciler's pass also sweeps the notification outbox (lost or crashed deliveries).
      [JobName.ReconcileRuns]: async () => {
        try {
          await this.reconciler.reconcile();
        } finally {
          await this.sweep.sweep();
        }
      },
      [JobName.DeliverNotification]: this.deliveries.deliver.bind(this.deliveries),
      [JobName.ScoreLive]: this.liveScoring.scoreBatch.bind(this.liveScoring),
      [JobName.WatchLive]: this.watch.tick.bind(this.watch),
    };
  }
}
