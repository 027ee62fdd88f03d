import { type SuiteDefinition, suiteDefinitionOf } from '@gatehouse/evals';
import {
  LiveMeasuresRepository,
  type LiveScoreEntity,
  LiveSettingsRepository,
  UnitOfWork,
} from '@gatehouse/persistence';
import { type JobContext, JobName, type JobPayloads } from '@gatehouse/queue';
import { Injectable, Logger } from '@nestjs/common';
import { BoundedMap } from '../../gates/bounded-map';
import { InjectJobQueue, type JobQueue } from '../../runs/job-queue.provider';
import { liveSettingsOf } from '../live-settings';
import { buildOnlineScorers, type OnlineScorer, scoringSuites } from './online-scorers';

/** Interactions scored per transaction: a killed job loses at most one chunk's work, never a span. */
const CHUNK = 500;
/** A batch whose sampled interactions are still unscored this long after they arrived is scored again. */
export const STALE_AFTER_MS = 5 * 60_000;
/** Batches re-added per pass (the next pass takes the rest). */
const REQUEUE_LIMIT = 1_000;
/** Longest explanation stored (the column's width). */
const EXPLANATION_CHARS = 500;

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
 */
@Injectable()
export class LiveScoringService {
  private readonly logger = new Logger(LiveScoringService.name);
  /** Built scorers per suite version (immutable once published). */
  private readonly built = new BoundedMap<string, OnlineScorer[]>(500);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly live: LiveMeasuresRepository,
    private readonly settingsRows: LiveSettingsRepository,
    @InjectJobQueue() private readonly queue: JobQueue,
  ) {}

  async scoreBatch(data: JobPayloads[JobName.ScoreLive], context: JobContext): Promise<void> {
    const { aiUseCaseId, batchId } = data;
    const prepared = await this.uow.read(async (tx) => {
      const ids = await this.live.unscoredIds(tx, aiUseCaseId, batchId);
      if (ids.length === 0) {
        return null;
      }
      const scoring = await this.live.scoringContext(tx, aiUseCaseId);
      const settings = liveSettingsOf(await this.settingsRows.find(tx, aiUseCaseId));
      const suites: { key: string; definition: SuiteDefinition }[] = [];
      if (scoring?.policy) {
        for (const wanted of scoringSuites(scoring.policy, scoring.riskTier, scoring.stage)) {
          const suite = await this.live.latestSuite(tx, wanted.suite, wanted);
          if (suite) {
            suites.push({ key: suite.id, definition: suiteDefinitionOf(suite) });
          }
        }
      }
      return { ids, settings, suites };
    });
    if (!prepared) {
      return;
    }
    const scorers = await this.scorersOf(prepared.suites);
    const { captureText, redactPii } = prepared.settings;
    for (let i = 0; i < prepared.ids.length; i += CHUNK) {
      if (context.signal.aborted) {
        return; // the rest stays unscored: the job's next run (or the stale pass) takes it
      }
      const chunk = prepared.ids.slice(i, i + CHUNK);
      await this.uow.write(async (tx) => {
        const interactions = await this.live.unscored(tx, chunk);
        const scoredAt = new Date();
        const rows: LiveScoreEntity[] = [];
        for (const interaction of interactions) {
          for (const scorer of scorers) {
            const score = await scorer.judge(interaction, redactPii);
            rows.push({
              interactionId: interaction.id,
              scorer: scorer.name,
              aiUseCaseId,
              scorerType: scorer.type,
              startedAt: interaction.startedAt,
              passed: score.passed,
              value: score.value !== null && Number.isFinite(score.value) ? score.value : null,
              explanation: score.explanation ? score.explanation.slice(0, EXPLANATION_CHARS) : null,
              scoredAt,
            });
          }
        }
        await this.live.recordScores(
          tx,
          rows,
          interactions.map((row) => row.id),
          scoredAt,
          !captureText,
        );
      });
    }
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

  private async scorersOf(suites: { key: string; definition: SuiteDefinition }[]): Promise<OnlineScorer[]> {
    const lists: OnlineScorer[][] = [];
    for (const suite of suites) {
      let built = this.built.get(suite.key);
      if (!built) {
        built = await buildOnlineScorers([suite.definition]);
        this.built.set(suite.key, built);
      }
      lists.push(built);
    }
    // A metric name already taken by an earlier suite is left to that suite.
    const seen = new Set<string>();
    return lists.flat().filter((scorer) => {
      const fresh = !seen.has(scorer.name);
      seen.add(scorer.name);
      return fresh;
    });
  }
}
