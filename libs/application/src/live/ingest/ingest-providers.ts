import { IngestAuthService } from './ingest-auth.service';
import { LiveIngestService } from './live-ingest.service';

/** The ingest path of live use: ingest-token authentication (cached) and the ingest service. */
export const INGEST_PROVIDERS = [IngestAuthService, LiveIngestService];
