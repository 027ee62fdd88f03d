/**
 * The watch over live use: what runs is what was approved (attestation), scheduled re-evaluations that
 * regress, live rates that drift from the evaluation-time baseline, evidence about to expire. Pure rules;
 * the service in libs/application acts on them.
 */
import { type AiUseCaseOwnership } from '../ai-use-cases/ai-use-case-access';
import { type AiUseCaseRecord } from '../ai-use-cases/ai-use-case-record';
import { type Stage } from '../ai-use-cases/stage';
import { DomainError } from '../errors/domain-error';
import { type Actor, hasRole } from '../identity/roles';
import { exactUpperBound } from '../statistics/proportions';
import { CONFIG_HASH } from './live-span';
import { type LiveDriftPolicy } from './live-settings';

export const WATCH_ALERT_KINDS = ['config_mismatch', 'drift', 'regression', 'evidence_expiring'] as const;
export type WatchAlertKind = (typeof WATCH_ALERT_KINDS)[number];

export function isWatchAlertKind(value: unknown): value is WatchAlertKind {
  return typeof value === 'string' && (WATCH_ALERT_KINDS as readonly string[]).includes(value);
}

/** Limits that keep a noisy or hostile service from growing the watch's rows without bound. */
export const WATCH_LIMITS = {
  /** Distinct reported hashes listed on an open config_mismatch alert (the count goes on past it). */
  maxListedHashes: 10,
  /** Hashes read from one attestation call (the rest are ignored). */
  maxHashesPerCall: 50,
  /** Drift alerts opened for one use case in one pass (a scorer list is bounded by the suites anyway). */
  maxDriftAlertsPerPass: 10,
  /** Evidence that goes stale within this many days puts the use case under review. */
  evidenceReviewDays: 7,
  /** A resolve note's length. */
  maxResolveNote: 2000,
  /** Significance of a scheduled re-evaluation's paired comparison. */
  regressionAlpha: 0.05,
} as const;

/** The stages a live service runs at, where a mismatch or a finding marks the use case. */
export function watchMarksStage(stage: Stage): boolean {
  return stage === 'learn' || stage === 'scale';
}

/**
 * The reported hashes that are not the approved target hash: distinct, well-formed (sha256 hex; anything
 * else is ignored, not trusted), at most `maxHashesPerCall` read. With no registered target every hash is a
 * mismatch: nothing was approved for it to match.
 */
export function mismatchedHashes(targetHash: string | null, reported: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of reported.slice(0, WATCH_LIMITS.maxHashesPerCall)) {
    if (typeof raw !== 'string') {
      continue;
    }
    const hash = raw.toLowerCase();
    if (CONFIG_HASH.test(hash) && hash !== targetHash) {
      seen.add(hash);
    }
  }
  return [...seen];
}

/** What an open config_mismatch alert remembers of the hashes reported: a capped list and a count. */
export interface SeenHashes {
  /** The first `maxListedHashes` distinct hashes, in the order first seen. */
  hashes: string[];
  /** Distinct hashes counted: exact while the list is not full, a lower bound after. */
  distinct: number;
  /** True once more distinct hashes were seen than the list holds. */
  more: boolean;
}

/** The seen hashes with `fresh` added; `changed` is false when nothing new was learnt (no write needed). */
export function withSeenHashes(
  seen: SeenHashes,
  fresh: readonly string[],
): { seen: SeenHashes; changed: boolean } {
  const hashes = [...seen.hashes];
  let distinct = seen.distinct;
  let more = seen.more;
  let changed = false;
  for (const hash of fresh) {
    if (hashes.includes(hash)) {
      continue;
    }
    if (hashes.length < WATCH_LIMITS.maxListedHashes) {
      hashes.push(hash);
      distinct += 1;
      changed = true;
    } else if (!more) {
      // Past the cap the hashes are not kept, so later ones cannot be told apart: count the overflow once.
      more = true;
      distinct += 1;
      changed = true;
    }
  }
  return { seen: { hashes, distinct, more }, changed };
}

/** What the record's kill switch says happens now, for an alert's summary (clipped). */
export function killSwitchConsequence(record: Pick<AiUseCaseRecord, 'operations'>): string {
  const killSwitch = record.operations?.killSwitch?.trim();
  if (!killSwitch) {
    return 'The record names no kill switch: the team must decide now whether to stop the service.';
  }
  const clipped = killSwitch.length > 300 ? `${killSwitch.slice(0, 299)}…` : killSwitch;
  return `Kill switch: ${clipped}`;
}

/** The summary of a config_mismatch alert (at most 500 characters). */
export function configMismatchSummary(
  stage: Stage,
  targetHash: string | null,
  record: Pick<AiUseCaseRecord, 'operations'>,
): string {
  const what = targetHash
    ? `The live service reported a configuration hash that is not the approved target's (${targetHash.slice(0, 12)}…)`
    : 'The live service reported a configuration hash, but no target is registered';
  const mark = watchMarksStage(stage)
    ? `; the use case is under change at ${stage} until a re-evaluation is approved.`
    : `; at ${stage} this is recorded, not marked.`;
  return clip(`${what}${mark} ${killSwitchConsequence(record)}`, 500);
}

/** Whether a scheduled re-evaluation is due: never run, or the last one started `everyDays` ago or more. */
export function reevaluationDue(lastStartedAt: Date | null, everyDays: number | null, now: Date): boolean {
  if (everyDays === null || !(everyDays > 0)) {
    return false;
  }
  return lastStartedAt === null || now.getTime() - lastStartedAt.getTime() >= everyDays * 86_400_000;
}

/** One re-run of a suite, compared with the run the approved evaluation used. */
export interface ReevaluatedSuite {
  suite: string;
  /** The re-run's status: completed, failed or cancelled. */
  status: string;
  /** The re-run's outcome (passed/failed its thresholds), when it completed. */
  outcome: string | null;
  comparisons: { metric: string; difference: number | null; pValue: number }[];
}

/**
 * What a scheduled re-evaluation found, per suite: a metric significantly worse than in the approved run
 * (paired test, p below alpha, negative difference), a re-run that failed its thresholds, or a re-run that
 * did not complete. Empty: no regression.
 */
export function regressionFindings(
  suites: readonly ReevaluatedSuite[],
  alpha = WATCH_LIMITS.regressionAlpha,
): string[] {
  const findings: string[] = [];
  for (const suite of suites) {
    if (suite.status !== 'completed') {
      findings.push(`${suite.suite}: the re-run ${suite.status}`);
      continue;
    }
    if (suite.outcome === 'failed') {
      findings.push(`${suite.suite}: the re-run failed its thresholds`);
    }
    for (const c of suite.comparisons) {
      if (c.difference !== null && c.difference < 0 && c.pValue < alpha) {
        findings.push(
          `${suite.suite} ${c.metric}: ${(c.difference * 100).toFixed(1)} points against the approved run (p = ${c.pValue.toPrecision(2)})`,
        );
      }
    }
  }
  return findings;
}

/**
 * One-sided exact (Clopper–Pearson) lower 95% bound of a failure rate: the 5% quantile of
 * Beta(failures, n − failures + 1), 0 with no failures; null when n = 0.
 */
export function exactLowerBound(failures: number, n: number, level = 0.95): number | null {
  const upperOfPasses = exactUpperBound(n - failures, n, level);
  return upperOfPasses === null ? null : failures === 0 ? 0 : Math.max(0, 1 - upperOfPasses);
}

/** A live failure rate against its evaluation-time baseline. */
export interface RateDrift {
  metric: string;
  failures: number;
  n: number;
  liveRate: number;
  lower95: number;
  baselineRate: number;
  limit: number;
}

/**
 * Drift of one online scorer: with at least `minCases` scored, the live failure rate's exact lower 95%
 * bound above the baseline rate plus `rateMargin`. Null when it has not drifted (or too few cases).
 */
export function rateDrift(
  metric: string,
  live: { failures: number; n: number },
  baselineRate: number,
  policy: Pick<LiveDriftPolicy, 'minCases' | 'rateMargin'>,
): RateDrift | null {
  if (live.n < policy.minCases || live.n === 0) {
    return null;
  }
  const lower95 = exactLowerBound(live.failures, live.n) ?? 0;
  const limit = baselineRate + policy.rateMargin;
  if (!(lower95 > limit)) {
    return null;
  }
  return {
    metric,
    failures: live.failures,
    n: live.n,
    liveRate: live.failures / live.n,
    lower95,
    baselineRate,
    limit,
  };
}

/** The median of the values; null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Whether the live median input length moved by more than `lengthRatio` either way from the dataset's
 * (lengths of 0 count as 1 character, so an empty side still compares).
 */
export function lengthDrifted(liveMedian: number, baselineMedian: number, lengthRatio: number): boolean {
  const live = Math.max(1, liveMedian);
  const base = Math.max(1, baselineMedian);
  return live / base > lengthRatio || base / live > lengthRatio;
}

/** The characters of a dataset item's input: a string's length, or the sum of its messages' contents. */
export function inputLength(input: unknown): number {
  if (typeof input === 'string') {
    return input.length;
  }
  if (Array.isArray(input)) {
    return input.reduce<number>((sum, message) => {
      const content = (message as { content?: unknown } | null)?.content;
      return sum + (typeof content === 'string' ? content.length : 0);
    }, 0);
  }
  return input === null || input === undefined ? 0 : JSON.stringify(input).length;
}

/**
 * Who may resolve a watch alert by hand, with a note: an assurance reviewer outside the owning team (any
 * kind but a configuration mismatch); the owning team's service team or engineers for drift and expiring
 * evidence only. A configuration mismatch is never resolved by hand: only the approved re-evaluation that
 * clears *under change* resolves it. Admins resolve nothing by being admins.
 */
export function assertCanResolveWatchAlert(
  actor: Actor,
  useCase: AiUseCaseOwnership,
  kind: WatchAlertKind,
): void {
  if (kind === 'config_mismatch') {
    throw new DomainError(
      'invalid_state',
      'A configuration mismatch is resolved by a passing, approved re-evaluation of the running configuration, not by hand.',
      [],
      'config_mismatch_resolved_by_reapproval',
    );
  }
  const inTeam = actor.teamId !== null && actor.teamId === useCase.ownerTeamId;
  if (hasRole(actor, 'reviewer') && !inTeam) {
    return;
  }
  if (
    inTeam &&
    hasRole(actor, 'service_team', 'engineer') &&
    (kind === 'drift' || kind === 'evidence_expiring')
  ) {
    return;
  }
  throw DomainError.forbidden(
    inTeam
      ? 'The owning team may resolve drift and expiring-evidence alerts; a regression needs an independent reviewer.'
      : 'Only an independent reviewer or the owning team can resolve a watch alert.',
    'watch_alert_resolved_by_reviewer_or_team',
  );
}

/** Whether the use case is marked for a re-approval at its stage (under change or under review). */
export function reapprovalOffered(useCase: {
  underChangeSince: Date | null;
  underReviewSince?: Date | null;
}): boolean {
  return useCase.underChangeSince !== null || (useCase.underReviewSince ?? null) !== null;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
