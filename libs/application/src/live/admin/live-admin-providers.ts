import { IngestTokensService } from './ingest-tokens.service';
import { LiveSettingsService } from './live-settings.service';

/** Live use's administration: ingest tokens and live settings. */
export const LIVE_ADMIN_PROVIDERS = [IngestTokensService, LiveSettingsService];
