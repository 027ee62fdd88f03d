import { ItemExecutorService } from './execution/item-executor.service';
import { RunAggregationService } from './execution/run-aggregation.service';
import { RunFailureService } from './execution/run-failure.service';
import { RunJobs } from './execution/run-jobs';
import { RunPlans } from './execution/run-plans';
import { RunReconcilerService } from './execution/run-reconciler.service';
import { RunStartService } from './execution/run-start.service';
import { RunComparisonService } from './run-comparison.service';
import { RunsService } from './runs.service';

/** The runs feature's services (the job runner and queue are wired in application.module.ts). */
export const RUN_PROVIDERS = [
  RunsService,
  RunComparisonService,
  RunPlans,
  RunFailureService,
  RunStartService,
  ItemExecutorService,
  RunAggregationService,
  RunReconcilerService,
  RunJobs,
];
