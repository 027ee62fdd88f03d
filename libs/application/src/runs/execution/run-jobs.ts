import { JobName, type JobHandlers } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { ItemExecutorService } from './item-executor.service';
import { RunAggregationService } from './run-aggregation.service';
import { RunReconcilerService } from './run-reconciler.service';
import { RunStartService } from './run-start.service';

/** Where each job lands: one handler per job name (the type makes a missing or extra one a compile error). */
@Injectable()
export class RunJobs {
  constructor(
    private readonly start: RunStartService,
    private readonly items: ItemExecutorService,
    private readonly aggregation: RunAggregationService,
    private readonly reconciler: RunReconcilerService,
  ) {}

  handlers(): JobHandlers {
    return {
      [JobName.StartRun]: (data) => this.start.startRun(data.runId),
      [JobName.FanOutRun]: (data) => this.start.continueFanOut(data),
      [JobName.ExecuteItem]: (data, context) => this.items.executeItem(data, context),
      [JobName.AggregateRun]: (data) => this.aggregation.aggregate(data.runId),
      [JobName.ReconcileRuns]: () => this.reconciler.reconcile(),
    };
  }
}
