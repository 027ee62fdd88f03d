import { ReviewEvidenceService } from './review-evidence.service';

/** The human-review feature's services: samples, reviews and their statistics. */
export const REVIEW_PROVIDERS = [ReviewEvidenceService];
