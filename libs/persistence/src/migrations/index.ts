import { CreateRegister1764086400000 } from './1764086400000-create-register';
import { CreateRegistryAndRuns1764950400000 } from './1764950400000-create-registry-and-runs';
import { CreateGates1765555200000 } from './1765555200000-create-gates';
import { CreateWebSessions1766160000000 } from './1766160000000-create-web-sessions';
import { ProviderConnections1766764800000 } from './1766764800000-provider-connections';
import { IdentityEnrolment1766937600000 } from './1766937600000-identity-enrolment';
import { ArtefactOwnership1766851200000 } from './1766851200000-artefact-ownership';
import { RunRateLimits1767024000000 } from './1767024000000-run-rate-limits';
import { ReviewerWorkflow1767110400000 } from './1767110400000-reviewer-workflow';
import { ReviewSamples1767196800000 } from './1767196800000-review-samples';
import { LiveTraces1767283200000 } from './1767283200000-live-traces';
import { WatchReevaluations1767369600000 } from './1767369600000-watch-reevaluations';
import { LiveJudgeBudget1767456000000 } from './1767456000000-live-judge-budget';
import { LivePartialIndexes1767542400000 } from './1767542400000-live-partial-indexes';
import { LiveScoringLeases1767628800000 } from './1767628800000-live-scoring-leases';
import { WebSessionIdToken1767715200000 } from './1767715200000-web-session-id-token';

/** Every migration, oldest first. Both drivers run this one set. */
export const MIGRATIONS = [
  CreateRegister1764086400000,
  CreateRegistryAndRuns1764950400000,
  CreateGates1765555200000,
  CreateWebSessions1766160000000,
  ProviderConnections1766764800000,
  IdentityEnrolment1766937600000,
  ArtefactOwnership1766851200000,
  RunRateLimits1767024000000,
  ReviewerWorkflow1767110400000,
  ReviewSamples1767196800000,
  LiveTraces1767283200000,
  WatchReevaluations1767369600000,
  LiveJudgeBudget1767456000000,
  LivePartialIndexes1767542400000,
  LiveScoringLeases1767628800000,
  WebSessionIdToken1767715200000,
];
