import { type Stage } from '../ai-use-cases/stage';
import { type GateRule, type GateTarget } from './gate-policy';

// What a gate evaluation gives: a verdict for each rule, and for the gate.

export type RuleOutcome = 'pass' | 'fail' | 'missing';

export interface RuleVerdict {
  index: number;
  rule: GateRule;
  title: string;
  verdict: RuleOutcome;
  /** Plain English: the numbers and why. */
  reason: string;
  actual: number | null;
  runId: string | null;
}

export interface GateVerdict {
  from: Stage;
  to: GateTarget;
  /** `pass` when every evidence rule passes; approvals are collected on the evaluation afterwards. */
  verdict: 'pass' | 'fail';
  rules: RuleVerdict[];
  runsUsed: {
    id: string;
    suite: string;
    version: number;
    resultsHash: string;
    startedBy: string;
    suiteAuthorId: string;
  }[];
  /**
   * The review samples the `human_review` and `judge_agreement` rules read, with the hash of each sample and
   * of exactly the reviews its statistics counted (people independent of the team only). Absent from
   * evaluations stored before these rules existed.
   */
  reviewsUsed: ReviewUsed[];
  approvals: { count: number; role: 'reviewer' };
  /**
   * sha256 over everything the evaluation stands on: the policy version, the use case (its revision, which
   * every record, tier, target and stage change moves, and its target hash), the transition, the runs used
   * with the hash of their summaries, the pilot data, the review samples used with the hash of their
   * reviews (when a rule read any), and each rule's verdict, number and run. Equal hashes
   * mean nothing the gate reads has changed, so the earlier evaluation (and its approvals) still stands.
   */
  hash: string;
}

/** A review sample a rule read: which, of which run, and the hashes that bind the evaluation to it. */
export interface ReviewUsed {
  sampleId: string;
  runId: string;
  sampleHash: string;
  reviewsHash: string;
  /** Sampled items, those reviewed by independent people, and how many such people. */
  items: number;
  reviewedItems: number;
  reviewers: number;
}

/** One rule's verdict before it is numbered and titled: what each rule check returns. */
export type Judgement = Pick<RuleVerdict, 'verdict' | 'reason' | 'actual' | 'runId'>;

export const judgement = (
  verdict: RuleOutcome,
  reason: string,
  actual: number | null = null,
  runId: string | null = null,
): Judgement => ({
  verdict,
  reason,
  actual,
  runId,
});
