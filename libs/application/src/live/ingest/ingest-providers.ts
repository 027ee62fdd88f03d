import { IngestAuthService } from './ingest-auth.service';
import { IngestRateLimiter } from './ingest-rate-limiter';
import { LiveIngestService } from './live-ingest.service';

/**
 * The ingest path of live use: ingest-token authentication (cached), each use case's byte rate, and the
 * ingest service.
 */
export const INGEST_PROVIDERS = [IngestAuthService, IngestRateLimiter, LiveIngestService];
