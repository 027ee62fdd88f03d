import {
  type AiUseCaseRecord,
  type ComparisonEvidence,
  canonicalJson,
  contentHash,
  DomainError,
  type GateInput,
  type GatePolicyDocument,
  type GateRule,
  type GateTarget,
  type PilotEvidence,
  type RiskTier,
  type RunEvidence,
  type RunSummary,
  selectRun,
  sha256Hex,
  type Stage,
} from '@gatehouse/domain';
import {
  EvaluationRunEntity,
  GateEvaluationEntity,
  type GateEvaluationInputs,
  GatePolicyEntity,
  PilotObservationEntity,
  rawDate,
  rawDateOrNull,
  rawJson,
  RunComparisonEntity,
  SuiteEntity,
  type TxManager,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { RunsService } from '../runs/runs.service';
import { type StoredRunReport } from '../runs/runs.views';
import { BoundedMap } from './bounded-map';

/** Run summaries kept in memory for gate evaluations (about 8 KB each). */
const SUMMARY_CACHE_SIZE = 5_000;
/** Use cases whose evidence lists (runs, pilot totals, baselines) are kept between evaluations. */
const USE_CASE_CACHE_SIZE = 2_000;
/** Stored evaluations (a few KB each) and paired comparisons. */
const EVALUATION_CACHE_SIZE = 2_000;

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

export interface GatheredEvidence {
  input: GateInput;
  inputs: GateEvaluationInputs;
  /** How many completed runs and pilot observations the evidence was built from. */
  basis: { completedRuns: number; pilotObservations: number };
}

export interface DecisionRow {
  approverId: string;
  approverName: string;
  decision: 'approve' | 'reject';
  reason: string;
  evaluationHash: string;
  createdAt: Date;
}

/** Pilot observations as the gate counts them. */
type PilotRow = Pick<
  PilotObservationEntity,
  'id' | 'cases' | 'overrides' | 'undone' | 'complaints' | 'incidents'
>;

/** A completed run's small columns; its summary and hash come from the bounded summary cache. */
type RunMeta = Omit<RunEvidence, 'summary' | 'resultsHash'>;

interface UseCaseEvidence {
  /**
   * The completed runs (small columns only, so a use case with many runs costs little to keep), and how
   * many completed runs there were when they were read.
   */
  runs?: { count: number; runs: RunMeta[] };
  pilot?: { rows: PilotRow[] };
  /** The approved run per suite, as of one revision (every stage change makes a new revision). */
  baselines?: { revision: number; baselines: Record<string, string> };
}

const SNAPSHOT_SQL = `
SELECT u.id, u.owner_team_id, u.stage, u.risk_tier, u.revision, u.record, u.target_hash,
       u.under_change_since, p.id AS policy_id, p.version AS policy_version,
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

const BASELINES_SQL = `
SELECT u.revision, s.evaluation_id, s.created_at
  FROM ai_use_cases u
  LEFT JOIN stage_changes s ON s.ai_use_case_id = u.id AND s.kind IN ('promotion', 'reapproval')
 WHERE u.id = ?`;

/**
 * The evidence a gate evaluation reads, kept cheap to read again. What never changes once written is
 * read once per process and kept: a completed run's summary and its hash, a policy version, an
 * evaluation, a paired comparison of two completed runs. What can change is read on every evaluation,
 * in one statement ({@link GateSnapshot}); the lists behind it are read again only when it shows they
 * moved: completed runs and pilot observations are only ever added (so their count says whether the list
 * is still the same), and the approved runs move only with a stage change, which makes a new revision.
 */
@Injectable()
export class GateEvidenceService {
  private readonly summaries = new BoundedMap<string, { summary: RunSummary; resultsHash: string }>(
    SUMMARY_CACHE_SIZE,
  );
  private readonly useCases = new BoundedMap<string, UseCaseEvidence>(USE_CASE_CACHE_SIZE);
  private readonly policies = new BoundedMap<
    string,
    { id: string; version: number; document: GatePolicyDocument }
  >(100);
  private readonly evaluations = new BoundedMap<string, GateEvaluationEntity>(EVALUATION_CACHE_SIZE);
  private readonly comparisons = new BoundedMap<string, ComparisonEvidence[]>(EVALUATION_CACHE_SIZE);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunsService,
  ) {}

  /** The use case as an evaluation reads it now, or null when there is no such use case. */
  async snapshot(m: TxManager, useCaseId: string): Promise<GateSnapshot | null> {
    const rows = await this.uow.rows<SnapshotRow>(m, SNAPSHOT_SQL, [useCaseId]);
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

  /** A policy version (never edited, so kept once read). */
  async policy(
    m: TxManager,
    id: string,
  ): Promise<{ id: string; version: number; document: GatePolicyDocument }> {
    const cached = this.policies.get(id);
    if (cached) {
      return cached;
    }
    const row = await m.findOneByOrFail(GatePolicyEntity, { id });
    const policy = { id: row.id, version: row.version, document: row.document };
    this.policies.set(id, policy);
    return policy;
  }

  /** A stored evaluation (immutable once written, so kept once read). */
  async evaluation(m: TxManager, id: string): Promise<GateEvaluationEntity | null> {
    const cached = this.evaluations.get(id);
    if (cached) {
      return cached;
    }
    const row = await m.findOneBy(GateEvaluationEntity, { id });
    if (row) {
      this.evaluations.set(id, row);
    }
    return row;
  }

  /** Keeps an evaluation just written. */
  rememberEvaluation(entity: GateEvaluationEntity): void {
    this.evaluations.set(entity.id, entity);
  }

  /** Everything the domain function reads, and the ids stored so the evaluation can be re-derived. */
  async gather(
    m: TxManager,
    snapshot: GateSnapshot,
    to: GateTarget,
    rules: GateRule[],
    policy: { id: string; version: number },
  ): Promise<GatheredEvidence> {
    const { useCase } = snapshot;
    // Local copies: a concurrent evaluation of the same use case may replace the cached lists meanwhile.
    const cached = this.useCases.get(useCase.id) ?? {};
    let runs = cached.runs;
    if (runs?.count !== snapshot.completedRuns) {
      runs = await this.loadRunMeta(m, { aiUseCaseId: useCase.id });
    }
    let pilot = cached.pilot;
    if (pilot?.rows.length !== snapshot.pilotObservations) {
      const rows = await m.find(PilotObservationEntity, {
        where: { aiUseCaseId: useCase.id },
        select: { id: true, cases: true, overrides: true, undone: true, complaints: true, incidents: true },
        order: { id: 'ASC' },
      });
      pilot = { rows };
    }
    let baselines = cached.baselines?.revision === useCase.revision ? cached.baselines.baselines : undefined;
    let keptBaselines = cached.baselines;
    if (!baselines) {
      const read = await this.approvedRuns(m, useCase.id);
      baselines = read.baselines;
      // Kept only if read at the snapshot's revision: a stage change in between would have moved both.
      keptBaselines = read.revision === useCase.revision ? read : undefined;
    }
    // The lists only grow, so of what is cached now and what this read, the longer one is the newer.
    const now = this.useCases.get(useCase.id) ?? {};
    this.useCases.set(useCase.id, {
      runs: (now.runs?.count ?? -1) > runs.count ? now.runs : runs,
      pilot: (now.pilot?.rows.length ?? -1) > pilot.rows.length ? now.pilot : pilot,
      baselines:
        (now.baselines?.revision ?? -1) > (keptBaselines?.revision ?? -1) ? now.baselines : keptBaselines,
    });
    const evidence = await this.withSummaries(m, runs.runs);
    return {
      ...(await this.assemble(m, snapshot, to, rules, policy, evidence, pilot.rows, baselines)),
      basis: { completedRuns: runs.count, pilotObservations: pilot.rows.length },
    };
  }

  private async assemble(
    m: TxManager,
    snapshot: GateSnapshot,
    to: GateTarget,
    rules: GateRule[],
    policy: { id: string; version: number },
    runs: RunEvidence[],
    observations: PilotRow[],
    baselines: Record<string, string>,
  ): Promise<Omit<GatheredEvidence, 'basis'>> {
    const { useCase } = snapshot;
    const input: GateInput = {
      useCase: {
        id: useCase.id,
        revision: useCase.revision,
        stage: useCase.stage,
        tier: useCase.riskTier,
        record: useCase.record,
        targetHash: useCase.targetHash,
        transparencyPublished: snapshot.transparencyPublished,
      },
      to,
      policy: { ...policy, rules },
      runs,
      baselines,
      comparisons: [],
      pilot: pilotEvidence(observations),
      now: new Date(),
    };
    // The paired comparisons the no-regression rules need: computed once per pair, then kept.
    const pairs = new Map<string, { baseline: string; candidate: string }>();
    for (const rule of rules) {
      if (rule.kind !== 'no_regression') {
        continue;
      }
      const candidate = selectRun(input, rule.suite);
      const baseline = baselines[rule.suite];
      if (typeof candidate !== 'string' && baseline && baseline !== candidate.id) {
        pairs.set(`${baseline}:${candidate.id}`, { baseline, candidate: candidate.id });
      }
    }
    for (const [key, pair] of pairs) {
      input.comparisons.push(...(await this.comparison(m, key, pair.baseline, pair.candidate)));
    }
    return {
      input,
      inputs: {
        runIds: runs.map((run) => run.id),
        baselines,
        pilotObservationIds: observations.map((o) => o.id),
        targetHash: useCase.targetHash,
        transparencyPublished: snapshot.transparencyPublished,
      },
    };
  }

  /**
   * Completed runs as gate evidence, from their stored summaries (never from the item rows). A completed
   * run's report never changes, so each summary is read, parsed and hashed once per process and cached by
   * run id; later reads take only the runs' small columns.
   */
  async runEvidence(
    m: TxManager,
    where: { aiUseCaseId: string } | { ids: string[] },
  ): Promise<RunEvidence[]> {
    return this.withSummaries(m, (await this.loadRunMeta(m, where)).runs);
  }

  /** The runs with their summaries: from the cache, the missing ones read, parsed and hashed once. */
  private async withSummaries(m: TxManager, runs: RunMeta[]): Promise<RunEvidence[]> {
    // Held here as well as in the bounded cache, which may drop some before this evaluation is done.
    const found = new Map<string, { summary: RunSummary; resultsHash: string }>();
    const missing: string[] = [];
    for (const run of runs) {
      const cached = this.summaries.get(run.id);
      if (cached) {
        found.set(run.id, cached);
      } else {
        missing.push(run.id);
      }
    }
    for (let i = 0; i < missing.length; i += 100) {
      const reports = await m.find(EvaluationRunEntity, {
        where: { id: In(missing.slice(i, i + 100)) },
        select: { id: true, report: true },
      });
      for (const { id, report } of reports) {
        const summary = (report as StoredRunReport | null)?.summary as RunSummary | undefined;
        if (summary) {
          const entry = { summary, resultsHash: sha256Hex(canonicalJson(summary)) };
          this.summaries.set(id, entry);
          found.set(id, entry);
        }
      }
    }
    return runs.flatMap((run): RunEvidence[] => {
      const entry = found.get(run.id);
      return entry ? [{ ...run, resultsHash: entry.resultsHash, summary: entry.summary }] : [];
    });
  }

  private async loadRunMeta(
    m: TxManager,
    where: { aiUseCaseId: string } | { ids: string[] },
  ): Promise<{ count: number; runs: RunMeta[] }> {
    if ('ids' in where && where.ids.length === 0) {
      return { count: 0, runs: [] };
    }
    const rows = await m.find(EvaluationRunEntity, {
      where: 'ids' in where ? { id: In(where.ids) } : { aiUseCaseId: where.aiUseCaseId, status: 'completed' },
      select: {
        id: true,
        suiteId: true,
        createdBy: true,
        outcome: true,
        completedAt: true,
        targetHash: true,
      },
      order: { id: 'ASC' },
    });
    const suiteIds = [...new Set(rows.map((row) => row.suiteId))];
    const suites = suiteIds.length
      ? await m.find(SuiteEntity, {
          where: { id: In(suiteIds) },
          select: { id: true, name: true, version: true, createdBy: true },
        })
      : [];
    const suiteById = new Map(suites.map((suite) => [suite.id, suite]));
    const runs = rows.flatMap((row): RunMeta[] => {
      const suite = suiteById.get(row.suiteId);
      if (!suite || !row.completedAt) {
        return [];
      }
      return [
        {
          id: row.id,
          suite: { name: suite.name, version: suite.version, authorId: suite.createdBy },
          startedBy: row.createdBy,
          outcome: row.outcome ?? 'failed',
          completedAt: row.completedAt.toISOString(),
          targetHash: row.targetHash,
        },
      ];
    });
    return { count: rows.length, runs };
  }

  /**
   * Per suite, the run the latest promotion or re-approval that used the suite went through on, with the
   * revision it was read at (from the same statement).
   */
  private async approvedRuns(
    m: TxManager,
    useCaseId: string,
  ): Promise<{ revision: number; baselines: Record<string, string> }> {
    const rows = await this.uow.rows<{ revision: number; evaluation_id: string | null; created_at: unknown }>(
      m,
      BASELINES_SQL,
      [useCaseId],
    );
    const revision = Number(rows[0]?.revision ?? -1);
    const changes = rows
      .filter((row) => row.evaluation_id !== null)
      .map((row) => ({ id: row.evaluation_id as string, at: rawDate(row.created_at).getTime() }))
      .sort((a, b) => b.at - a.at);
    const baselines: Record<string, string> = {};
    for (const change of changes) {
      const evaluation = await this.evaluation(m, change.id);
      for (const run of evaluation?.result.runsUsed ?? []) {
        baselines[run.suite] ??= run.id;
      }
    }
    return { revision, baselines };
  }

  /** The paired comparison of a candidate run with a baseline (none when they ran on different items). */
  private async comparison(
    m: TxManager,
    key: string,
    baselineId: string,
    candidateId: string,
  ): Promise<ComparisonEvidence[]> {
    const cached = this.comparisons.get(key);
    if (cached) {
      return cached;
    }
    const computed = await this.ensureComparison(m, baselineId, candidateId);
    const row = await m.findOneBy(RunComparisonEntity, {
      baselineRunId: baselineId,
      candidateRunId: candidateId,
    });
    const evidence = row ? toComparisonEvidence(row) : [];
    if (row || computed === 'incomparable') {
      this.comparisons.set(key, evidence);
    }
    return evidence;
  }

  private async ensureComparison(
    m: TxManager,
    baselineId: string,
    candidateId: string,
  ): Promise<'stored' | 'incomparable' | 'unknown_run'> {
    if (
      await m.exists(RunComparisonEntity, {
        where: { baselineRunId: baselineId, candidateRunId: candidateId },
      })
    ) {
      return 'stored';
    }
    const [a, b] = await Promise.all([
      m.findOneBy(EvaluationRunEntity, { id: baselineId }),
      m.findOneBy(EvaluationRunEntity, { id: candidateId }),
    ]);
    if (!a || !b) {
      return 'unknown_run';
    }
    try {
      const metrics = await this.runs.pairedMetrics(m, a, b);
      await m
        .createQueryBuilder()
        .insert()
        .into(RunComparisonEntity)
        .values({ baselineRunId: baselineId, candidateRunId: candidateId, metrics, createdAt: new Date() })
        .orIgnore()
        .execute();
      return 'stored';
    } catch (error) {
      if (error instanceof DomainError && error.code === 'validation_failed') {
        return 'incomparable'; // different datasets: no paired comparison; the rule reports it as missing
      }
      throw error;
    }
  }

  /** The stored comparisons of any of these runs against any of these baselines (re-derivation reads these). */
  async storedComparisons(
    m: TxManager,
    baselines: Record<string, string>,
    runs: RunEvidence[],
  ): Promise<ComparisonEvidence[]> {
    const baselineIds = [...new Set(Object.values(baselines))];
    if (baselineIds.length === 0 || runs.length === 0) {
      return [];
    }
    const rows = await m.find(RunComparisonEntity, {
      where: { baselineRunId: In(baselineIds), candidateRunId: In(runs.map((r) => r.id)) },
      order: { baselineRunId: 'ASC', candidateRunId: 'ASC' },
    });
    return rows.flatMap(toComparisonEvidence);
  }
}

function toComparisonEvidence(row: RunComparisonEntity): ComparisonEvidence[] {
  return row.metrics.map((metric) => ({
    baselineRunId: row.baselineRunId,
    candidateRunId: row.candidateRunId,
    metric: metric.metric,
    difference: metric.difference,
    pValue: metric.pValue,
    test: metric.test,
  }));
}

/** Totals of the pilot observations, hashed so an evaluation is bound to exactly these. */
export function pilotEvidence(observations: PilotRow[]): PilotEvidence | null {
  if (observations.length === 0) {
    return null;
  }
  const sorted = [...observations].sort((a, b) => (a.id < b.id ? -1 : 1));
  const sum = (pick: (o: PilotRow) => number) => sorted.reduce((n, o) => n + pick(o), 0);
  return {
    cases: sum((o) => o.cases),
    overrides: sum((o) => o.overrides),
    undone: sum((o) => o.undone),
    complaints: sum((o) => o.complaints),
    incidents: sum((o) => o.incidents),
    hash: contentHash(
      sorted.map((o) => ({
        id: o.id,
        cases: o.cases,
        overrides: o.overrides,
        undone: o.undone,
        complaints: o.complaints,
        incidents: o.incidents,
      })),
    ),
  };
}
