import { RunProgressRepository } from './run-progress.repository';
import { RunRepository } from './run.repository';

export * from './run-progress.repository';
export * from './run-result.writer';
export * from './run.repository';

export const RUN_REPOSITORIES = [RunRepository, RunProgressRepository] as const;
