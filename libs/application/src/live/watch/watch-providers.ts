import { AttestationService } from './attestation.service';
import { WatchService } from './watch.service';

export const WATCH_PROVIDERS = [WatchService, AttestationService];
