import { LiveAdminController } from './admin/live-admin.controller';
import { LivePagesController } from '../web/live.controller';

/** Live use's administration: ingest tokens and live settings, as JSON API and as the live use page. */
export const LIVE_ADMIN_CONTROLLERS = [LiveAdminController, LivePagesController];
