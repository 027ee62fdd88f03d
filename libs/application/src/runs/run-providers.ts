import { RunComparisonService } from './run-comparison.service';
import { RunExecutionService } from './run-execution.service';
import { RunsService } from './runs.service';

/** The runs feature's services (the job runner and queue are wired in application.module.ts). */
export const RUN_PROVIDERS = [RunsService, RunExecutionService, RunComparisonService];
