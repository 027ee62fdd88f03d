import {
  type Actor,
  inputLength,
  lengthDrifted,
  median,
  type MetricSummary,
  rateDrift,
  type ReevaluatedSuite,
  reevaluationDue,
  regressionFindings,
  WATCH_LIMITS,
  watchMarksStage,
} from '@gatehouse/domain';
import {
  type AiUseCaseEntity,
  type EvaluationRunEntity,
  LiveSettingsRepository,
  ReevaluationEntity,
  type ReevaluationRun,
  type Tx,
  UnitOfWork,
  type WatchedUseCase,
  WatchRepository,
} from '@gatehouse/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { NotificationsService } from '../../notifications/notifications.service';
import { RunComparisonService } from '../../runs/run-comparison.service';
import { RunsService } from '../../runs/runs.service';
import { EvidenceExpiry } from '../../work/evidence-expiry';
import { liveSettingsOf } from '../live-settings';
import { LiveScoringService } from '../scoring/live-scoring.service';
import { type NewWatchAlert, WATCH_CONTEXT, WatchAlerts } from './watch-alerts';

const DAY_MS = 86_400_000;
/** Purge chunks per pass (1,000 rows each); the next pass goes on. */
const MAX_PURGE_CHUNKS = 200;
const SETTLED = ['completed', 'failed', 'cancelled'];
/** A claimed re-evaluation with no runs recorded this long after is taken to have died while starting. */
const STARTING_MS = 15 * 60_000;

/** What one pass did, for logs and tests. */
export interface WatchPassReport {
  textsPurged: number;
  notesPurged: number;
  batchesRequeued: number;
  leasesCleared: number;
  alertsResolved: number;
  reevaluationsStarted: number;
  reevaluationsFinished: number;
  regressions: number;
  evidenceMarked: number;
  driftAlerts: number;
  errors: string[];
}

/**
 * The watch's periodic pass (a queue job on a schedule): deletes captured text past retention, re-adds
 * unscored live batches (and deletes the scoring leases their dead workers left), resolves alerts an approved stage change cleared, starts due re-evaluations and
 * judges finished ones, marks expiring evidence and checks live rates against the evaluation-time baseline.
 *
 * Safe on two workers at once: the purge is idempotent; a re-evaluation is claimed by a unique
 * `(use case, previous)` key and finished by compare-and-set; alerts are opened under the use case's row
 * lock after checking none with the key is open (and the open key is unique besides).
 */
@Injectable()
export class WatchService {
  private readonly logger = new Logger(WatchService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly watch: WatchRepository,
    private readonly settings: LiveSettingsRepository,
    private readonly alerts: WatchAlerts,
    private readonly outbox: NotificationsService,
    private readonly audit: AuditService,
    private readonly runs: RunsService,
    private readonly comparisons: RunComparisonService,
    private readonly expiry: EvidenceExpiry,
    private readonly scoring: LiveScoringService,
  ) {}

  /** The job's handler. */
  async tick(): Promise<void> {
    const report = await this.pass(new Date());
    if (report.errors.length) {
      throw new Error(`The watch's pass had ${report.errors.length} error(s): ${report.errors.join('; ')}`);
    }
  }

  /** One pass at `now`; each part runs even when another failed (its error is reported). */
  async pass(now: Date): Promise<WatchPassReport> {
    const report: WatchPassReport = {
      textsPurged: 0,
      notesPurged: 0,
      batchesRequeued: 0,
      leasesCleared: 0,
      alertsResolved: 0,
      reevaluationsStarted: 0,
      reevaluationsFinished: 0,
      regressions: 0,
      evidenceMarked: 0,
      driftAlerts: 0,
      errors: [],
    };
    const step = async (name: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
        this.logger.warn(`Watch pass, ${message}`);
        report.errors.push(message);
      }
    };
    await step('retention', async () => {
      Object.assign(report, await this.purge(now));
    });
    await step('requeue', async () => {
      report.batchesRequeued = await this.scoring.requeueStale(now);
    });
    await step('leases', async () => {
      report.leasesCleared = await this.scoring.clearExpiredLeases(now);
    });
    await step('resolve', async () => {
      report.alertsResolved = await this.resolveCleared(now);
    });
    const watched = await this.uow.read((tx) => this.watch.watchedUseCases(tx));
    const settings = await this.uow.read((tx) => this.settings.all(tx));
    const settingsOf = (id: string) => liveSettingsOf(settings.find((s) => s.aiUseCaseId === id) ?? null);
    await step('reevaluations', async () => {
      report.reevaluationsStarted = await this.startDue(watched, settingsOf, now);
    });
    await step('reevaluation results', async () => {
      const finished = await this.finishRunning(now);
      report.reevaluationsFinished = finished.finished;
      report.regressions = finished.regressions;
    });
    await step('evidence', async () => {
      report.evidenceMarked = await this.markExpiringEvidence(now);
    });
    await step('drift', async () => {
      for (const useCase of watched) {
        report.driftAlerts += await this.checkDrift(useCase, settingsOf(useCase.id).drift, now);
      }
    });
    return report;
  }

  /** (a) Captured text past its retention, and feedback notes older than the use case's retention. */
  async purge(now: Date): Promise<{ textsPurged: number; notesPurged: number }> {
    let textsPurged = 0;
    for (let i = 0; i < MAX_PURGE_CHUNKS; i++) {
      const n = await this.uow.write((tx) => this.watch.purgeExpiredText(tx, now));
      textsPurged += n;
      if (n === 0) {
        break;
      }
    }
    let notesPurged = 0;
    const useCases = await this.uow.read((tx) => this.watch.useCasesWithNotes(tx));
    for (const id of useCases) {
      const retention = liveSettingsOf(await this.uow.read((tx) => this.settings.find(tx, id))).retentionDays;
      const before = new Date(now.getTime() - retention * DAY_MS);
      for (let i = 0; i < MAX_PURGE_CHUNKS; i++) {
        const n = await this.uow.write((tx) => this.watch.purgeNotes(tx, id, before));
        notesPurged += n;
        if (n === 0) {
          break;
        }
      }
    }
    return { textsPurged, notesPurged };
  }

  /** Resolves the open alerts of use cases whose stage changed since they opened (that cleared the marks). */
  async resolveCleared(now: Date): Promise<number> {
    const stale = await this.uow.read((tx) => this.watch.staleOpenAlerts(tx));
    let resolved = 0;
    for (const alert of stale) {
      const done = await this.uow.write((tx) =>
        this.alerts.resolve(
          tx,
          WATCH_CONTEXT,
          alert,
          'Resolved by the approved stage change that cleared the use case’s marks.',
          now,
        ),
      );
      resolved += done ? 1 : 0;
    }
    return resolved;
  }

  /**
   * (c) Starts the due scheduled re-evaluations: the suites the approving evaluation used, run against the
   * registered target as the watch, each remembered with the approved run it will be compared with.
   */
  async startDue(
    watched: WatchedUseCase[],
    settingsOf: (id: string) => { reevaluateEveryDays: number | null },
    now: Date,
  ): Promise<number> {
    let started = 0;
    for (const useCase of watched) {
      const every = settingsOf(useCase.id).reevaluateEveryDays;
      const approval = useCase.approval;
      if (every === null || !approval || !useCase.targetHash || approval.runsUsed.length === 0) {
        continue;
      }
      const last = await this.uow.read((tx) => this.watch.lastReevaluation(tx, useCase.id));
      if (last?.status === 'running') {
        continue;
      }
      const since = last && last.startedAt > approval.approvedAt ? last.startedAt : approval.approvedAt;
      if (!reevaluationDue(since, every, now)) {
        continue;
      }
      const row = Object.assign(new ReevaluationEntity(), {
        id: randomUUID(),
        aiUseCaseId: useCase.id,
        afterId: last?.id ?? approval.evaluationId,
        evaluationId: approval.evaluationId,
        status: 'running',
        runs: [],
        outcome: null,
        startedAt: now,
        completedAt: null,
      } satisfies ReevaluationEntity);
      if (!(await this.uow.write((tx) => this.watch.claimReevaluation(tx, row)))) {
        continue; // another worker claimed it
      }
      const runs: ReevaluationRun[] = [];
      const seen = new Set<string>();
      for (const used of approval.runsUsed) {
        const suite = `${used.suite}@${used.version}`;
        if (seen.has(suite)) {
          continue;
        }
        seen.add(suite);
        try {
          const run = await this.runs.start(
            { actor: watchActor(useCase.ownerTeamId), requestId: null },
            {
              suite: { name: used.suite, version: used.version },
              aiUseCaseId: useCase.id,
              baselineRunId: used.id,
            },
          );
          runs.push({ suite, baselineRunId: used.id, runId: run.id, error: null });
        } catch (error) {
          runs.push({
            suite,
            baselineRunId: used.id,
            runId: null,
            error: (error instanceof Error ? error.message : String(error)).slice(0, 500),
          });
        }
      }
      await this.uow.write(async (tx) => {
        await this.watch.setReevaluationRuns(tx, row.id, runs);
        await this.audit.record(tx, WATCH_CONTEXT, {
          action: 'ai_use_case.reevaluation_started',
          subjectType: 'ai_use_case',
          subjectId: useCase.id,
          after: { reevaluationId: row.id, evaluationId: approval.evaluationId, runs },
        });
      });
      started += 1;
    }
    return started;
  }

  /**
   * Judges each running re-evaluation whose runs have all settled: each re-run compared item by item with
   * the approved run of its suite; a significant regression (or a re-run that failed) marks the use case
   * under review and opens a `regression` alert.
   */
  async finishRunning(now: Date): Promise<{ finished: number; regressions: number }> {
    const running = await this.uow.read((tx) => this.watch.runningReevaluations(tx));
    let finished = 0;
    let regressions = 0;
    for (const reevaluation of running) {
      if (reevaluation.runs.length === 0 && now.getTime() - reevaluation.startedAt.getTime() < STARTING_MS) {
        continue; // its runs are being started by the pass that claimed it
      }
      const judged = await this.uow.read((tx) => this.judge(tx, reevaluation));
      if (!judged) {
        continue;
      }
      const findings = regressionFindings(judged);
      const regressed = findings.length > 0;
      const done = await this.outbox.write(async (tx) => {
        const outcome = { findings, suites: judged };
        if (
          !(await this.watch.finishReevaluation(
            tx,
            reevaluation.id,
            regressed ? 'regressed' : 'passed',
            outcome,
            now,
          ))
        ) {
          return false; // another worker finished it
        }
        await this.audit.record(tx, WATCH_CONTEXT, {
          action: regressed ? 'ai_use_case.reevaluation_regressed' : 'ai_use_case.reevaluation_passed',
          subjectType: 'ai_use_case',
          subjectId: reevaluation.aiUseCaseId,
          after: { reevaluationId: reevaluation.id, findings },
        });
        // A re-evaluation of an approval that has since been replaced (re-approved, promoted) marks nothing.
        const [current] = await this.watch.watchedUseCases(tx, reevaluation.aiUseCaseId);
        if (regressed && current?.approval?.evaluationId === reevaluation.evaluationId) {
          await this.markAndAlert(tx, reevaluation.aiUseCaseId, now, (useCase) => ({
            kind: 'regression',
            dedupeKey: 'regression',
            summary: `A scheduled re-evaluation regressed against the approved runs: ${findings.join('; ')}`,
            details: { reevaluationId: reevaluation.id, evaluationId: reevaluation.evaluationId, findings },
            notify: 'alert_opened',
            marks: { underChangeSince: useCase.underChangeSince, underReviewSince: useCase.underReviewSince },
          }));
        }
        return true;
      });
      finished += done ? 1 : 0;
      regressions += done && regressed ? 1 : 0;
    }
    return { finished, regressions };
  }

  /** The re-evaluation's suites as their runs ended, compared with the approved runs; null while any runs. */
  private async judge(tx: Tx, reevaluation: ReevaluationEntity): Promise<ReevaluatedSuite[] | null> {
    if (reevaluation.runs.length === 0) {
      // The pass that claimed it died before starting any run.
      return [{ suite: 'every suite', status: 'not started', outcome: null, comparisons: [] }];
    }
    const ids = reevaluation.runs.flatMap((r) => (r.runId ? [r.runId, r.baselineRunId] : []));
    const runs = await this.watch.runs(tx, ids);
    const suites: ReevaluatedSuite[] = [];
    for (const entry of reevaluation.runs) {
      const run = entry.runId ? runs.get(entry.runId) : undefined;
      if (!run) {
        suites.push({ suite: entry.suite, status: 'not started', outcome: null, comparisons: [] });
        continue;
      }
      if (!SETTLED.includes(run.status)) {
        return null;
      }
      const baseline = runs.get(entry.baselineRunId);
      let comparisons: ReevaluatedSuite['comparisons'] = [];
      if (run.status === 'completed' && baseline) {
        comparisons = (
          await this.comparisons.pairedMetrics(tx, baseline, run, WATCH_LIMITS.regressionAlpha)
        ).map((c) => ({ metric: c.metric, difference: c.difference, pValue: c.pValue }));
      }
      suites.push({ suite: entry.suite, status: run.status, outcome: run.outcome, comparisons });
    }
    return suites;
  }

  /**
   * (d) Use cases at learn or scale whose approving evidence goes stale within a week: under review, with
   * an `evidence_expiring` alert once per approving evaluation. Nobody is notified here: the evidence notices
   * already warn the team.
   */
  async markExpiringEvidence(now: Date): Promise<number> {
    const expiring = await this.uow.read((tx) =>
      this.expiry.expiringWithin(tx, WATCH_LIMITS.evidenceReviewDays, now),
    );
    let marked = 0;
    for (const row of expiring.filter((r) => watchMarksStage(r.stage))) {
      const key = `evidence_expiring:${row.evaluationId}`;
      const opened = await this.outbox.write(async (tx) => {
        if (await this.watch.everAlerted(tx, row.aiUseCaseId, key)) {
          return false;
        }
        return this.markAndAlert(tx, row.aiUseCaseId, now, (useCase) => ({
          kind: 'evidence_expiring',
          dedupeKey: key,
          summary: `The evidence for ${useCase.stage} goes stale on ${row.expiresAt.toISOString().slice(0, 10)} (${row.suite}, at most ${row.maxAgeDays} days old): run the suites again and have the stage re-approved.`,
          details: {
            evaluationId: row.evaluationId,
            expiresAt: row.expiresAt.toISOString(),
            runId: row.runId,
            suite: row.suite,
            maxAgeDays: row.maxAgeDays,
          },
          notify: null,
          marks: { underChangeSince: useCase.underChangeSince, underReviewSince: useCase.underReviewSince },
        }));
      });
      marked += opened ? 1 : 0;
    }
    return marked;
  }

  /**
   * (e) Drift of one use case in its window: each online scorer's live failure rate against the same
   * metric's rate in the approved run, and the median live input length against the approved run's
   * dataset. Returns the alerts opened.
   */
  async checkDrift(
    useCase: WatchedUseCase,
    policy: { windowDays: number; minCases: number; rateMargin: number; lengthRatio: number },
    now: Date,
  ): Promise<number> {
    const approval = useCase.approval;
    if (!approval || approval.runsUsed.length === 0) {
      return 0;
    }
    const since = new Date(now.getTime() - policy.windowDays * DAY_MS);
    const found = await this.uow.read(async (tx) => {
      const baselines = await this.watch.runs(
        tx,
        approval.runsUsed.map((r) => r.id),
      );
      const alerts: { key: string; summary: string; details: Record<string, unknown> }[] = [];
      for (const live of await this.watch.liveRates(tx, useCase.id, since)) {
        const baseline = baselineRate(approval.runsUsed, baselines, live.scorer);
        if (!baseline) {
          continue;
        }
        const drift = rateDrift(live.scorer, live, baseline.rate, policy);
        if (drift) {
          alerts.push({
            key: `drift:rate:${live.scorer}`.slice(0, 200),
            summary: `Live ${live.scorer} failures: ${drift.failures} of ${drift.n} in ${policy.windowDays} days (${pct(drift.liveRate)}, lower 95% bound ${pct(drift.lower95)}), above the approved run's ${pct(drift.baselineRate)} + ${pct(policy.rateMargin)} margin.`,
            details: {
              ...drift,
              runId: baseline.runId,
              windowDays: policy.windowDays,
              rateMargin: policy.rateMargin,
            },
          });
        }
      }
      const lengths = await this.watch.liveInputLengths(tx, useCase.id, since);
      if (lengths.length >= policy.minCases) {
        const firstRun = approval.runsUsed[0] as { id: string };
        const baseMedian = median((await this.watch.datasetInputs(tx, firstRun.id)).map(inputLength));
        const liveMedian = median(lengths);
        if (
          baseMedian !== null &&
          liveMedian !== null &&
          lengthDrifted(liveMedian, baseMedian, policy.lengthRatio)
        ) {
          alerts.push({
            key: 'drift:input_length',
            summary: `The median live input is ${liveMedian} characters over ${lengths.length} interactions in ${policy.windowDays} days; the approved run's dataset's is ${baseMedian} (more than ${policy.lengthRatio}× apart).`,
            details: {
              metric: 'input_length',
              liveMedian,
              baselineMedian: baseMedian,
              n: lengths.length,
              lengthRatio: policy.lengthRatio,
              runId: firstRun.id,
              windowDays: policy.windowDays,
            },
          });
        }
      }
      return alerts.slice(0, WATCH_LIMITS.maxDriftAlertsPerPass);
    });
    let opened = 0;
    for (const alert of found) {
      const done = await this.outbox.write(async (tx) => {
        if (await this.watch.openAlert(tx, useCase.id, alert.key)) {
          return false;
        }
        // One a window after a person resolved it: a known drift they judged is not re-alerted every pass.
        const resolvedAt = await this.watch.lastResolvedAt(tx, useCase.id, alert.key);
        if (resolvedAt && now.getTime() - resolvedAt.getTime() < policy.windowDays * DAY_MS) {
          return false;
        }
        return this.markAndAlert(tx, useCase.id, now, (locked) => ({
          kind: 'drift',
          dedupeKey: alert.key,
          summary: alert.summary,
          details: alert.details,
          notify: 'alert_opened',
          marks: { underChangeSince: locked.underChangeSince, underReviewSince: locked.underReviewSince },
        }));
      });
      opened += done ? 1 : 0;
    }
    return opened;
  }

  /**
   * Under the use case's row lock: still at learn or scale and no alert open with the key, marks it under
   * review and opens the alert. True when it opened one.
   */
  private async markAndAlert(
    tx: Tx,
    aiUseCaseId: string,
    now: Date,
    make: (useCase: AiUseCaseEntity) => NewWatchAlert,
  ): Promise<boolean> {
    const useCase = await this.watch.lockUseCase(tx, aiUseCaseId);
    if (!useCase || !watchMarksStage(useCase.stage)) {
      return false;
    }
    const alert = make(useCase);
    if (await this.watch.openAlert(tx, useCase.id, alert.dedupeKey)) {
      return false;
    }
    const marked = await this.watch.markUnderReview(tx, useCase.id, now);
    await this.alerts.open(
      tx,
      useCase,
      { ...alert, marks: { ...alert.marks, underReviewSince: marked ? now : useCase.underReviewSince } },
      now,
    );
    return true;
  }
}

/** The actor the watch starts re-evaluation runs as: the platform, on behalf of the owning team. */
function watchActor(ownerTeamId: string): Actor {
  return { id: 'system', name: 'Gatehouse watch', teamId: ownerTeamId, roles: ['engineer'] };
}

/** The approved runs' failure rate of the metric, from their stored summaries (the first run that has it). */
function baselineRate(
  runsUsed: { id: string }[],
  runs: Map<string, EvaluationRunEntity>,
  metric: string,
): { rate: number; runId: string } | null {
  for (const used of runsUsed) {
    const report = runs.get(used.id)?.report as
      { summary?: { metrics?: MetricSummary[] } } | null | undefined;
    const summary = report?.summary?.metrics?.find((m) => m.name === metric);
    if (
      summary &&
      summary.passed !== null &&
      summary.failed !== null &&
      summary.passed + summary.failed > 0
    ) {
      return { rate: summary.failed / (summary.passed + summary.failed), runId: used.id };
    }
  }
  return null;
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
