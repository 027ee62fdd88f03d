import { GateEvidenceRepository } from './gate-evidence.repository';
import { GatePolicyRepository } from './gate-policy.repository';
import { GateRepository } from './gate.repository';
import { PilotObservationRepository } from './pilot-observation.repository';
import { StageChangeRepository } from './stage-change.repository';
import { TransparencyRecordRepository } from './transparency-record.repository';

export * from './gate-evidence.repository';
export * from './gate-policy.repository';
export * from './gate.repository';
export * from './pilot-observation.repository';
export * from './stage-change.repository';
export * from './transparency-record.repository';

export const GATE_REPOSITORIES = [
  GateRepository,
  GateEvidenceRepository,
  GatePolicyRepository,
  PilotObservationRepository,
  StageChangeRepository,
  TransparencyRecordRepository,
] as const;
