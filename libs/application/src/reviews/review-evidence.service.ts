import {
  contentHash,
  isIndependentReviewer,
  isJudgeScorer,
  type ReviewedItem,
  type ReviewedMetric,
  type ReviewEvidence,
  reviewStatistics,
  type ScorerReading,
} from '@gatehouse/domain';
import {
  currentReviews,
  type ItemReviewEntity,
  ReviewRepository,
  type ReviewRunContext,
  type ReviewSampleEntity,
  type Tx,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';

export interface ReviewEvidenceOptions {
  /** Count only reviews by people independent of the evidence (what gates read). */
  independentOnly: boolean;
  /** Reviews written at or before this time only (to re-derive what an evaluation read). */
  asOf?: Date;
}

/**
 * The statistics of review samples, computed from their rows the one way both the run page and the gate
 * read them: the current review of each (item, rater), each reviewer's independence from the run's team,
 * starter and suite author as it stands now, and a hash of exactly the reviews counted.
 */
@Injectable()
export class ReviewEvidenceService {
  constructor(private readonly rows: ReviewRepository) {}

  /** Evidence of every sample of these runs, oldest sample first. */
  async ofRuns(tx: Tx, runIds: readonly string[], options: ReviewEvidenceOptions): Promise<ReviewEvidence[]> {
    const samples = await this.rows.samplesOfRuns(tx, runIds);
    return this.ofSamples(tx, samples, options);
  }

  async ofSamples(
    tx: Tx,
    samples: readonly ReviewSampleEntity[],
    options: ReviewEvidenceOptions,
  ): Promise<ReviewEvidence[]> {
    if (samples.length === 0) {
      return [];
    }
    const contexts = await this.rows.runContexts(tx, [...new Set(samples.map((s) => s.runId))]);
    const all = await this.rows.reviews(
      tx,
      samples.map((s) => s.id),
      options.asOf,
    );
    const teams = await this.rows.teamsOf(tx, [...new Set(all.map((r) => r.reviewerId))]);
    const evidence: ReviewEvidence[] = [];
    for (const sample of samples) {
      const context = contexts.get(sample.runId);
      if (!context) {
        continue;
      }
      const ofSample = all.filter((r) => r.sampleId === sample.id);
      const reviews = currentReviews(ofSample);
      evidence.push(
        await this.evidence(
          tx,
          sample,
          context,
          reviews,
          firstRevisions(ofSample),
          teams,
          options.independentOnly,
        ),
      );
    }
    return evidence;
  }

  private async evidence(
    tx: Tx,
    sample: ReviewSampleEntity,
    context: ReviewRunContext,
    reviews: ItemReviewEntity[],
    firsts: Map<string, ItemReviewEntity>,
    teams: Map<string, string | null>,
    independentOnly: boolean,
  ): Promise<ReviewEvidence> {
    const items = await this.rows.items(tx, sample.id);
    const results = new Map(
      (await this.rows.sampledResults(tx, sample.runId, sample.id)).map((row) => [
        `${row.itemId}\u0000${row.epoch}`,
        row,
      ]),
    );
    const metrics: ReviewedMetric[] = context.metrics.map((m) => ({
      name: m.name,
      scorer: m.scorer,
      judge: isJudgeScorer(m.scorer),
    }));
    const independence = {
      ownerTeamId: context.ownerTeamId,
      runStarter: context.startedBy,
      suiteAuthor: context.suiteAuthor,
    };
    const independent = (review: ItemReviewEntity) =>
      isIndependentReviewer(
        { id: review.reviewerId, teamId: teams.get(review.reviewerId) ?? null },
        independence,
      );
    const counted = reviews.filter((review) => !independentOnly || independent(review));
    const byPosition = new Map<number, ItemReviewEntity[]>();
    for (const review of counted) {
      byPosition.set(review.position, [...(byPosition.get(review.position) ?? []), review]);
    }
    const reviewed: ReviewedItem[] = items.map((item) => {
      const result = results.get(`${item.itemId}\u0000${item.epoch}`);
      const readings: Record<string, ScorerReading> = {};
      for (const metric of metrics) {
        const score = result?.scores[metric.name];
        if (score) {
          readings[metric.name] = { passed: score.passed, value: score.value, label: score.label ?? null };
        }
      }
      return {
        position: item.position,
        stratum: item.stratum,
        readings,
        reviews: (byPosition.get(item.position) ?? []).map((review) => ({
          reviewer: review.reviewerKey,
          independent: independent(review),
          verdicts: review.verdicts,
          ...(review.revision > 1
            ? { blindVerdicts: firsts.get(revisionKey(review))?.verdicts ?? review.verdicts }
            : {}),
        })),
      };
    });
    return {
      sampleId: sample.id,
      runId: sample.runId,
      sampleHash: sample.hash,
      reviewsHash: contentHash(counted.map((review) => review.id).sort()),
      statistics: reviewStatistics({
        strata: sample.strata,
        items: reviewed,
        metrics,
        seed: sample.design.seed,
        independentOnly,
      }),
      drawnAt: sample.createdAt.toISOString(),
    };
  }
}

const revisionKey = (review: ItemReviewEntity) => `${review.position}\u0000${review.reviewerKey}`;

/**
 * Each rater's first revision of each item's review: given blind, before anyone else's review of the item
 * could be seen (agreement between people reads these; see ReviewedItem.reviews[].blindVerdicts).
 */
function firstRevisions(reviews: readonly ItemReviewEntity[]): Map<string, ItemReviewEntity> {
  const firsts = new Map<string, ItemReviewEntity>();
  for (const review of reviews) {
    const seen = firsts.get(revisionKey(review));
    if (!seen || review.revision < seen.revision) {
      firsts.set(revisionKey(review), review);
    }
  }
  return firsts;
}
