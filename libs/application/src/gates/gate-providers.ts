import { GateEvidenceService } from './gate-evidence.service';
import { GatesService } from './gates.service';
import { TransparencyService } from './transparency.service';

/** The gates feature's services. */
export const GATE_PROVIDERS = [TransparencyService, GateEvidenceService, GatesService];
