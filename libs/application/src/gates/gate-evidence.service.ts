import {
  type ComparisonEvidence,
  canonicalJson,
  contentHash,
  DomainError,
  type GateInput,
  type GatePolicyDocument,
  type GateRule,
  type GateTarget,
  gateRules,
  type LiveWindow,
  livePilotEvidence,
  liveWindowUntil,
  type PilotEvidence,
  summariseLiveMeasures,
  type ReviewEvidence,
  type RunEvidence,
  type RunSummary,
  selectRun,
  sha256Hex,
} from '@gatehouse/domain';
import {
  type GateEvaluationEntity,
  type GateEvaluationInputs,
  GateEvidenceRepository,
  GatePolicyRepository,
  GateRepository,
  type GateSnapshot,
  LiveMeasuresRepository,
  type PilotCounts,
  PilotObservationRepository,
  type RunComparisonEntity,
  type RunMeta,
  type Tx,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { ReviewEvidenceService } from '../reviews/review-evidence.service';
import { RunComparisonService } from '../runs/run-comparison.service';
import { BoundedMap } from './bounded-map';

/** Run summaries kept in memory for gate evaluations (about 8 KB each). */
const SUMMARY_CACHE_SIZE = 5_000;
/** Use cases whose evidence lists (runs, pilot totals, baselines) are kept between evaluations. */
const USE_CASE_CACHE_SIZE = 2_000;
/** Stored evaluations (a few KB each) and paired comparisons. */
const EVALUATION_CACHE_SIZE = 2_000;

export interface GatheredEvidence {
  /** The policy version judged by (the current one when the evidence was read). */
  policy: PolicyVersion;
  input: GateInput;
  inputs: GateEvaluationInputs;
  /** How many completed runs and pilot observations the evidence was built from. */
  basis: { completedRuns: number; pilotObservations: number };
}

/** A policy version as an evaluation applies it. */
export interface PolicyVersion {
  id: string;
  version: number;
  document: GatePolicyDocument;
}

interface UseCaseEvidence {
  /**
   * The completed runs (small columns only, so a use case with many runs costs little to keep), and how
   * many completed runs there were when they were read.
   */
  runs?: { count: number; runs: RunMeta[] };
  pilot?: { rows: PilotCounts[] };
  /** The approved run per suite, as of one revision (every stage change makes a new revision). */
  baselines?: { revision: number; baselines: Record<string, string> };
}

/**
 * The evidence a gate evaluation reads, kept cheap to read again. What never changes once written is
 * read once per process and kept: a completed run's summary and its hash, a policy version, an
 * evaluation, a paired comparison of two completed runs. What can change is read on every evaluation,
 * in one statement ({@link GateSnapshot}, by the caller); the lists behind it are read again only when it
 * shows they moved: completed runs and pilot observations are only ever added (so their count says whether
 * the list is still the same), and the approved runs move only with a stage change, which makes a new
 * revision.
 */
@Injectable()
export class GateEvidenceService {
  private readonly summaries = new BoundedMap<string, { summary: RunSummary; resultsHash: string }>(
    SUMMARY_CACHE_SIZE,
  );
  private readonly useCases = new BoundedMap<string, UseCaseEvidence>(USE_CASE_CACHE_SIZE);
  private readonly policies = new BoundedMap<string, PolicyVersion>(100);
  private readonly evaluations = new BoundedMap<string, GateEvaluationEntity>(EVALUATION_CACHE_SIZE);
  private readonly comparisons = new BoundedMap<string, ComparisonEvidence[]>(EVALUATION_CACHE_SIZE);

  constructor(
    private readonly gates: GateRepository,
    private readonly policyRows: GatePolicyRepository,
    private readonly pilots: PilotObservationRepository,
    private readonly runRows: GateEvidenceRepository,
    private readonly runComparisons: RunComparisonService,
    private readonly reviewEvidence: ReviewEvidenceService,
    private readonly live: LiveMeasuresRepository,
  ) {}

  /** Live pilot aggregates by use case and window: a closed window's counts never change, so kept once read. */
  private readonly liveWindows = new BoundedMap<string, PilotEvidence>(USE_CASE_CACHE_SIZE);

  /**
   * The pilot evidence measured from live use for a gate evaluated at `now`, or null when the use case sent
   * no model call since it entered learn (then the typed observations count, as before live use existed).
   * Once it has, live use is the only pilot evidence: a team cannot choose between what it typed and what
   * its traces show. The window runs from entry into learn to the last closed UTC midnight.
   */
  private async livePilot(tx: Tx, useCaseId: string, now: Date): Promise<PilotEvidence | null> {
    const since = await this.live.learnSince(tx, useCaseId);
    if (!since || !(await this.live.hasInteractionsSince(tx, useCaseId, since))) {
      return null;
    }
    const until = liveWindowUntil(now);
    return this.livePilotOver(tx, useCaseId, {
      since: since.toISOString(),
      until: (until > since ? until : since).toISOString(),
    });
  }

  /** The live pilot evidence over a window (a stored evaluation's, when it is re-derived). */
  async livePilotOver(tx: Tx, useCaseId: string, window: LiveWindow): Promise<PilotEvidence> {
    const key = `${useCaseId}|${window.since}|${window.until}`;
    const cached = this.liveWindows.get(key);
    if (cached) {
      return cached;
    }
    const period = {
      start: new Date(window.since),
      end: new Date(window.until),
      receivedBefore: new Date(window.until),
    };
    const measures = summariseLiveMeasures(
      window.since,
      window.until,
      await this.live.days(tx, useCaseId, period),
      await this.live.scorerDays(tx, useCaseId, period),
    );
    const { totals } = measures;
    const evidence = livePilotEvidence(window, {
      cases: totals.cases,
      overrides: totals.overrideRate.events,
      undone: totals.undoRate.events,
      complaints: totals.complaintRate.events,
      incidents: totals.incidentRate.events,
      unlinked: totals.unlinked,
      scorers: Object.fromEntries(
        measures.scorers.map((s) => [s.scorer, { scored: s.scored, failed: s.failed }]),
      ),
    });
    this.liveWindows.set(key, evidence);
    return evidence;
  }

  /** A policy version (never edited, so kept once read). */
  private async policy(tx: Tx, id: string): Promise<PolicyVersion> {
    const cached = this.policies.get(id);
    if (cached) {
      return cached;
    }
    const row = await this.policyRows.byId(tx, id);
    if (!row) {
      throw new Error(`Gate policy ${id} not found`);
    }
    const policy = { id: row.id, version: row.version, document: row.document };
    this.policies.set(id, policy);
    return policy;
  }

  /**
   * A stored evaluation (immutable once written, so kept once read). One just written is not put here: the
   * first evaluation that reads it back (a re-check finding it standing, or a baseline after a promotion)
   * keeps it.
   */
  async evaluation(tx: Tx, id: string): Promise<GateEvaluationEntity | null> {
    const cached = this.evaluations.get(id);
    if (cached) {
      return cached;
    }
    const row = await this.gates.evaluation(tx, id);
    if (row) {
      this.evaluations.set(id, row);
    }
    return row;
  }

  /**
   * Everything the domain function reads, and the ids stored so the evaluation can be re-derived: the
   * policy version (the snapshot's current one) and its rules for the use case's tier and `to`, the runs,
   * the pilot observations, the approved runs and the paired comparisons.
   */
  async gather(tx: Tx, snapshot: GateSnapshot, policyId: string, to: GateTarget): Promise<GatheredEvidence> {
    const { useCase } = snapshot;
    const policy = await this.policy(tx, policyId);
    const rules = gateRules(policy.document, useCase.riskTier, to) ?? [];
    // Local copies: a concurrent evaluation of the same use case may replace the cached lists meanwhile.
    const cached = this.useCases.get(useCase.id) ?? {};
    let runs = cached.runs;
    if (runs?.count !== snapshot.completedRuns) {
      runs = await this.runRows.runMeta(tx, { aiUseCaseId: useCase.id });
    }
    let pilot = cached.pilot;
    if (pilot?.rows.length !== snapshot.pilotObservations) {
      pilot = { rows: await this.pilots.counts(tx, useCase.id) };
    }
    let baselines = cached.baselines?.revision === useCase.revision ? cached.baselines.baselines : undefined;
    let keptBaselines = cached.baselines;
    if (!baselines) {
      const read = await this.approvedRuns(tx, useCase.id);
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
    const evidence = await this.withSummaries(tx, runs.runs);
    const evaluatedAt = new Date();
    // Live use is read only by a gate with pilot rules: any other gate hashes as it did before.
    const live = rules.some((rule) => rule.kind === 'pilot_metric')
      ? await this.livePilot(tx, useCase.id, evaluatedAt)
      : null;
    return {
      policy,
      ...(await this.assemble(
        tx,
        snapshot,
        to,
        rules,
        policy,
        evidence,
        pilot.rows,
        baselines,
        live,
        evaluatedAt,
      )),
      basis: { completedRuns: runs.count, pilotObservations: pilot.rows.length },
    };
  }

  private async assemble(
    tx: Tx,
    snapshot: GateSnapshot,
    to: GateTarget,
    rules: GateRule[],
    policy: { id: string; version: number },
    runs: RunEvidence[],
    observations: PilotCounts[],
    baselines: Record<string, string>,
    live: PilotEvidence | null,
    now: Date,
  ): Promise<Omit<GatheredEvidence, 'basis' | 'policy'>> {
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
      pilot: live ?? pilotEvidence(observations),
      reviews: [],
      now,
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
      input.comparisons.push(...(await this.comparison(tx, key, pair.baseline, pair.candidate)));
    }
    input.reviews = await this.reviews(tx, input, rules);
    return {
      input,
      inputs: {
        runIds: runs.map((run) => run.id),
        baselines,
        // Typed observations are not read while live use is measured.
        pilotObservationIds: live ? [] : observations.map((o) => o.id),
        ...(live?.window ? { pilotLive: live.window } : {}),
        targetHash: useCase.targetHash,
        transparencyPublished: snapshot.transparencyPublished,
        ...(input.reviews.length > 0 ? { reviews: reviewInputs(input.reviews) } : {}),
      },
    };
  }

  /**
   * The review evidence the `human_review` and `judge_agreement` rules read: every sample of the runs they
   * select (the latest run of their suite against the target; a rule never reads another run's samples),
   * counting only independent reviewers. Read only for a gate with such rules (the statistics are computed
   * from the rows, bootstrap included) and never cached: reviews keep arriving, and the next evaluation must
   * count the latest. Reviews are read as of the evaluation's time, as re-derivation reads them.
   */
  private async reviews(tx: Tx, input: GateInput, rules: GateRule[]): Promise<ReviewEvidence[]> {
    const runIds = new Set<string>();
    for (const rule of rules) {
      if (rule.kind === 'human_review' || rule.kind === 'judge_agreement') {
        const run = selectRun(input, rule.suite);
        if (typeof run !== 'string') {
          runIds.add(run.id);
        }
      }
    }
    if (runIds.size === 0) {
      return [];
    }
    return this.reviewEvidence.ofRuns(tx, [...runIds].sort(), { independentOnly: true, asOf: input.now });
  }

  /**
   * Completed runs as gate evidence, from their stored summaries (never from the item rows). A completed
   * run's report never changes, so each summary is read, parsed and hashed once per process and cached by
   * run id; later reads take only the runs' small columns.
   */
  async runEvidence(tx: Tx, where: { aiUseCaseId: string } | { ids: string[] }): Promise<RunEvidence[]> {
    return this.withSummaries(tx, (await this.runRows.runMeta(tx, where)).runs);
  }

  /** The runs with their summaries: from the cache, the missing ones read, parsed and hashed once. */
  private async withSummaries(tx: Tx, runs: RunMeta[]): Promise<RunEvidence[]> {
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
    if (missing.length > 0) {
      for (const [id, summary] of await this.runRows.summaries(tx, missing)) {
        const entry = { summary, resultsHash: sha256Hex(canonicalJson(summary)) };
        this.summaries.set(id, entry);
        found.set(id, entry);
      }
    }
    return runs.flatMap((run): RunEvidence[] => {
      const entry = found.get(run.id);
      return entry ? [{ ...run, resultsHash: entry.resultsHash, summary: entry.summary }] : [];
    });
  }

  /**
   * Per suite, the run the latest promotion or re-approval that used the suite went through on, with the
   * revision it was read at (from the same statement).
   */
  private async approvedRuns(
    tx: Tx,
    useCaseId: string,
  ): Promise<{ revision: number; baselines: Record<string, string> }> {
    const { revision, evaluationIds } = await this.gates.approvingEvaluations(tx, useCaseId);
    const baselines: Record<string, string> = {};
    for (const id of evaluationIds) {
      const evaluation = await this.evaluation(tx, id);
      for (const run of evaluation?.result.runsUsed ?? []) {
        baselines[run.suite] ??= run.id;
      }
    }
    return { revision, baselines };
  }

  /** The paired comparison of a candidate run with a baseline (none when they ran on different items). */
  private async comparison(
    tx: Tx,
    key: string,
    baselineId: string,
    candidateId: string,
  ): Promise<ComparisonEvidence[]> {
    const cached = this.comparisons.get(key);
    if (cached) {
      return cached;
    }
    const computed = await this.ensureComparison(tx, baselineId, candidateId);
    const row = await this.runRows.comparison(tx, baselineId, candidateId);
    const evidence = row ? toComparisonEvidence(row) : [];
    if (row || computed === 'incomparable') {
      this.comparisons.set(key, evidence);
    }
    return evidence;
  }

  private async ensureComparison(
    tx: Tx,
    baselineId: string,
    candidateId: string,
  ): Promise<'stored' | 'incomparable' | 'unknown_run'> {
    if (await this.runRows.hasComparison(tx, baselineId, candidateId)) {
      return 'stored';
    }
    const [a, b] = await Promise.all([
      this.runRows.comparedRun(tx, baselineId),
      this.runRows.comparedRun(tx, candidateId),
    ]);
    if (!a || !b) {
      return 'unknown_run';
    }
    try {
      const metrics = await this.runComparisons.pairedMetrics(tx, a, b);
      await this.runRows.insertComparison(tx, baselineId, candidateId, metrics);
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
    tx: Tx,
    baselines: Record<string, string>,
    runs: RunEvidence[],
  ): Promise<ComparisonEvidence[]> {
    const baselineIds = [...new Set(Object.values(baselines))];
    const rows = await this.runRows.comparisons(
      tx,
      baselineIds,
      runs.map((r) => r.id),
    );
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

/** What an evaluation stores of the review evidence it read, to read the same again when re-derived. */
export function reviewInputs(reviews: ReviewEvidence[]): NonNullable<GateEvaluationInputs['reviews']> {
  return reviews.map((r) => ({ sampleId: r.sampleId, runId: r.runId, reviewsHash: r.reviewsHash }));
}

/** Totals of the pilot observations, hashed so an evaluation is bound to exactly these. */
export function pilotEvidence(observations: PilotCounts[]): PilotEvidence | null {
  if (observations.length === 0) {
    return null;
  }
  const sorted = [...observations].sort((a, b) => (a.id < b.id ? -1 : 1));
  const sum = (pick: (o: PilotCounts) => number) => sorted.reduce((n, o) => n + pick(o), 0);
  return {
    source: 'recorded',
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
