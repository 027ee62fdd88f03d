import { EvidenceExpiry } from './evidence-expiry';
import { WorkService } from './work.service';

/** The work-list feature's services: what waits for a reviewer or a team. */
export const WORK_PROVIDERS = [EvidenceExpiry, WorkService];
