import { LIVE_ADMIN_PROVIDERS } from './admin/live-admin-providers';
import { INGEST_PROVIDERS } from './ingest/ingest-providers';
import { LIVE_SCORING_PROVIDERS } from './scoring/scoring-providers';
import { WATCH_PROVIDERS } from './watch/watch-providers';

/** The learn stage from live use: ingestion, settings and tokens, online scoring, the watch. */
export const LIVE_PROVIDERS = [
  ...INGEST_PROVIDERS,
  ...LIVE_ADMIN_PROVIDERS,
  ...LIVE_SCORING_PROVIDERS,
  ...WATCH_PROVIDERS,
];
