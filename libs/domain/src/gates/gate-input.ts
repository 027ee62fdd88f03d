import { type AiUseCaseRecord } from '../ai-use-cases/ai-use-case-record';
import { type RiskTier, type Stage } from '../ai-use-cases/stage';
import { type RunSummary } from '../evaluation/run-summary';
import { type ReviewStatistics } from '../reviews/review-statistics';
import { type GateRule, type GateTarget } from './gate-policy';

// What a gate evaluation reads: the use case, the policy, and the evidence (runs, comparisons, pilot).

/** A completed run as gate evidence: what it ran, on what, who started it, and its stored summary. */
export interface RunEvidence {
  id: string;
  suite: { name: string; version: number; authorId: string };
  startedBy: string;
  /** `passed`, `failed` or `errored` (the run's own thresholds). */
  outcome: string;
  completedAt: string;
  /** Hash of the target configuration the run called. */
  targetHash: string;
  /** Hash of the run's summary: binds the evaluation to these exact results. */
  resultsHash: string;
  summary: RunSummary;
}

/** A paired comparison of a candidate run against a baseline, for one metric. */
export interface ComparisonEvidence {
  baselineRunId: string;
  candidateRunId: string;
  metric: string;
  difference: number | null;
  pValue: number;
  test: string;
}

/**
 * What the pilot (the `learn` stage) showed: measured from live use (traces and feedback since the use case
 * entered learn, up to a closed UTC day) when the use case sends any, else the totals of the observations
 * its team recorded by hand.
 */
export interface PilotEvidence {
  /** `live`: derived from traces and feedback; `recorded`: typed by the team (absent: recorded). */
  source?: 'live' | 'recorded';
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  /** Live only: feedback events naming no stored trace (never in a rate). */
  unlinked?: number;
  /** Live only: the online scorers' verdicts in the window, by metric name. */
  scorers?: Record<string, { scored: number; failed: number }>;
  /** Live only: the window counted (entry into learn, up to a UTC midnight). */
  window?: { since: string; until: string };
  /** Hash of the observations or aggregates counted, so the evaluation is bound to them. */
  hash: string;
}

/** A review sample of a run with its people's current reviews, as gate evidence. */
export interface ReviewEvidence {
  sampleId: string;
  runId: string;
  /** The sample's hash (run, design, strata, items). */
  sampleHash: string;
  /** Hash of the current reviews the statistics count: binds the evaluation to exactly these. */
  reviewsHash: string;
  /** Over reviews by people independent of the use case's team, the run's starter and the suite's author. */
  statistics: ReviewStatistics;
  drawnAt: string;
}

export interface GateInput {
  useCase: {
    id: string;
    revision: number;
    stage: Stage;
    tier: RiskTier;
    record: AiUseCaseRecord;
    /** Hash of the registered target configuration, or null when none is registered. */
    targetHash: string | null;
    transparencyPublished: boolean;
  };
  to: GateTarget;
  policy: { id: string; version: number; rules: GateRule[] };
  /** Every completed run linked to the use case. */
  runs: RunEvidence[];
  /** The run each suite used in the last approved promotion: the baseline for no-regression rules. */
  baselines: Record<string, string>;
  comparisons: ComparisonEvidence[];
  pilot: PilotEvidence | null;
  /**
   * Review samples, with statistics over independent reviewers only: every sample of each run a
   * `human_review` or `judge_agreement` rule selects (empty when the gate has no such rule). A rule reads
   * only the samples of the run it selects, whatever else is here.
   */
  reviews: ReviewEvidence[];
  now: Date;
}
