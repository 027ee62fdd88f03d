import { type AiUseCaseRecord, type RiskTier, type Stage } from '@gatehouse/domain';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { isUniqueViolation } from '../database-errors';
import {
  AiUseCaseEntity,
  AiUseCaseRevisionEntity,
  GateApprovalEntity,
  GateEvaluationEntity,
  TeamEntity,
  UserEntity,
} from '../entities';
import { rawDate, rawDateOrNull, rawJson } from '../raw-rows';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/**
 * What an evaluation needs to know of the use case now, read in one statement (so on PostgreSQL from one
 * snapshot): the use case, the current policy version, how many completed runs and pilot observations it
 * has, whether its record is published, and its latest evaluation with the stage change that used it and
 * the reviewers' decisions on it.
 */
export interface GateSnapshot {
  useCase: {
    id: string;
    ownerTeamId: string;
    stage: Stage;
    riskTier: RiskTier;
    revision: number;
    record: AiUseCaseRecord;
    targetHash: string | null;
    underChangeSince: Date | null;
    /** Set by the watch when reviewers must look (a regression, drift, expiring evidence). */
    underReviewSince?: Date | null;
  };
  policy: { id: string; version: number } | null;
  completedRuns: number;
  pilotObservations: number;
  transparencyPublished: boolean;
  latest: {
    id: string;
    seq: number;
    hash: string;
    usedBy: { id: string; kind: string } | null;
    /** The reviewers' decisions on it, oldest first, with their names. */
    decisions: DecisionRow[];
  } | null;
}

/** A gate evaluation to record: every column but its id and creation time, which the repository sets. */
export type NewGateEvaluation = Omit<GateEvaluationEntity, 'id' | 'createdAt' | 'aiUseCase' | 'policy'>;

/** A reviewer's decision on an evaluation, with the reviewer's name. */
export interface DecisionRow {
  approverId: string;
  approverName: string;
  decision: 'approve' | 'reject';
  reason: string;
  evaluationHash: string;
  /** How the reviewer had signed in (`oidc`, `api_token`), or null when not recorded. */
  via?: 'oidc' | 'api_token' | null;
  createdAt: Date;
}

const SNAPSHOT_SQL = `
SELECT u.id, u.owner_team_id, u.stage, u.risk_tier, u.revision, u.record, u.target_hash,
       u.under_change_since, u.under_review_since, p.id AS policy_id, p.version AS policy_version,
       (SELECT CAST(count(*) AS INTEGER) FROM evaluation_runs r
         WHERE r.ai_use_case_id = u.id AND r.status = 'completed') AS completed_runs,
       (SELECT CAST(count(*) AS INTEGER) FROM pilot_observations o
         WHERE o.ai_use_case_id = u.id) AS pilot_observations,
       (SELECT CAST(count(*) AS INTEGER) FROM transparency_records t
         WHERE t.ai_use_case_id = u.id) AS transparency_records,
       e.id AS latest_id, e.seq AS latest_seq, e.hash AS latest_hash,
       s.id AS used_by_id, s.kind AS used_by_kind,
       a.approver_id, au.name AS approver_name, a.decision, a.reason AS decision_reason,
       a.evaluation_hash AS decision_hash, a.created_at AS decided_at
  FROM ai_use_cases u
  LEFT JOIN gate_policies p ON p.version = (SELECT max(version) FROM gate_policies)
  LEFT JOIN gate_evaluations e ON e.ai_use_case_id = u.id
        AND e.seq = (SELECT max(x.seq) FROM gate_evaluations x WHERE x.ai_use_case_id = u.id)
  LEFT JOIN stage_changes s ON s.evaluation_id = e.id
  LEFT JOIN gate_approvals a ON a.evaluation_id = e.id
  LEFT JOIN users au ON au.id = a.approver_id
 WHERE u.id = ?`;

interface SnapshotRow {
  id: string;
  owner_team_id: string;
  stage: Stage;
  risk_tier: RiskTier;
  revision: number;
  record: unknown;
  target_hash: string | null;
  under_change_since: unknown;
  under_review_since: unknown;
  policy_id: string | null;
  policy_version: number | null;
  completed_runs: number;
  pilot_observations: number;
  transparency_records: number;
  latest_id: string | null;
  latest_seq: number | null;
  latest_hash: string | null;
  used_by_id: string | null;
  used_by_kind: string | null;
  /** One row per decision on the latest evaluation (null columns when there is none). */
  approver_id: string | null;
  approver_name: string | null;
  decision: 'approve' | 'reject' | null;
  decision_reason: string | null;
  decision_hash: string | null;
  decided_at: unknown;
}

/** The use-case row lock an evaluation's write takes (SQLite's write mutex already excludes other writers). */
const LOCK_USE_CASE = 'SELECT id FROM ai_use_cases WHERE id = ?';
const LOCK_USE_CASE_PG = `${LOCK_USE_CASE} FOR UPDATE`;

/** The revision and, per promotion or re-approval, its evaluation and time: one statement, one snapshot. */
const BASELINES_SQL = `
SELECT u.revision, s.evaluation_id, s.created_at
  FROM ai_use_cases u
  LEFT JOIN stage_changes s ON s.ai_use_case_id = u.id AND s.kind IN ('promotion', 'reapproval')
 WHERE u.id = ?`;

/** Gate evaluations and the reviewers' decisions on them, and the use case as the gates read it. */
export class GateRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /** The use case as an evaluation reads it now, or null when there is no such use case. */
  async snapshot(tx: Tx, useCaseId: string): Promise<GateSnapshot | null> {
    const rows = await this.uow.rows<SnapshotRow>(tx, SNAPSHOT_SQL, [useCaseId]);
    const row = rows[0];
    if (!row) {
      return null;
    }
    const decisions = rows
      .filter((r) => r.approver_id !== null)
      .map((r): DecisionRow => ({
        approverId: r.approver_id as string,
        approverName: r.approver_name ?? (r.approver_id as string),
        decision: r.decision as 'approve' | 'reject',
        reason: String(r.decision_reason),
        evaluationHash: String(r.decision_hash),
        createdAt: rawDate(r.decided_at),
      }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return {
      useCase: {
        id: row.id,
        ownerTeamId: row.owner_team_id,
        stage: row.stage,
        riskTier: row.risk_tier,
        revision: Number(row.revision),
        record: rawJson<AiUseCaseRecord>(row.record),
        targetHash: row.target_hash,
        underChangeSince: rawDateOrNull(row.under_change_since),
        underReviewSince: rawDateOrNull(row.under_review_since),
      },
      policy: row.policy_id === null ? null : { id: row.policy_id, version: Number(row.policy_version) },
      completedRuns: Number(row.completed_runs),
      pilotObservations: Number(row.pilot_observations),
      transparencyPublished: Number(row.transparency_records) > 0,
      latest:
        row.latest_id === null
          ? null
          : {
              id: row.latest_id,
              seq: Number(row.latest_seq),
              hash: String(row.latest_hash),
              usedBy: row.used_by_id === null ? null : { id: row.used_by_id, kind: String(row.used_by_kind) },
              decisions,
            },
    };
  }

  /** Locks the use case's row until the transaction ends (inside `write`). */
  async lockUseCase(tx: Tx, useCaseId: string): Promise<void> {
    await this.uow.rows(tx, this.uow.driver === 'postgres' ? LOCK_USE_CASE_PG : LOCK_USE_CASE, [useCaseId]);
  }

  /** The use case with its owning team; `forUpdate` locks the row for a read-modify-write inside `write`. */
  async useCase(tx: Tx, id: string, forUpdate = false): Promise<AiUseCaseEntity | null> {
    const m = managerOf(tx);
    const useCase = await m.findOne(AiUseCaseEntity, {
      where: { id },
      lock: forUpdate ? this.uow.forUpdate : undefined,
    });
    if (useCase) {
      useCase.ownerTeam = (await m.findOneBy(TeamEntity, { id: useCase.ownerTeamId })) ?? undefined;
    }
    return useCase;
  }

  /** The use case alone (no team, no lock). */
  useCaseOnly(tx: Tx, id: string): Promise<AiUseCaseEntity | null> {
    return managerOf(tx).findOneBy(AiUseCaseEntity, { id });
  }

  /** The use case's record as it was at a revision (null if there is no such revision). */
  async recordAt(tx: Tx, useCaseId: string, revision: number): Promise<AiUseCaseRecord | null> {
    const row = await managerOf(tx).findOneBy(AiUseCaseRevisionEntity, { aiUseCaseId: useCaseId, revision });
    return row?.record ?? null;
  }

  /** Records an evaluation under a new id, created when it was evaluated; returns it as stored. */
  async insertEvaluation(tx: Tx, fields: NewGateEvaluation): Promise<GateEvaluationEntity> {
    const row = Object.assign(new GateEvaluationEntity(), {
      id: randomUUID(),
      ...fields,
      createdAt: fields.evaluatedAt,
    });
    await managerOf(tx).insert(GateEvaluationEntity, row);
    return row;
  }

  evaluation(tx: Tx, id: string): Promise<GateEvaluationEntity | null> {
    return managerOf(tx).findOneBy(GateEvaluationEntity, { id });
  }

  /** The evaluation if it is one of this use case's. */
  evaluationOf(tx: Tx, id: string, useCaseId: string): Promise<GateEvaluationEntity | null> {
    return managerOf(tx).findOneBy(GateEvaluationEntity, { id, aiUseCaseId: useCaseId });
  }

  /** The use case's evaluations, newest first. */
  evaluations(tx: Tx, useCaseId: string, take: number): Promise<GateEvaluationEntity[]> {
    return managerOf(tx).find(GateEvaluationEntity, {
      where: { aiUseCaseId: useCaseId },
      order: { seq: 'DESC' },
      take,
    });
  }

  /** The seq of the use case's latest evaluation, or null when it has none. */
  async latestSeq(tx: Tx, useCaseId: string): Promise<number | null> {
    const row = await managerOf(tx).findOne(GateEvaluationEntity, {
      where: { aiUseCaseId: useCaseId },
      order: { seq: 'DESC' },
      select: { seq: true },
    });
    return row?.seq ?? null;
  }

  /** The reviewers' decisions on an evaluation, oldest first, with their names. */
  async decisions(tx: Tx, evaluationId: string): Promise<DecisionRow[]> {
    const m = managerOf(tx);
    const decisions = await m.find(GateApprovalEntity, {
      where: { evaluationId },
      order: { createdAt: 'ASC' },
    });
    const users = decisions.length
      ? await m.find(UserEntity, {
          where: { id: In(decisions.map((d) => d.approverId)) },
          select: { id: true, name: true },
        })
      : [];
    const names = new Map(users.map((u) => [u.id, u.name]));
    return decisions.map((d) => ({
      approverId: d.approverId,
      approverName: names.get(d.approverId) ?? d.approverId,
      decision: d.decision,
      reason: d.reason,
      evaluationHash: d.evaluationHash,
      via: d.via ?? null,
      createdAt: d.createdAt,
    }));
  }

  /** The latest approval of an evaluation, if any. */
  latestApproval(tx: Tx, evaluationId: string): Promise<GateApprovalEntity | null> {
    return managerOf(tx).findOne(GateApprovalEntity, {
      where: { evaluationId, decision: 'approve' },
      order: { createdAt: 'DESC' },
    });
  }

  /** Records a decision; false when this reviewer has already decided on the evaluation. */
  async insertDecision(tx: Tx, row: GateApprovalEntity): Promise<boolean> {
    try {
      await managerOf(tx).insert(GateApprovalEntity, row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Who granted the user the reviewer role (null when the user or the grant is unknown). */
  async reviewerRoleGrantedBy(tx: Tx, userId: string): Promise<string | null> {
    const user = await managerOf(tx).findOneBy(UserEntity, { id: userId });
    return user?.rolesGrantedBy?.reviewer ?? null;
  }

  /**
   * The use case's revision and the evaluations its promotions and re-approvals went through, newest
   * first, from one statement (so the revision is the one those stage changes led to).
   */
  async approvingEvaluations(
    tx: Tx,
    useCaseId: string,
  ): Promise<{ revision: number; evaluationIds: string[] }> {
    const rows = await this.uow.rows<{ revision: number; evaluation_id: string | null; created_at: unknown }>(
      tx,
      BASELINES_SQL,
      [useCaseId],
    );
    const evaluationIds = rows
      .filter((row) => row.evaluation_id !== null)
      .map((row) => ({ id: row.evaluation_id as string, at: rawDate(row.created_at).getTime() }))
      .sort((a, b) => b.at - a.at)
      .map((change) => change.id);
    return { revision: Number(rows[0]?.revision ?? -1), evaluationIds };
  }
}
