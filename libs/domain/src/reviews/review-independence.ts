/** Who produced the evidence a review judges: none of them reviews it independently. */
export interface ReviewIndependenceContext {
  /** The use case's owning team (null for a run of no use case: then nobody is independent of it by team). */
  ownerTeamId: string | null;
  /** Who started the run. */
  runStarter: string;
  /** Who published the suite version the run ran. */
  suiteAuthor: string;
}

/**
 * Whether a reviewer is independent of the evidence: not in the owning team, not the run's starter, not
 * the suite's author. A run of no use case has no owning team to be independent of, so no review of it
 * counts as independent. Independence is read when the evidence is used, from the reviewer's team then.
 */
export function isIndependentReviewer(
  reviewer: { id: string; teamId: string | null },
  context: ReviewIndependenceContext,
): boolean {
  if (context.ownerTeamId === null) {
    return false;
  }
  return (
    reviewer.teamId !== context.ownerTeamId &&
    reviewer.id !== context.runStarter &&
    reviewer.id !== context.suiteAuthor
  );
}
