import { INGEST_CONTROLLERS } from './ingest-controllers';
import { LIVE_ADMIN_CONTROLLERS } from './live-admin-controllers';
import { MEASURES_CONTROLLERS } from './measures-controllers';
import { WATCH_CONTROLLERS } from './watch-controllers';

/** The learn stage's HTTP surface: ingestion (ingest-token auth), settings and tokens, measures, the watch. */
export const LIVE_CONTROLLERS = [
  ...INGEST_CONTROLLERS,
  ...LIVE_ADMIN_CONTROLLERS,
  ...MEASURES_CONTROLLERS,
  ...WATCH_CONTROLLERS,
];
