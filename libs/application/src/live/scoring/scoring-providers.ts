import { LiveMeasuresService } from './live-measures.service';
import { LiveScoringService } from './live-scoring.service';

export const LIVE_SCORING_PROVIDERS = [LiveScoringService, LiveMeasuresService];
