import { IngestTokenRepository } from './ingest-token.repository';
import { LiveIngestRepository } from './live-ingest.repository';
import { LiveJudgeBudgetRepository } from './live-judge-budget.repository';
import { LiveMeasuresRepository } from './live-measures.repository';
import { LiveScoringLeaseRepository } from './live-scoring-lease.repository';
import { LiveSettingsRepository } from './live-settings.repository';
import { WatchRepository } from './watch.repository';

export * from './ingest-token.repository';
export * from './live-ingest.repository';
export * from './live-judge-budget.repository';
export * from './live-measures.repository';
export * from './live-scoring-lease.repository';
export * from './live-settings.repository';
export * from './watch.repository';

export const LIVE_REPOSITORIES = [
  IngestTokenRepository,
  LiveSettingsRepository,
  LiveIngestRepository,
  LiveMeasuresRepository,
  LiveJudgeBudgetRepository,
  LiveScoringLeaseRepository,
  WatchRepository,
] as const;
