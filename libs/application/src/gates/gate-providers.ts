import { ApprovalEligibility } from './approval-eligibility';
import { GateDecisionsService } from './gate-decisions.service';
import { GateEvaluationsService } from './gate-evaluations.service';
import { GateEvidenceService } from './gate-evidence.service';
import { GatePoliciesService } from './gate-policies.service';
import { GateReads } from './gate-reads';
import { PilotObservationsService } from './pilot-observations.service';
import { RefusalAudit } from './refusals-audited';
import { StageChangesService } from './stage-changes.service';
import { TransparencyService } from './transparency.service';

/** The gates feature's services. */
export const GATE_PROVIDERS = [
  RefusalAudit,
  GateReads,
  ApprovalEligibility,
  TransparencyService,
  GateEvidenceService,
  GatePoliciesService,
  GateEvaluationsService,
  GateDecisionsService,
  StageChangesService,
  PilotObservationsService,
];
