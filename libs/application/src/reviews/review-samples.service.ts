import {
  type Actor,
  DomainError,
  drawReviewSample,
  isJudgeScorer,
  type ReviewEvidence,
  reviewSampleHash,
  type SampleCandidate,
  type SampleDesign,
} from '@gatehouse/domain';
import { suiteDefinitionOf } from '@gatehouse/evals';
import {
  currentReviews,
  type EvaluationRunEntity,
  ReviewRepository,
  ReviewSampleEntity,
  ReviewSampleItemEntity,
  RunRepository,
  storedReport,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomInt, randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { type RequestContext } from '../request-context';
import { loadVisibleRun } from '../runs/run-access';
import { assertCanReviewRun } from './review-access';
import { ReviewEvidenceService } from './review-evidence.service';
import { DEFAULT_FAILURE_WEIGHT, DEFAULT_JUDGED_WEIGHT, parseDrawSample } from './review-inputs';
import { type ReviewSampleView } from './review.views';

/** The caller as an actor, whether handed the actor or the request context (which audit events need). */
export type ActorOrContext = Actor | RequestContext;

export function contextOf(caller: ActorOrContext): RequestContext {
  return 'actor' in caller ? caller : { actor: caller, requestId: null };
}

/** The largest seed drawn when the caller gives none (randomInt's range is below 2^48). */
const RANDOM_SEED_LIMIT = 2 ** 47;

/**
 * Drawing review samples from completed runs and reading them back. Who may: see the run to read a
 * sample; draw one: a reviewer, or an engineer or service-team member of the use case's owning team.
 */
/**
 * Review samples one run may have: every read of the run's samples and every gate evaluation with review
 * rules computes the statistics of each, so their number is bounded.
 */
export const MAX_SAMPLES_PER_RUN = 20;

@Injectable()
export class ReviewSamplesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunRepository,
    private readonly rows: ReviewRepository,
    private readonly evidence: ReviewEvidenceService,
    private readonly audit: AuditService,
  ) {}

  /** Draws and stores a sample of a completed run (body: size, seed?, groupKey?, failureWeight?, judgedWeight?). */
  async draw(caller: ActorOrContext, runId: string, body: unknown): Promise<ReviewSampleView> {
    const context = contextOf(caller);
    const input = parseDrawSample(body);
    return this.uow.write(async (tx) => {
      // The run row is locked so that concurrent draws are counted one after another against the cap.
      const { run, useCase } = await loadVisibleRun(this.runs, tx, context.actor, runId, true);
      assertCanReviewRun(
        context.actor,
        useCase?.ownerTeamId ?? run.suite?.ownerTeamId ?? null,
        'Drawing a review sample',
      );
      if ((await this.rows.samplesOfRuns(tx, [run.id])).length >= MAX_SAMPLES_PER_RUN) {
        throw new DomainError(
          'invalid_state',
          `The run already has ${MAX_SAMPLES_PER_RUN} review samples, the most one run may have: review one of them (the gate reads the one with the most independent reviews).`,
          [],
          'review_samples_per_run',
        );
      }
      const report = storedReport(run);
      if (run.status !== 'completed' || !report) {
        throw new DomainError(
          'invalid_state',
          `The run is ${run.status}${run.status === 'completed' ? ' but its report is not written yet' : ''}: only a completed run can be sampled for review. Wait for it to finish, then draw the sample.`,
          [],
          'sample_completed_runs',
        );
      }
      const judges = new Set(
        report.summary.metrics.filter((m) => isJudgeScorer(m.scorer)).map((m) => m.name),
      );
      const candidates: SampleCandidate[] = (await this.rows.candidates(tx, run.id)).map((row) => ({
        itemId: row.itemId,
        epoch: row.epoch,
        failed: row.anyFailed,
        judged: [...judges].some((metric) => {
          const score = Object.hasOwn(row.scores, metric) ? row.scores[metric] : undefined;
          return score !== undefined && (score.passed !== null || score.value !== null);
        }),
        groups: row.groups,
      }));
      const groupKey = input.groupKey ?? null;
      if (groupKey !== null) {
        checkGroupKey(groupKey, run, candidates);
      }
      if (candidates.length === 0) {
        throw new DomainError(
          'invalid_state',
          'The run has no scored items to review (every item errored).',
          [],
          'sample_reviewable_items',
        );
      }
      const design: SampleDesign = {
        size: input.size,
        seed: input.seed ?? randomInt(0, RANDOM_SEED_LIMIT),
        groupKey,
        failureWeight: input.failureWeight ?? DEFAULT_FAILURE_WEIGHT,
        judgedWeight: input.judgedWeight ?? DEFAULT_JUDGED_WEIGHT,
      };
      const drawn = drawReviewSample(candidates, design);
      const sample: ReviewSampleEntity = Object.assign(new ReviewSampleEntity(), {
        id: randomUUID(),
        runId: run.id,
        aiUseCaseId: run.aiUseCaseId,
        design,
        strata: drawn.strata,
        population: drawn.population,
        size: drawn.items.length,
        hash: reviewSampleHash(run.id, design, drawn),
        createdBy: context.actor.id,
        createdAt: new Date(),
      });
      const items = drawn.items.map((item) =>
        Object.assign(new ReviewSampleItemEntity(), {
          sampleId: sample.id,
          position: item.position,
          itemId: item.itemId,
          epoch: item.epoch,
          stratum: item.stratum,
          weight: item.weight,
        }),
      );
      await this.rows.insertSample(tx, sample, items);
      await this.audit.record(tx, context, {
        action: 'review_sample.drawn',
        subjectType: 'review_sample',
        subjectId: sample.id,
        after: {
          runId: run.id,
          aiUseCaseId: run.aiUseCaseId,
          design,
          population: sample.population,
          size: sample.size,
          strata: drawn.strata.map((s) => ({ key: s.key, population: s.population, drawn: s.drawn })),
          hash: sample.hash,
        },
      });
      return (await this.views(tx, context.actor, [sample]))[0];
    });
  }

  /** The run's samples, oldest first. */
  async list(caller: ActorOrContext, runId: string): Promise<ReviewSampleView[]> {
    const { actor } = contextOf(caller);
    return this.uow.read(async (tx) => {
      await loadVisibleRun(this.runs, tx, actor, runId);
      return this.views(tx, actor, await this.rows.samplesOfRuns(tx, [runId]));
    });
  }

  async get(caller: ActorOrContext, sampleId: string): Promise<ReviewSampleView> {
    const { actor } = contextOf(caller);
    return this.uow.read(async (tx) => {
      const sample = await loadVisibleSample(this.runs, this.rows, tx, actor, sampleId);
      return (await this.views(tx, actor, [sample.sample]))[0];
    });
  }

  private async views(tx: Tx, actor: Actor, samples: ReviewSampleEntity[]): Promise<ReviewSampleView[]> {
    if (samples.length === 0) {
      return [];
    }
    const [all, independent] = [
      await this.evidence.ofSamples(tx, samples, { independentOnly: false }),
      await this.evidence.ofSamples(tx, samples, { independentOnly: true }),
    ];
    const contexts = await this.rows.runContexts(tx, [...new Set(samples.map((s) => s.runId))]);
    const reviews = await this.rows.reviews(
      tx,
      samples.map((s) => s.id),
    );
    const views: ReviewSampleView[] = [];
    for (const sample of samples) {
      const context = contexts.get(sample.runId);
      const current = currentReviews(reviews.filter((r) => r.sampleId === sample.id));
      const reviewed = new Set(current.map((r) => r.position));
      const mine = new Set(current.filter((r) => r.reviewerKey === actor.id).map((r) => r.position));
      const positions = (await this.rows.items(tx, sample.id)).map((item) => item.position);
      views.push(
        toSampleView(sample, {
          suite: { name: context?.suiteName ?? '', version: context?.suiteVersion ?? 0 },
          all: byId(all, sample.id),
          independent: byId(independent, sample.id),
          progress: {
            reviewedItems: reviewed.size,
            reviewedByYou: mine.size,
            nextForYou: positions.find((p) => !mine.has(p)) ?? null,
          },
        }),
      );
    }
    return views;
  }
}

function byId(evidence: ReviewEvidence[], sampleId: string): ReviewEvidence {
  const found = evidence.find((e) => e.sampleId === sampleId);
  if (!found) {
    throw new Error(`no review evidence for sample ${sampleId}`);
  }
  return found;
}

function toSampleView(
  sample: ReviewSampleEntity,
  extra: {
    suite: { name: string; version: number };
    all: ReviewEvidence;
    independent: ReviewEvidence;
    progress: ReviewSampleView['progress'];
  },
): ReviewSampleView {
  return {
    id: sample.id,
    runId: sample.runId,
    aiUseCaseId: sample.aiUseCaseId,
    suite: extra.suite,
    design: sample.design,
    strata: sample.strata,
    population: sample.population,
    size: sample.size,
    hash: sample.hash,
    createdBy: sample.createdBy,
    createdAt: sample.createdAt.toISOString(),
    progress: extra.progress,
    statistics: {
      all: extra.all.statistics,
      independent: extra.independent.statistics,
      reviewsHash: extra.all.reviewsHash,
      independentReviewsHash: extra.independent.reviewsHash,
    },
  };
}

/** The group key must be one the suite groups by, or one the run's results carry. */
function checkGroupKey(groupKey: string, run: EvaluationRunEntity, candidates: SampleCandidate[]) {
  const known = new Set<string>(run.suite ? (suiteDefinitionOf(run.suite).groupBy ?? []) : []);
  for (const candidate of candidates) {
    for (const key of Object.keys(candidate.groups)) {
      known.add(key);
    }
  }
  if (!known.has(groupKey)) {
    throw DomainError.validation([
      {
        field: 'groupKey',
        message:
          known.size === 0
            ? 'names no group: the run has none to stratify by (leave groupKey out)'
            : `is not a group of the run (its groups: ${[...known].sort().join(', ')})`,
        code: 'unknown_group',
      },
    ]);
  }
}

/**
 * A sample the actor may see, with its run: one that does not exist, or whose run is evidence for another
 * team's draft use case, is not found (never forbidden, which would say it exists).
 */
export async function loadVisibleSample(
  runs: RunRepository,
  rows: ReviewRepository,
  tx: Tx,
  actor: Actor,
  sampleId: string,
): Promise<{ sample: ReviewSampleEntity } & Awaited<ReturnType<typeof loadVisibleRun>>> {
  const sample = await rows.sample(tx, sampleId);
  if (!sample) {
    throw DomainError.notFound('The review sample');
  }
  try {
    return { sample, ...(await loadVisibleRun(runs, tx, actor, sample.runId)) };
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found') {
      throw DomainError.notFound('The review sample');
    }
    throw error;
  }
}
