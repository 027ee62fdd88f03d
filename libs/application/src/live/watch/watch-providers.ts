import { AttestationService } from './attestation.service';
import { WatchAlerts } from './watch-alerts';
import { WatchAlertsService } from './watch-alerts.service';
import { WatchService } from './watch.service';

export const WATCH_PROVIDERS = [WatchService, AttestationService, WatchAlerts, WatchAlertsService];
