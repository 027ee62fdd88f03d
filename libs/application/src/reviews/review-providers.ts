import { ItemReviewsService } from './item-reviews.service';
import { ReviewEvidenceService } from './review-evidence.service';
import { ReviewSamplesService } from './review-samples.service';

/** The human-review feature's services: samples, reviews and their statistics. */
export const REVIEW_PROVIDERS = [ReviewEvidenceService, ReviewSamplesService, ItemReviewsService];
