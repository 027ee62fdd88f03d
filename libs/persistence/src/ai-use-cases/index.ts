import { AiUseCaseRepository } from './ai-use-case.repository';

export * from './ai-use-case.repository';

export const AI_USE_CASE_REPOSITORIES = [AiUseCaseRepository] as const;
