import { ReviewRepository } from './review.repository';

export * from './review.repository';

export const REVIEW_REPOSITORIES = [ReviewRepository] as const;
