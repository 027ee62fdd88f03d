import { type Stage } from '@gatehouse/domain';

/** One list of the work page: newest (or soonest) first, at most `limit` items; `truncated` when more match. */
export interface WorkListView<T> {
  items: T[];
  limit: number;
  truncated: boolean;
}

export interface WorkUseCaseRef {
  id: string;
  name: string;
  ownerTeamName: string;
}

/** An evaluation that waits for this reviewer's decision. */
export interface AwaitingDecisionView {
  evaluationId: string;
  kind: 'promotion' | 'reapproval';
  aiUseCase: WorkUseCaseRef;
  from: Stage;
  to: Stage;
  riskTier: string;
  approvals: { have: number; need: number };
  createdAt: string;
  /** The page where the reviewer reads the evaluation and decides. */
  link: string;
  /** Something the reviewer must do before deciding (for example sign in through the identity provider). */
  note: string | null;
}

/** A use case whose approving evidence goes stale within the window (or already has). */
export interface EvidenceExpiringView {
  aiUseCase: WorkUseCaseRef;
  stage: Stage;
  /** The evaluation that approved the current stage. */
  evaluationId: string;
  /** The run that goes stale first, its suite and the rule's maximum age. */
  runId: string;
  suite: string;
  maxAgeDays: number;
  expiresAt: string;
  /** Whole days left; 0 on the last day, negative once stale. */
  daysLeft: number;
  link: string;
}

/** One of the team's evaluations a reviewer rejected. */
export interface TeamRejectionView {
  evaluationId: string;
  aiUseCase: { id: string; name: string };
  from: Stage;
  to: Stage;
  reviewerName: string;
  reason: string;
  rejectedAt: string;
  link: string;
}

/** One of the team's runs that failed (the run broke) or whose thresholds failed. */
export interface TeamFailedRunView {
  runId: string;
  suite: string;
  aiUseCase: { id: string; name: string };
  status: string;
  outcome: string | null;
  reason: string;
  at: string;
  link: string;
}

/** What waits for the signed-in user: as a reviewer, and as a member of their team. */
export interface WorkView {
  generatedAt: string;
  withinDays: number;
  /** The days the team lists look back over. */
  lookBack: { rejectedDays: number; failedRunsDays: number };
  /** Empty unless the user is a reviewer. */
  awaitingMyDecision: WorkListView<AwaitingDecisionView>;
  evidenceExpiring: WorkListView<EvidenceExpiringView>;
  /** Null when the user is in no team. */
  team: { id: string; name: string } | null;
  teamRejected: WorkListView<TeamRejectionView>;
  teamFailedRuns: WorkListView<TeamFailedRunView>;
}
