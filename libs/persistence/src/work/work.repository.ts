import { type RuleVerdict, type Stage } from '@gatehouse/domain';
import { In } from 'typeorm';
import {
  AiUseCaseEntity,
  EvaluationRunEntity,
  GateApprovalEntity,
  GateEvaluationEntity,
  SuiteEntity,
  TeamEntity,
  UserEntity,
} from '../entities';
import { rawDate, rawJson } from '../raw-rows';
import { managerOf, type Tx, type UnitOfWork } from '../unit-of-work';

/** A use case at a live stage and the evaluation whose promotion (or re-approval) put it there. */
export interface ApprovedStageRow {
  aiUseCaseId: string;
  name: string;
  ownerTeamId: string;
  stage: Stage;
  evaluationId: string;
  /** The evaluation's rule verdicts: each with its rule (and `maxAgeDays`) and the run it read. */
  rules: RuleVerdict[];
}

/** The latest passing run of one suite version for a live use case, against its registered target. */
export interface LatestPassedRunRow {
  aiUseCaseId: string;
  suite: string;
  version: number;
  runId: string;
  completedAt: Date;
}

/** The use case an evaluation is for, as the work list shows it. */
export interface WorkUseCase {
  id: string;
  name: string;
  ownerTeamId: string;
  ownerTeamName: string;
  stage: Stage;
}

/** A reviewer's rejection of one of a team's evaluations. */
export interface RejectionRow {
  evaluationId: string;
  fromStage: Stage;
  toStage: Stage;
  aiUseCaseId: string;
  aiUseCaseName: string;
  reviewerName: string;
  reason: string;
  rejectedAt: Date;
}

/** A run of one of a team's use cases that failed or whose thresholds failed. */
export interface FailedRunRow {
  runId: string;
  suite: string;
  suiteVersion: number;
  aiUseCaseId: string;
  aiUseCaseName: string;
  status: string;
  outcome: string | null;
  error: string | null;
  at: Date;
}

/** At most this many ids go in one `IN (…)` list. */
const CHUNK = 500;

/**
 * The live use cases and, for each, its latest promotion or re-approval into the stage it is at, with the
 * evaluation that stage change went through. A demotion back to a stage finds the promotion that first
 * put it there.
 */
const APPROVED_STAGES_SQL = `
SELECT u.id, u.name, u.owner_team_id, u.stage, e.id AS evaluation_id, e.result, s.created_at AS changed_at
  FROM ai_use_cases u
  JOIN stage_changes s ON s.ai_use_case_id = u.id AND s.kind IN ('promotion', 'reapproval')
       AND s.to_stage = u.stage
  JOIN gate_evaluations e ON e.id = s.evaluation_id
 WHERE u.stage IN ('test', 'learn', 'scale')
   AND NOT EXISTS (SELECT 1 FROM stage_changes n
                    WHERE n.ai_use_case_id = u.id AND n.kind IN ('promotion', 'reapproval')
                      AND n.to_stage = u.stage AND n.created_at > s.created_at)`;

/**
 * For each live use case and suite version, its latest completed run that passed its thresholds against
 * the use case's registered target: the run a `suite_passed` rule would read next.
 */
const LATEST_PASSED_RUNS_SQL = `
SELECT r.ai_use_case_id, s.name AS suite, s.version, r.id, r.completed_at
  FROM evaluation_runs r
  JOIN ai_use_cases u ON u.id = r.ai_use_case_id
  JOIN suites s ON s.id = r.suite_id
 WHERE u.stage IN ('test', 'learn', 'scale')
   AND r.status = 'completed' AND r.outcome = 'passed' AND r.target_hash = u.target_hash
   AND r.completed_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM evaluation_runs n
                    WHERE n.ai_use_case_id = r.ai_use_case_id AND n.suite_id = r.suite_id
                      AND n.status = 'completed' AND n.outcome = 'passed'
                      AND n.target_hash = r.target_hash AND n.completed_at > r.completed_at)`;

interface ApprovedStageSqlRow {
  id: string;
  name: string;
  owner_team_id: string;
  stage: Stage;
  evaluation_id: string;
  result: unknown;
  changed_at: unknown;
}

/** Read-only statements behind "waiting for me": work that waits for a reviewer or a team. */
export class WorkRepository {
  constructor(protected readonly uow: UnitOfWork) {}

  /** Every live use case (test, learn, scale) with the evaluation that approved its current stage. */
  async approvedStages(tx: Tx): Promise<ApprovedStageRow[]> {
    const rows = await this.uow.rows<ApprovedStageSqlRow>(tx, APPROVED_STAGES_SQL, []);
    const latest = new Map<string, ApprovedStageSqlRow>();
    for (const row of rows) {
      // Two stage changes at the same instant (never in practice): the later-written evaluation id wins.
      const seen = latest.get(row.id);
      if (!seen || rawDate(row.changed_at).getTime() >= rawDate(seen.changed_at).getTime()) {
        latest.set(row.id, row);
      }
    }
    return [...latest.values()].map((row) => ({
      aiUseCaseId: row.id,
      name: row.name,
      ownerTeamId: row.owner_team_id,
      stage: row.stage,
      evaluationId: row.evaluation_id,
      rules: rawJson<{ rules?: RuleVerdict[] }>(row.result).rules ?? [],
    }));
  }

  /** Each live use case's latest passing run per suite version against its registered target. */
  async latestPassedRuns(tx: Tx): Promise<LatestPassedRunRow[]> {
    const rows = await this.uow.rows<{
      ai_use_case_id: string;
      suite: string;
      version: number;
      id: string;
      completed_at: unknown;
    }>(tx, LATEST_PASSED_RUNS_SQL, []);
    return rows.map((row) => ({
      aiUseCaseId: row.ai_use_case_id,
      suite: row.suite,
      version: Number(row.version),
      runId: row.id,
      completedAt: rawDate(row.completed_at),
    }));
  }

  /** When each of these runs completed (runs not found, or not completed, are left out). */
  async runsCompletedAt(tx: Tx, runIds: readonly string[]): Promise<Map<string, Date>> {
    const m = managerOf(tx);
    const found = new Map<string, Date>();
    const ids = [...new Set(runIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const runs = await m.find(EvaluationRunEntity, {
        where: { id: In(ids.slice(i, i + CHUNK)) },
        select: { id: true, completedAt: true },
      });
      for (const run of runs) {
        if (run.completedAt) {
          found.set(run.id, run.completedAt);
        }
      }
    }
    return found;
  }

  /**
   * The evaluations that may still be waiting for approvals, newest first, at most `limit`: each use case's
   * latest evaluation, passing, on the use case's current revision and the newest policy version, not used
   * by a stage change and not rejected, of a use case that is not retired. (The service still judges each
   * one's standing and approvals with the domain's rules; this only narrows what it reads.)
   */
  async pendingEvaluations(tx: Tx, limit: number): Promise<GateEvaluationEntity[]> {
    return managerOf(tx)
      .createQueryBuilder(GateEvaluationEntity, 'e')
      .innerJoin(AiUseCaseEntity, 'u', 'u.id = e.ai_use_case_id')
      .where("e.verdict = 'pass'")
      .andWhere("u.stage <> 'retired'")
      .andWhere('e.use_case_revision = u.revision')
      .andWhere(
        'e.seq = (SELECT max(x.seq) FROM gate_evaluations x WHERE x.ai_use_case_id = e.ai_use_case_id)',
      )
      .andWhere('e.policy_version = (SELECT max(p.version) FROM gate_policies p)')
      .andWhere('NOT EXISTS (SELECT 1 FROM stage_changes s WHERE s.evaluation_id = e.id)')
      .andWhere(
        "NOT EXISTS (SELECT 1 FROM gate_approvals a WHERE a.evaluation_id = e.id AND a.decision = 'reject')",
      )
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The use cases with their teams' names, by id. */
  async useCases(tx: Tx, ids: readonly string[]): Promise<Map<string, WorkUseCase>> {
    const m = managerOf(tx);
    const found = new Map<string, WorkUseCase>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const useCases = await m.find(AiUseCaseEntity, {
        where: { id: In(unique.slice(i, i + CHUNK)) },
        select: { id: true, name: true, ownerTeamId: true, stage: true },
      });
      const teams = useCases.length
        ? await m.find(TeamEntity, {
            where: { id: In([...new Set(useCases.map((u) => u.ownerTeamId))]) },
            select: { id: true, name: true },
          })
        : [];
      const teamNames = new Map(teams.map((t) => [t.id, t.name]));
      for (const u of useCases) {
        found.set(u.id, {
          id: u.id,
          name: u.name,
          ownerTeamId: u.ownerTeamId,
          ownerTeamName: teamNames.get(u.ownerTeamId) ?? u.ownerTeamId,
          stage: u.stage,
        });
      }
    }
    return found;
  }

  /** The team's evaluations a reviewer rejected since `since`, newest rejection first, at most `limit`. */
  async rejectionsOfTeam(tx: Tx, teamId: string, since: Date, limit: number): Promise<RejectionRow[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(GateApprovalEntity, 'a')
      .innerJoin(GateEvaluationEntity, 'e', 'e.id = a.evaluation_id')
      .innerJoin(AiUseCaseEntity, 'u', 'u.id = e.ai_use_case_id')
      .leftJoin(UserEntity, 'r', 'r.id = a.approver_id')
      .select([
        'e.id AS evaluation_id',
        'e.from_stage AS from_stage',
        'e.to_stage AS to_stage',
        'u.id AS ai_use_case_id',
        'u.name AS ai_use_case_name',
        'a.approver_id AS approver_id',
        'r.name AS reviewer_name',
        'a.reason AS reason',
        'a.created_at AS rejected_at',
      ])
      .where("a.decision = 'reject'")
      .andWhere('u.owner_team_id = :teamId', { teamId })
      .andWhere('a.created_at >= :since', { since })
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'ASC')
      .limit(limit)
      .getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({
      evaluationId: String(row['evaluation_id']),
      fromStage: row['from_stage'] as Stage,
      toStage: row['to_stage'] as Stage,
      aiUseCaseId: String(row['ai_use_case_id']),
      aiUseCaseName: String(row['ai_use_case_name']),
      reviewerName: String(row['reviewer_name'] ?? row['approver_id']),
      reason: String(row['reason']),
      rejectedAt: rawDate(row['rejected_at']),
    }));
  }

  /**
   * The runs of the team's use cases that ended since `since` either failed (the run broke) or completed
   * with failing or unjudgeable thresholds; newest first, at most `limit`.
   */
  async failedRunsOfTeam(tx: Tx, teamId: string, since: Date, limit: number): Promise<FailedRunRow[]> {
    const rows = await managerOf(tx)
      .createQueryBuilder(EvaluationRunEntity, 'r')
      .innerJoin(AiUseCaseEntity, 'u', 'u.id = r.ai_use_case_id')
      .innerJoin(SuiteEntity, 's', 's.id = r.suite_id')
      .select([
        'r.id AS run_id',
        's.name AS suite',
        's.version AS suite_version',
        'u.id AS ai_use_case_id',
        'u.name AS ai_use_case_name',
        'r.status AS status',
        'r.outcome AS outcome',
        'r.error AS error',
        'r.updated_at AS at',
      ])
      .where('u.owner_team_id = :teamId', { teamId })
      .andWhere("(r.status = 'failed' OR (r.status = 'completed' AND r.outcome IN ('failed', 'errored')))")
      .andWhere('r.updated_at >= :since', { since })
      .orderBy('r.updated_at', 'DESC')
      .addOrderBy('r.id', 'ASC')
      .limit(limit)
      .getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({
      runId: String(row['run_id']),
      suite: String(row['suite']),
      suiteVersion: Number(row['suite_version']),
      aiUseCaseId: String(row['ai_use_case_id']),
      aiUseCaseName: String(row['ai_use_case_name']),
      status: String(row['status']),
      outcome: row['outcome'] === null || row['outcome'] === undefined ? null : String(row['outcome']),
      error: row['error'] === null || row['error'] === undefined ? null : String(row['error']),
      at: rawDate(row['at']),
    }));
  }
}
