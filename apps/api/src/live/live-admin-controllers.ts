import { LiveAdminController } from './admin/live-admin.controller';

/** Live use's administration: ingest tokens and live settings. */
export const LIVE_ADMIN_CONTROLLERS = [LiveAdminController];
