import {
  type AiUseCaseRecord,
  deriveRiskTier,
  type RiskTier,
  type RiskTierOverride,
  type RiskTierReason,
  type Stage,
} from '@gatehouse/domain';
import { type AiUseCaseEntity, type AiUseCaseRevisionEntity } from '@gatehouse/persistence';

export interface AiUseCaseView {
  id: string;
  name: string;
  ownerTeam: { id: string; name: string };
  stage: Stage;
  /** The tier that chooses the gate policy: the override while it stands, else the derived tier. */
  riskTier: RiskTier;
  derivedRiskTier: RiskTier;
  riskTierReasons: RiskTierReason[];
  riskTierOverride: RiskTierOverride | null;
  revision: number;
  record: AiUseCaseRecord;
  /** The registered system under test; gate rules read only runs against it. */
  /** `cassettes`: for a replay target, the cassettes (name → sha256) pinned at registration. */
  target: { config: Record<string, unknown>; hash: string; cassettes: Record<string, string> | null } | null;
  /** Set when the target changed at learn or scale, until a re-evaluation is approved. */
  underChangeSince: string | null;
  /** Set when the watch found something reviewers must look at, until a re-evaluation is approved. */
  underReviewSince: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface AiUseCaseRevisionView {
  revision: number;
  stage: Stage;
  riskTier: RiskTier;
  derivedRiskTier: RiskTier;
  changedPaths: string[];
  changeReason: string | null;
  changedBy: string;
  createdAt: string;
  record: AiUseCaseRecord;
}

export function toAiUseCaseView(entity: AiUseCaseEntity, teamName: string): AiUseCaseView {
  return {
    id: entity.id,
    name: entity.name,
    ownerTeam: { id: entity.ownerTeamId, name: teamName },
    stage: entity.stage,
    riskTier: entity.riskTier,
    derivedRiskTier: entity.derivedRiskTier,
    riskTierReasons: deriveRiskTier(entity.record).reasons,
    riskTierOverride: entity.riskTierOverride,
    revision: entity.revision,
    record: entity.record,
    target:
      entity.targetConfig && entity.targetHash
        ? {
            config: entity.targetConfig as Record<string, unknown>,
            hash: entity.targetHash,
            cassettes: entity.targetCassettes ?? null,
          }
        : null,
    underChangeSince: entity.underChangeSince?.toISOString() ?? null,
    underReviewSince: entity.underReviewSince?.toISOString() ?? null,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}

export function toAiUseCaseRevisionView(entity: AiUseCaseRevisionEntity): AiUseCaseRevisionView {
  return {
    revision: entity.revision,
    stage: entity.stage,
    riskTier: entity.riskTier,
    derivedRiskTier: entity.derivedRiskTier,
    changedPaths: entity.changedPaths,
    changeReason: entity.changeReason,
    changedBy: entity.changedBy,
    createdAt: entity.createdAt.toISOString(),
    record: entity.record,
  };
}
