import { LiveScoringService } from './live-scoring.service';

export const LIVE_SCORING_PROVIDERS = [LiveScoringService];
