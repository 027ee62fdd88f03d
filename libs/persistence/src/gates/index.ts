import { GateRepository } from './gate.repository';

export * from './gate.repository';

export const GATE_REPOSITORIES = [GateRepository] as const;
