/**
 * What a run reports: the manifest that pins its inputs, the summary, the thresholds and the failures. The
 * CLI writes it whole; the platform stores it on the run row, the manifest and the report apart.
 */
import { type RunSummary } from './run-summary';

/** Everything that pins a run's inputs, so its result can be reproduced and audited. */
export interface RunManifest {
  runId: string;
  suite: { name: string; version: number; hash: string; file?: string };
  dataset: { name: string; version: number; hash: string; count: number };
  /** The system under test; secrets removed before hashing. */
  target: { type: string; description: string; configHash: string };
  /** Each scorer's type and semantics version, and a hash of its settings (a judge's model and parameters…). */
  scorers: { name: string; type: string; version: string; configHash?: string }[];
  epochs: number;
  packageVersion: string;
  gitCommit: string | null;
  startedAt: string;
  completedAt: string | null;
  /** `cli` for `gatehouse eval run`, `platform` for runs on the queue workers. */
  engine: 'cli' | 'platform';
}

export type ThresholdStat =
  'value' | 'ci_lower' | 'ci_upper' | 'upper95' | 'max_group_gap' | 'max_group_gap_upper95';
export type ThresholdOp = '>=' | '>' | '<=' | '<';

export interface ThresholdResult {
  metric: string;
  stat: ThresholdStat;
  op: ThresholdOp;
  threshold: number;
  actual: number | null;
  passed: boolean;
  /** Plain English: "routing ci_lower 0.842 >= 0.80" or why it could not be judged. */
  reason: string;
}

/** An item a scorer failed (or a guardrail caught), with what the reviewer needs to judge it. */
export interface FailureExample {
  itemId: string;
  epoch: number;
  metric: string;
  input: string;
  output: string | null;
  expected: string | null;
  explanation: string | null;
  group: Record<string, string>;
}

export type RunOutcome = 'passed' | 'failed' | 'errored';

export interface RunReport {
  manifest: RunManifest;
  summary: RunSummary;
  thresholds: ThresholdResult[];
  /** `failed` when a threshold failed; `errored` when too many items errored to judge, or it stopped. */
  outcome: RunOutcome;
  /** Why the run stopped early (fail-fast): "stopped after 10 items: every call failed the same way: …". */
  stopped?: string;
  /** Up to a few dozen failures per metric, for the report. */
  failures: FailureExample[];
}

/** The report as the platform stores it on the run row: without its manifest; partial when cancelled. */
export type StoredRunReport = Omit<RunReport, 'manifest'> & { partial: boolean };

/** The manifest as the platform stores it: with the cassettes the run pinned (name@version → sha256). */
export type StoredManifest = RunManifest & { cassettes: Record<string, string> };
