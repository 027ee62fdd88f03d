import { contentHash } from '../hashing/canonical-json';
import { exactUpperBound } from '../statistics/proportions';
import { type PilotEvidence } from '../gates/gate-input';

/**
 * Derived pilot measures: what live use showed, day by day (UTC), as counted from the stored interactions,
 * feedback and online scores. Pure: the SQL aggregates come from the persistence layer, these turn them into
 * rates with their exact upper bounds and into the pilot evidence the scale gate reads.
 *
 * A *case* is a trace with at least one model call; it belongs to the UTC day its first call started. A rate's
 * numerator counts distinct cases with at least one event of the kind (two overrides of one answer are one
 * overridden case), whenever the event arrived, so a rate is never above 1. Feedback whose trace id is absent
 * or matches no stored interaction of the use case is *unlinked*, counted by the day it occurred; an unlinked
 * adverse event (override, undo, complaint, incident) also counts against its rate as a case of its own,
 * capped at all cases: erring against the team, whose own service sends the feedback.
 */

/** Longest period the measures are read over, in days (inclusive of both ends). */
export const MAX_MEASURE_DAYS = 400;

/** Adverse feedback by kind (override, undo, complaint, incident). */
export type AdverseCounts = Pick<FeedbackCaseCounts, 'overrides' | 'undone' | 'complaints' | 'incidents'>;

/** Feedback kinds that make a case count against a rate, and the positive/negative signals. */
export interface FeedbackCaseCounts {
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  positive: number;
  negative: number;
}

/** One UTC day of live use, as the SQL aggregates count it. */
export interface LiveDay extends FeedbackCaseCounts {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Distinct traces whose first model call started that day. */
  cases: number;
  /** Model calls (interactions) that started that day. */
  calls: number;
  errored: number;
  /** Feedback events that occurred that day and name no stored trace of the use case. */
  unlinked: number;
  /** Of those, the adverse ones by kind: each counts against its rate as a case of its own. */
  unlinkedAdverse: AdverseCounts;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A day with nothing counted yet: what the aggregates fill in. */
export function emptyLiveDay(day: string): LiveDay {
  return {
    day,
    cases: 0,
    calls: 0,
    errored: 0,
    overrides: 0,
    undone: 0,
    complaints: 0,
    incidents: 0,
    positive: 0,
    negative: 0,
    unlinked: 0,
    unlinkedAdverse: { overrides: 0, undone: 0, complaints: 0, incidents: 0 },
    latencyP50Ms: null,
    latencyP95Ms: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  };
}

/** One online scorer's verdicts on one UTC day (by the interaction's start). */
export interface LiveScorerDay {
  day: string;
  scorer: string;
  scorerType: string;
  /** Verdicts with a pass or a fail (unscored verdicts are counted apart). */
  scored: number;
  failed: number;
  unscored: number;
}

/** A count of events over cases, with its point rate and exact one-sided 95% upper bound. */
export interface RateMeasure {
  events: number;
  cases: number;
  rate: number | null;
  upper95: number | null;
}

export interface ScorerMeasure {
  scorer: string;
  scorerType: string;
  scored: number;
  failed: number;
  unscored: number;
  failureRate: number | null;
  upper95: number | null;
}

export interface LiveMeasureTotals {
  cases: number;
  calls: number;
  errored: number;
  unlinked: number;
  positive: number;
  negative: number;
  overrideRate: RateMeasure;
  undoRate: RateMeasure;
  complaintRate: RateMeasure;
  incidentRate: RateMeasure;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface LiveMeasures {
  from: string;
  to: string;
  days: LiveDay[];
  totals: LiveMeasureTotals;
  scorers: ScorerMeasure[];
}

/** Today's (UTC) model-judge calls of online scoring against the use case's daily budget. */
export interface LiveJudgeSpend {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Calls reserved today (each judge of a panel is one). */
  used: number;
  /** The use case's `judgeCallsPerDay` (0: model judges are not run online). */
  budget: number;
}

/** A rate with its exact (Clopper–Pearson) one-sided 95% upper bound; null when there is no case. */
export function rateMeasure(events: number, cases: number): RateMeasure {
  if (!Number.isInteger(events) || !Number.isInteger(cases) || events < 0 || cases < 0) {
    throw new RangeError(`counts must be whole and not negative (events ${events}, cases ${cases})`);
  }
  if (events > cases) {
    throw new RangeError(`${events} cases with an event, out of only ${cases}`);
  }
  return {
    events,
    cases,
    rate: cases === 0 ? null : events / cases,
    upper95: exactUpperBound(events, cases),
  };
}

/**
 * The `p`-th percentile by nearest rank (the smallest value with at least `p` of the values at or below it,
 * as PostgreSQL's `percentile_disc` computes it); null for no values.
 */
export function nearestRankPercentile(sortedAscending: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 1)) {
    throw new RangeError(`percentile must be in (0, 1], not ${p}`);
  }
  const n = sortedAscending.length;
  if (n === 0) {
    return null;
  }
  return sortedAscending[Math.max(1, Math.ceil(p * n)) - 1];
}

const sumOf = <T>(rows: readonly T[], pick: (row: T) => number) => rows.reduce((n, row) => n + pick(row), 0);

/** The days and the scorers' days of a period put together: totals, rates and bounds. */
export function summariseLiveMeasures(
  from: string,
  to: string,
  days: readonly LiveDay[],
  scorerDays: readonly LiveScorerDay[],
): LiveMeasures {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const cases = sumOf(sorted, (d) => d.cases);
  const byScorer = new Map<string, ScorerMeasure>();
  for (const row of scorerDays) {
    const key = `${row.scorer}\u0000${row.scorerType}`;
    const current = byScorer.get(key) ?? {
      scorer: row.scorer,
      scorerType: row.scorerType,
      scored: 0,
      failed: 0,
      unscored: 0,
      failureRate: null,
      upper95: null,
    };
    current.scored += row.scored;
    current.failed += row.failed;
    current.unscored += row.unscored;
    byScorer.set(key, current);
  }
  const scorers = [...byScorer.values()]
    .map((s) => {
      const rate = rateMeasure(s.failed, s.scored);
      return { ...s, failureRate: rate.rate, upper95: rate.upper95 };
    })
    .sort((a, b) => (a.scorer < b.scorer ? -1 : a.scorer > b.scorer ? 1 : 0));
  return {
    from,
    to,
    days: sorted,
    totals: {
      cases,
      calls: sumOf(sorted, (d) => d.calls),
      errored: sumOf(sorted, (d) => d.errored),
      unlinked: sumOf(sorted, (d) => d.unlinked),
      positive: sumOf(sorted, (d) => d.positive),
      negative: sumOf(sorted, (d) => d.negative),
      overrideRate: adverseRate(sorted, cases, 'overrides'),
      undoRate: adverseRate(sorted, cases, 'undone'),
      complaintRate: adverseRate(sorted, cases, 'complaints'),
      incidentRate: adverseRate(sorted, cases, 'incidents'),
      inputTokens: sumOf(sorted, (d) => d.inputTokens),
      outputTokens: sumOf(sorted, (d) => d.outputTokens),
      costUsd: sumOf(sorted, (d) => d.costUsd),
    },
    scorers,
  };
}

/**
 * A rate over the period's cases: the cases with such feedback, plus every such event that names no stored
 * trace, counted as a case of its own (it may be about a case already counted, so this errs against the team:
 * only the use case's own service can send feedback, and leaving it out would let it file adverse events
 * without a trace id to keep them out of the rate), capped at all cases.
 */
function adverseRate(days: LiveDay[], cases: number, kind: keyof AdverseCounts): RateMeasure {
  const events = sumOf(days, (d) => d[kind]) + sumOf(days, (d) => d.unlinkedAdverse?.[kind] ?? 0);
  return rateMeasure(Math.min(events, cases), cases);
}

/** The live window a gate reads: from entry into `learn` up to (not including) a UTC midnight. */
export interface LiveWindow {
  /** When the use case entered learn (ISO). */
  since: string;
  /** A UTC midnight (ISO): only what was received (and scored) before it is counted. */
  until: string;
}

/** Minutes a row received just before midnight is given to commit before the day counts as closed. */
export const LIVE_WINDOW_SETTLE_MINUTES = 10;

/**
 * The midnight (UTC) that closes the live window a gate evaluated at `now` reads: the start of the UTC day
 * of `now` minus a few minutes. Only closed days are counted, so what an evaluation read never changes
 * (rows received before it are only ever added to while it is open) and a gate asked again on the same day
 * reads the same evidence and keeps its hash and approvals.
 */
export function liveWindowUntil(now: Date): Date {
  const settled = new Date(now.getTime() - LIVE_WINDOW_SETTLE_MINUTES * 60_000);
  return new Date(Date.UTC(settled.getUTCFullYear(), settled.getUTCMonth(), settled.getUTCDate()));
}

/** The pilot counts a gate reads from live use: totals over the window, per feedback kind and per scorer. */
export interface LivePilotCounts {
  cases: number;
  overrides: number;
  undone: number;
  complaints: number;
  incidents: number;
  unlinked: number;
  /** Online scorers' verdicts in the window, by metric name. */
  scorers: Record<string, { scored: number; failed: number }>;
}

/**
 * Pilot evidence measured from live use, hashed over the window and every count it read, so an evaluation
 * is bound to exactly these aggregates (and re-derived from the same window).
 */
export function livePilotEvidence(window: LiveWindow, counts: LivePilotCounts): PilotEvidence {
  const scorers = Object.fromEntries(
    Object.entries(counts.scorers)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, c]) => [name, { scored: c.scored, failed: c.failed }]),
  );
  return {
    source: 'live',
    cases: counts.cases,
    overrides: counts.overrides,
    undone: counts.undone,
    complaints: counts.complaints,
    incidents: counts.incidents,
    unlinked: counts.unlinked,
    scorers,
    window: { since: window.since, until: window.until },
    hash: contentHash({
      source: 'live',
      since: window.since,
      until: window.until,
      cases: counts.cases,
      overrides: counts.overrides,
      undone: counts.undone,
      complaints: counts.complaints,
      incidents: counts.incidents,
      unlinked: counts.unlinked,
      scorers,
    }),
  };
}

/** `YYYY-MM-DD` that is a real calendar date, or null. */
export function parseDay(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return null;
  }
  const date = new Date(`${text}T00:00:00.000Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? null : date;
}

/**
 * A measures period from two days (both included): the instants [from 00:00, the day after `to` 00:00),
 * or the problem with it.
 */
export function measurePeriod(
  from: string,
  to: string,
): { start: Date; end: Date } | { field: 'from' | 'to'; message: string } {
  const start = parseDay(from);
  if (!start) {
    return { field: 'from', message: 'must be a date YYYY-MM-DD' };
  }
  const last = parseDay(to);
  if (!last) {
    return { field: 'to', message: 'must be a date YYYY-MM-DD' };
  }
  if (last < start) {
    return { field: 'to', message: 'must not be before from' };
  }
  const days = Math.round((last.getTime() - start.getTime()) / 86_400_000) + 1;
  if (days > MAX_MEASURE_DAYS) {
    return { field: 'to', message: `the period may span at most ${MAX_MEASURE_DAYS} days (asked ${days})` };
  }
  return { start, end: new Date(last.getTime() + 86_400_000) };
}
