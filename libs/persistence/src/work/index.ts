import { WorkRepository } from './work.repository';

export * from './work.repository';

export const WORK_REPOSITORIES = [WorkRepository] as const;
