import {
  EvalsError,
  type ResolvedConnection,
  type SuiteDefinition,
  suiteDefinitionOf,
} from '@gatehouse/evals';
import {
  ConnectionRepository,
  LiveJudgeBudgetRepository,
  LiveMeasuresRepository,
  type LiveScoreEntity,
  LiveScoringLeaseRepository,
  LiveSettingsRepository,
  type ProviderConnectionEntity,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { type JobContext, JobName, type JobPayloads } from '@gatehouse/queue';
import { type GatehouseConfig } from '@gatehouse/config';
import { Injectable, Logger } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import { randomUUID } from 'node:crypto';
import { ConnectionsService } from '../../connections/connections.service';
import { ALL_TEAMS } from '../../connections/connections.schema';
import { PlatformNetwork } from '../../connections/platform-network';
import { redactSecrets } from '../../notifications/notification-builders';
import { BoundedMap } from '../../gates/bounded-map';
import { InjectJobQueue, type JobQueue } from '../../runs/job-queue.provider';
import { InjectConfig } from '../../gatehouse-config.module';
import { judgeBudgetCapped, liveSettingsOf } from '../live-settings';
import {
  buildOnlineJudges,
  buildOnlineScorers,
  judgeBudgetSpent,
  judgeConnectionNames,
  type LiveInteractionFacts,
  type OnlineJudgeEnvironment,
  type OnlineScorer,
  scoringSuites,
  utcDay,
} from './online-scorers';

/** Interactions scored per transaction: a killed job loses at most one chunk's work, never a span. */
const CHUNK = 500;
/** A batch whose sampled interactions are still unscored this long after they arrived is scored again. */
export const STALE_AFTER_MS = 5 * 60_000;
/** Batches re-added per pass (the next pass takes the rest). */
const REQUEUE_LIMIT = 1_000;
/** Longest explanation stored (the column's width). */
const EXPLANATION_CHARS = 500;
/** Interactions of a chunk judged at once (each may wait on model judges; the others only compute). */
const JUDGE_CONCURRENCY = 4;
/**
 * How long a job that judges holds its batch's lease, and how often it moves the end on: a holder must miss
 * two renewals in a row (a worker starved of CPU for 40 s, or dead) before another job may take the batch.
 */
const LIVE_SCORING_LEASE = { holdMs: 60_000, renewEveryMs: 20_000 };
/** Leases that ran out longer ago than this are deleted by the watch's pass (their holder died). */
export const EXPIRED_LEASE_KEPT_MS = 60 * 60_000;

/** Thrown inside a chunk's write when the batch's lease was taken by another job: the write rolls back. */
class LeaseLost extends Error {}

/**
 * An explanation as it can be stored: without NUL characters, which PostgreSQL refuses in text (a judge's
 * reasoning is the model's words, led by whatever the public wrote; one NUL would fail the chunk's write on
 * every run, and each run would spend the budget again); without the judges' connection secrets (a model
 * server's error may quote the key it was sent) or anything shaped like a credential; cut to the column's
 * width.
 */
function storableExplanation(text: string, secrets: readonly string[]): string {
  let clean = text.includes('\u0000') ? text.split('\u0000').join('') : text;
  for (const secret of secrets) {
    clean = clean.split(secret).join('[redacted]');
  }
  return redactSecrets(clean).slice(0, EXPLANATION_CHARS);
}

/** The secrets of the connections a job's judges call through (masked in what the job stores). */
function secretsOf(connections: Iterable<ResolvedConnection>): string[] {
  const secrets = new Set<string>();
  for (const connection of connections) {
    for (const value of [connection.apiKey, ...Object.values(connection.headers)]) {
      // A value this short is no secret worth the name, and masking it would garble the words around it.
      if (value && value.length >= 8) {
        secrets.add(value);
      }
    }
  }
  return [...secrets];
}

/** What one job read before scoring: the batch's unscored ids, the settings, the suites and the connections. */
interface PreparedBatch {
  ids: string[];
  settings: ReturnType<typeof liveSettingsOf>;
  suites: { key: string; definition: SuiteDefinition }[];
  ownerTeamId: string | null;
  /** The connections the suites' judges name (read only when the use case has a judge budget). */
  connections: ProviderConnectionEntity[];
}

/** A batch's lease as the job holding it sees it. */
interface HeldLease {
  /** Aborted when the job is stopped or the lease is lost (a renewal found another holder). */
  signal: AbortSignal;
  /**
   * Renews the lease inside the transaction `tx` that writes a chunk's verdicts: false (and the signal
   * aborted) when another holder has taken it, so the write is given up. A holder starved past its lease's
   * end writes nothing once another job took over, even before its next timed renewal noticed.
   */
  stillHeld(tx: Tx): Promise<boolean>;
  /** Stops the renewals and deletes the lease (if still held); never throws. */
  release(): Promise<void>;
}

/**
 * Scores the sampled interactions of one ingest batch with the use case's online scorers (a queue job), and
 * re-adds the jobs of batches a crash left unscored.
 *
 * The online scorers are those of the suites the use case's gates read (`suite_passed` rules of the gate to
 * its next stage and of its current stage, in the current policy; the latest suite version each rule
 * accepts) that make sense without a reference answer (see online-scorers.ts). At-least-once safe: only
 * interactions with no `scored_at` are read; each chunk's verdicts are inserted with ON CONFLICT DO NOTHING
 * and the chunk marked scored in the same transaction, so a job run twice adds nothing and a job killed
 * midway leaves the rest unscored for the next run. When the team does not capture text, the text kept for
 * scoring is deleted in that same transaction.
 *
 * Model judges (`rubric_judge`) run only when the use case has a judge budget (`judgeCallsPerDay` above 0),
 * through the admin's connections and the egress policy, as server-side runs call them. Each judge call is
 * reserved from the day's budget in a short write of its own before it is made, and the calls happen with no
 * transaction open: a chunk's interactions are read, judged, then written in one transaction.
 *
 * Two jobs of one batch are kept from judging it twice: in one process by running them one after the other
 * (`scoring`), across worker processes (BullMQ hands a job whose worker lost its lock to another worker while
 * the first still runs; the stale pass re-adds a batch whose job is still running elsewhere) by a lease per
 * batch in `live_scoring_leases`. A job takes it only when it will call model judges (a judge budget and at
 * least one judge), so deterministic scoring costs no statement more; it takes it before reading its first
 * chunk, renews it while judging, and deletes it at the end. A job that finds another's lease running judges
 * nothing and ends: the holder scores the batch. If the holder dies, its lease runs out (`holdMs` after its
 * last renewal) with the batch still unscored: the holder's job, retried by BullMQ's stall detection, takes
 * it if the lease has run out by then, and otherwise the stale pass does (each pass re-adds every batch still
 * unscored five minutes after it arrived, under a job id of the pass's slot, so a job that met a live lease
 * and ended does not keep the next pass from adding the batch again). A holder whose renewal finds the lease
 * taken (it was starved past its end and another job took over) aborts its judges' calls and writes nothing
 * of the chunk they were judging, as when the job is stopped; each chunk's write renews the lease in its own
 * transaction first, so a holder that lost it writes nothing even before a timed renewal noticed. Leases left
 * behind by a dead holder whose batch no job came back for are deleted by the watch's pass.
 */
@Injectable()
export class LiveScoringService {
  private readonly logger = new Logger(LiveScoringService.name);
  /** Built scorers per suite version (immutable once published). */
  private readonly built = new BoundedMap<string, OnlineScorer[]>(500);
  /** The batches this process is scoring now (use case and batch id), with the last job's run of each. */
  private readonly scoring = new Map<string, Promise<void>>();
  /** How long a judging job's lease lasts and how often it is renewed (tests shorten them). */
  leaseTiming = { ...LIVE_SCORING_LEASE };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly live: LiveMeasuresRepository,
    private readonly settingsRows: LiveSettingsRepository,
    private readonly budgets: LiveJudgeBudgetRepository,
    private readonly leases: LiveScoringLeaseRepository,
    private readonly connectionRows: ConnectionRepository,
    private readonly connections: ConnectionsService,
    private readonly network: PlatformNetwork,
    @InjectJobQueue() private readonly queue: JobQueue,
    @InjectConfig() private readonly config: GatehouseConfig,
  ) {}

  /**
   * Scores the batch. A second job for a batch this process is already scoring (the stale pass re-adds a
   * batch whose job is slow or still queued) waits for the first, then scores only what the first left: run
   * side by side, both would read the same unscored interactions and judge each twice, spending the budget
   * twice.
   */
  async scoreBatch(data: JobPayloads[JobName.ScoreLive], context: JobContext): Promise<void> {
    const key = `${data.aiUseCaseId}/${data.batchId}`;
    const before = this.scoring.get(key);
    const run = (before ? before.catch(() => undefined) : Promise.resolve()).then(() =>
      this.scoreOnce(data, context),
    );
    this.scoring.set(key, run);
    try {
      await run;
    } finally {
      if (this.scoring.get(key) === run) {
        this.scoring.delete(key);
      }
    }
  }

  private async scoreOnce(data: JobPayloads[JobName.ScoreLive], context: JobContext): Promise<void> {
    const { aiUseCaseId, batchId } = data;
    const prepared = await this.uow.read(async (tx): Promise<PreparedBatch | null> => {
      const ids = await this.live.unscoredIds(tx, aiUseCaseId, batchId);
      if (ids.length === 0) {
        return null;
      }
      const scoring = await this.live.scoringContext(tx, aiUseCaseId);
      const settings = judgeBudgetCapped(
        liveSettingsOf(await this.settingsRows.find(tx, aiUseCaseId)),
        this.config.live.maxJudgeCallsPerDay,
      );
      const suites: { key: string; definition: SuiteDefinition }[] = [];
      if (scoring?.policy) {
        for (const wanted of scoringSuites(scoring.policy, scoring.riskTier, scoring.stage)) {
          const suite = await this.live.latestSuite(tx, wanted.suite, wanted);
          if (suite) {
            suites.push({ key: suite.id, definition: suiteDefinitionOf(suite) });
          }
        }
      }
      const names =
        settings.judgeCallsPerDay > 0 ? judgeConnectionNames(suites.map((s) => s.definition)) : [];
      const connections = names.length > 0 ? await this.connectionRows.findByNames(tx, names) : [];
      return { ids, settings, suites, ownerTeamId: scoring?.ownerTeamId ?? null, connections };
    });
    if (!prepared) {
      return;
    }
    const { scorers, secrets, judging } = await this.scorersOf(prepared, aiUseCaseId);
    let lease: HeldLease | null = null;
    if (judging) {
      lease = await this.takeLease(aiUseCaseId, batchId, context.signal);
      if (!lease) {
        // Another worker's job is judging this batch: it scores it (or, if it died, its lease runs out and
        // the stale pass re-adds the batch, still unscored).
        this.logger.debug(`live batch ${batchId} is being scored by another job`);
        return;
      }
    }
    try {
      await this.scoreChunks(aiUseCaseId, prepared, scorers, secrets, lease?.signal ?? context.signal, lease);
    } finally {
      await lease?.release();
    }
  }

  /** Scores the prepared ids a chunk at a time, until done, `signal` aborts or the `lease` is lost. */
  private async scoreChunks(
    aiUseCaseId: string,
    prepared: PreparedBatch,
    scorers: OnlineScorer[],
    secrets: string[],
    signal: AbortSignal,
    lease: HeldLease | null,
  ): Promise<void> {
    const { captureText, redactPii } = prepared.settings;
    for (let i = 0; i < prepared.ids.length; i += CHUNK) {
      if (signal.aborted) {
        return; // the rest stays unscored: the job's next run (or the stale pass) takes it
      }
      const chunk = prepared.ids.slice(i, i + CHUNK);
      // Read, judge with no transaction open (model judges take seconds), then write in one transaction.
      const interactions = await this.uow.read((tx) => this.live.unscored(tx, chunk));
      if (interactions.length === 0) {
        continue;
      }
      const rows = await this.verdicts(aiUseCaseId, interactions, scorers, redactPii, signal, secrets);
      if (rows === null) {
        return; // stopped (or the lease lost) while judging: this chunk stays unscored for the next run
      }
      const scoredAt = new Date();
      try {
        await this.uow.write(async (tx) => {
          if (lease && !(await lease.stillHeld(tx))) {
            throw new LeaseLost();
          }
          await this.live.recordScores(
            tx,
            rows.map((row) => ({ ...row, scoredAt })),
            interactions.map((row) => row.id),
            scoredAt,
            !captureText,
          );
        });
      } catch (error) {
        if (error instanceof LeaseLost) {
          return; // another job holds the batch now: it scores this chunk
        }
        throw error;
      }
    }
  }

  /**
   * Takes the batch's lease for this job's run (a random holder id) for `holdMs`, and renews it every
   * `renewEveryMs` until released: null when another job's lease is running. The signal handed back aborts
   * when the job's does, or when a renewal finds that another holder has taken the lease (this one had run
   * out). A renewal that fails (the database did not answer) is only logged: the next one tries again.
   */
  private async takeLease(
    aiUseCaseId: string,
    batchId: string,
    jobSignal: AbortSignal,
  ): Promise<HeldLease | null> {
    const { holdMs, renewEveryMs } = this.leaseTiming;
    const holder = randomUUID();
    const now = new Date();
    const taken = await this.uow.write((tx) =>
      this.leases.acquire(tx, aiUseCaseId, batchId, holder, new Date(now.getTime() + holdMs), now),
    );
    if (!taken) {
      return null;
    }
    const lost = new AbortController();
    let renewing = Promise.resolve();
    const renewIn = async (tx: Tx): Promise<boolean> => {
      const held = await this.leases.renew(tx, batchId, holder, new Date(Date.now() + holdMs));
      if (!held && !lost.signal.aborted) {
        this.logger.warn(`lost the scoring lease of live batch ${batchId} to another job: stopping`);
        lost.abort(new Error(`the scoring lease of live batch ${batchId} was taken by another job`));
      }
      return held;
    };
    const renew = async () => {
      if (lost.signal.aborted) {
        return;
      }
      try {
        await this.uow.write(renewIn);
      } catch (error) {
        this.logger.warn(
          `could not renew the scoring lease of live batch ${batchId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
    const timer = setInterval(() => {
      renewing = renewing.then(renew);
    }, renewEveryMs);
    timer.unref();
    return {
      signal: AbortSignal.any([jobSignal, lost.signal]),
      stillHeld: renewIn,
      release: async () => {
        clearInterval(timer);
        await renewing;
        try {
          await this.uow.write((tx) => this.leases.release(tx, batchId, holder));
        } catch (error) {
          // It runs out by itself: the batch's next job waits at most `holdMs` for it.
          this.logger.warn(
            `could not release the scoring lease of live batch ${batchId}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      },
    };
  }

  /**
   * Every scorer's verdict on each interaction, a few interactions at a time; null when the job was stopped
   * meanwhile (a judge's call was aborted: nothing of the chunk is written).
   */
  private async verdicts(
    aiUseCaseId: string,
    interactions: (LiveInteractionFacts & { startedAt: Date })[],
    scorers: OnlineScorer[],
    redacted: boolean,
    signal: AbortSignal,
    secrets: readonly string[],
  ): Promise<Omit<LiveScoreEntity, 'scoredAt'>[] | null> {
    const rows: Omit<LiveScoreEntity, 'scoredAt'>[] = [];
    const slots = new Semaphore(JUDGE_CONCURRENCY);
    const outcomes = await Promise.allSettled(
      interactions.map((interaction) =>
        slots.runExclusive(async () => {
          for (const scorer of scorers) {
            const score = await scorer.judge(interaction, redacted, signal);
            rows.push({
              interactionId: interaction.id,
              scorer: scorer.name,
              aiUseCaseId,
              scorerType: scorer.type,
              startedAt: interaction.startedAt,
              passed: score.passed,
              value: score.value !== null && Number.isFinite(score.value) ? score.value : null,
              explanation: score.explanation ? storableExplanation(score.explanation, secrets) : null,
            });
          }
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      // A judge's call aborted because the job is stopping: the chunk is left for the next run.
      if (signal.aborted) {
        return null;
      }
      throw failed.reason;
    }
    return rows;
  }

  /**
   * Deletes the judging leases that ran out more than EXPIRED_LEASE_KEPT_MS before `now` (a holder renews
   * every 20 s, so none of them is held); the watch's pass calls it. Returns how many were deleted.
   */
  async clearExpiredLeases(now: Date = new Date()): Promise<number> {
    const before = new Date(now.getTime() - EXPIRED_LEASE_KEPT_MS);
    const cleared = await this.uow.write((tx) => this.leases.clearExpired(tx, before));
    if (cleared > 0) {
      this.logger.log(`deleted ${cleared} live scoring lease(s) left by workers that died`);
    }
    return cleared;
  }

  /**
   * Re-adds the scoring job of every batch (up to a limit per pass) whose sampled interactions arrived more
   * than five minutes before `now` and are still unscored: a job that failed for good, or whose worker died
   * with its attempts used up. The job id carries the five-minute slot, so a job BullMQ still keeps under the
   * batch's first id (failed, for days) does not swallow it, and two passes in one slot add it once.
   */
  async requeueStale(now: Date = new Date()): Promise<number> {
    const stale = await this.uow.read((tx) =>
      this.live.staleBatches(tx, new Date(now.getTime() - STALE_AFTER_MS), REQUEUE_LIMIT),
    );
    const slot = Math.floor(now.getTime() / STALE_AFTER_MS);
    for (const batch of stale) {
      await this.queue.add(JobName.ScoreLive, batch, `live-${batch.batchId}-stale-${slot}`);
    }
    if (stale.length > 0) {
      this.logger.log(`re-added the scoring of ${stale.length} live batch(es) left unscored`);
    }
    return stale.length;
  }

  /**
   * The use case's online scorers: each suite's deterministic ones (built once per suite version) and, with a
   * judge budget, its model judges (built for this job, with the connections as they are now).
   */
  private async scorersOf(
    prepared: PreparedBatch,
    aiUseCaseId: string,
  ): Promise<{ scorers: OnlineScorer[]; secrets: string[]; judging: boolean }> {
    const environment =
      prepared.settings.judgeCallsPerDay > 0 ? await this.judgeEnvironment(prepared, aiUseCaseId) : null;
    const lists: OnlineScorer[][] = [];
    const judges = new Set<OnlineScorer>();
    for (const suite of prepared.suites) {
      let built = this.built.get(suite.key);
      if (!built) {
        built = await buildOnlineScorers([suite.definition]);
        this.built.set(suite.key, built);
      }
      lists.push(built);
      if (environment) {
        const suiteJudges = await buildOnlineJudges(suite.definition, environment);
        suiteJudges.forEach((judge) => judges.add(judge));
        lists.push(suiteJudges);
      }
    }
    // A metric name already taken by an earlier suite is left to that suite.
    const seen = new Set<string>();
    const scorers = lists.flat().filter((scorer) => {
      const fresh = !seen.has(scorer.name);
      seen.add(scorer.name);
      return fresh;
    });
    const opened = environment?.targetContext.platform?.connections;
    return {
      scorers,
      secrets: opened ? secretsOf(opened.values()) : [],
      judging: scorers.some((scorer) => judges.has(scorer)),
    };
  }

  /**
   * How this job's judges reach their model and pay for it: as a server-side run does (no environment, the
   * connections the use case's team may use with their secrets opened, the egress-checked fetch), and each
   * call reserved from today's budget first. Once a reservation is refused, the job asks no more that day.
   */
  private async judgeEnvironment(
    prepared: PreparedBatch,
    aiUseCaseId: string,
  ): Promise<OnlineJudgeEnvironment> {
    const budget = prepared.settings.judgeCallsPerDay;
    const problems = new Map<string, string>();
    const opened = new Map<string, ResolvedConnection>();
    for (const row of prepared.connections) {
      const shared = row.teams.includes(ALL_TEAMS) || row.teams.includes(prepared.ownerTeamId ?? '');
      if (!shared) {
        problems.set(row.name, `${row.name} is not a connection the use case's team may use`);
        continue;
      }
      try {
        // One at a time: a secret that cannot be opened stops only the judges that use it.
        for (const [name, connection] of await this.connections.resolve([row.name])) {
          opened.set(name, connection);
        }
      } catch (error) {
        if (!(error instanceof EvalsError)) {
          throw error;
        }
        problems.set(row.name, error.message);
      }
    }
    let refused: { day: string; calls: number } | null = null;
    return {
      targetContext: {
        env: {},
        baseDir: '.',
        cassetteDir: '.',
        platform: { connections: opened, modules: this.network.modules },
        fetch: this.network.fetch,
        maxResponseBytes: this.network.maxResponseBytes,
      },
      connectionProblem: (name) =>
        problems.get(name) ?? (opened.has(name) ? null : `the connection ${name} is not on this server`),
      reserve: async (calls) => {
        if (calls > budget) {
          return `a panel of ${calls} judges costs more than the day's model-judge budget (${budget} calls)`;
        }
        const at = new Date();
        const day = utcDay(at);
        if (refused && refused.day === day && calls >= refused.calls) {
          return judgeBudgetSpent(budget);
        }
        const reserved = await this.uow.write((tx) =>
          this.budgets.reserve(tx, { aiUseCaseId, day, calls, budget, at }),
        );
        if (!reserved) {
          refused = { day, calls };
          return judgeBudgetSpent(budget);
        }
        return null;
      },
    };
  }
}
