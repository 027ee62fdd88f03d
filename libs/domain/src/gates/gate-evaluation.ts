import { contentHash } from '../hashing/canonical-json';
import { type GateInput, type ReviewEvidence, type RunEvidence } from './gate-input';
import { describeRule, PREVIOUS_STAGE, requiredApprovals } from './gate-policy';
import { judge } from './gate-rule-checks';
import { type GateVerdict } from './gate-verdict';

// What the gate reads is in gate-input.ts, what it gives in gate-verdict.ts, and the check of each rule
// kind in gate-rule-checks.ts (the record requirements in gate-evidence-requirements.ts).
export * from './gate-input';
export type { GateVerdict, ReviewUsed, RuleOutcome, RuleVerdict } from './gate-verdict';
export { selectRun } from './gate-rule-checks';

/**
 * Evaluates a gate: every rule of the policy for the use case's tier and target stage against the
 * evidence, with a verdict (pass, fail, or missing evidence), the numbers and a reason each. Pure: the
 * same inputs give the same verdicts and hash, so a stored evaluation can be re-derived and checked.
 */
export function evaluateGate(input: GateInput): GateVerdict {
  const rules = input.policy.rules.filter((rule) => rule.kind !== 'approvals');
  const samples = new Map<string, ReviewEvidence>();
  const verdicts = rules.map((rule, index) => {
    const { samples: read = [], ...check } = judge(rule, input);
    for (const sample of read) {
      samples.set(sample.sampleId, sample);
    }
    return { index, rule, title: describeRule(rule), ...check };
  });
  const used = new Map<string, RunEvidence>();
  for (const verdict of verdicts) {
    const run = verdict.runId ? input.runs.find((r) => r.id === verdict.runId) : undefined;
    if (run) {
      used.set(run.id, run);
    }
  }
  const runsUsed = [...used.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((run) => ({
      id: run.id,
      suite: run.suite.name,
      version: run.suite.version,
      resultsHash: run.resultsHash,
      startedBy: run.startedBy,
      suiteAuthorId: run.suite.authorId,
    }));
  const reviewsUsed = [...samples.values()]
    .sort((a, b) => (a.sampleId < b.sampleId ? -1 : 1))
    .map((sample) => ({
      sampleId: sample.sampleId,
      runId: sample.runId,
      sampleHash: sample.sampleHash,
      reviewsHash: sample.reviewsHash,
      items: sample.statistics.items,
      reviewedItems: sample.statistics.reviewedItems,
      reviewers: sample.statistics.reviewers,
    }));
  const verdict = verdicts.every((v) => v.verdict === 'pass') ? 'pass' : 'fail';
  const hash = contentHash({
    policy: { id: input.policy.id, version: input.policy.version },
    useCase: { id: input.useCase.id, revision: input.useCase.revision, targetHash: input.useCase.targetHash },
    to: input.to,
    runs: runsUsed.map((run) => ({ id: run.id, resultsHash: run.resultsHash })),
    pilot: input.pilot?.hash ?? null,
    // Only when a rule read reviews, so that evaluations without review rules keep the hash they had.
    ...(reviewsUsed.length === 0
      ? {}
      : {
          reviews: reviewsUsed.map((r) => ({
            sampleId: r.sampleId,
            sampleHash: r.sampleHash,
            reviewsHash: r.reviewsHash,
          })),
        }),
    verdict,
    rules: verdicts.map((v) => ({ index: v.index, verdict: v.verdict, actual: v.actual, runId: v.runId })),
  });
  return {
    from: PREVIOUS_STAGE[input.to],
    to: input.to,
    verdict,
    rules: verdicts,
    runsUsed,
    reviewsUsed,
    approvals: requiredApprovals(input.policy.rules),
    hash,
  };
}
