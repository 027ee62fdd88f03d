import { DomainError, type FieldProblem, isJudgeScorer, type ScorerReading } from '@gatehouse/domain';
import {
  currentReviews,
  ItemReviewEntity,
  type ReviewRunContext,
  ReviewRepository,
  type ReviewSampleEntity,
  type ReviewSampleItemEntity,
  RunRepository,
  type SampledResultRow,
  type Tx,
  UnitOfWork,
} from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { zodProblems } from '../validation/zod-problems';
import { assertCanReviewRun } from './review-access';
import {
  importProblems,
  parseReviewJsonl,
  parseVerdicts,
  recordReviewSchema,
  type ParsedLine,
} from './review-inputs';
import { type ActorOrContext, contextOf, loadVisibleSample } from './review-samples.service';
import {
  type ItemReviewView,
  type ReviewItemScorerView,
  type ReviewItemView,
  type ReviewJsonlLine,
} from './review.views';

type LoadedSample = Awaited<ReturnType<typeof loadVisibleSample>>;

/** The key an imported review is counted under: one rater per importer and name. */
export const importReviewerKey = (importerId: string, rater: string) => `import:${importerId}:${rater}`;

/**
 * Reviewing sampled items one at a time, blind: a reviewer sees only their own review of an item, never
 * another's. Reviews are audited and never edited; recording again writes the next revision. Who may
 * review: a reviewer, or an engineer or service-team member of the owning team (counted, but never as
 * independent).
 */
@Injectable()
export class ItemReviewsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunRepository,
    private readonly rows: ReviewRepository,
    private readonly audit: AuditService,
  ) {}

  async item(caller: ActorOrContext, sampleId: string, position: number): Promise<ReviewItemView> {
    const { actor } = contextOf(caller);
    return this.uow.read(async (tx) => {
      const loaded = await loadVisibleSample(this.runs, this.rows, tx, actor, sampleId);
      const { sample, run } = loaded;
      const item = await this.sampledItem(tx, sample, position);
      const context = await this.context(tx, sample);
      const result = await this.rows.result(tx, sample.runId, item.itemId, item.epoch);
      const frozen = run.suite ? await this.rows.datasetItem(tx, run.suite.datasetId, item.itemId) : null;
      const own = await this.rows.reviewsByUser(tx, sample.id, actor.id);
      const mine = currentReviews(own.filter((r) => r.reviewerKey === actor.id));
      const current = mine.find((r) => r.position === position) ?? null;
      const people = await this.rows.people(tx, [actor.id]);
      const reviewed = new Set(mine.map((r) => r.position));
      return {
        sampleId: sample.id,
        position,
        total: sample.size,
        itemId: item.itemId,
        epoch: item.epoch,
        input: frozen?.input ?? null,
        expected: frozen?.expected ?? null,
        output: result?.output ?? null,
        groups: result?.groups ?? {},
        scorers: scorerViews(context, result),
        yourReview: current ? toReviewView(current, item, people) : null,
        previous: position > 1 ? position - 1 : null,
        next: position < sample.size ? position + 1 : null,
        nextUnreviewed: nextUnreviewed(position, sample.size, reviewed),
      };
    });
  }

  /**
   * Records the caller's review of one item (body: verdicts per metric, note?, supersedesId?), as `source`
   * (`web` or `api`). A 4xx names each bad field.
   */
  async record(
    caller: ActorOrContext,
    sampleId: string,
    position: number,
    body: unknown,
    source: 'web' | 'api',
  ): Promise<ItemReviewView> {
    const context = contextOf(caller);
    const { actor } = context;
    const parsed = recordReviewSchema.safeParse(body ?? {});
    const bodyProblems = parsed.success ? [] : zodProblems(parsed.error);
    // The verdicts are checked against the run's metrics below, alongside the body's other problems.
    const rawVerdicts = parsed.success ? parsed.data.verdicts : verdictsOf(body);
    return this.uow.write(async (tx) => {
      const loaded = await loadVisibleSample(this.runs, this.rows, tx, actor, sampleId);
      assertCanReviewRun(actor, owningTeam(loaded), 'Reviewing an item');
      const { sample } = loaded;
      const item = await this.sampledItem(tx, sample, position);
      const runContext = await this.context(tx, sample);
      const result = await this.rows.result(tx, sample.runId, item.itemId, item.epoch);
      const { verdicts, problems } = parseVerdicts(
        rawVerdicts,
        new Set(runContext.metrics.map((m) => m.name)),
        readingsOf(runContext, result),
        '',
      );
      const all = [...bodyProblems.filter((p) => !p.field.startsWith('verdicts')), ...problems];
      if (!verdicts || !parsed.success || all.length > 0) {
        throw DomainError.validation(all, 'The review is not valid.');
      }
      const input = parsed.data;
      const previous = (await this.rows.reviewsBy(tx, sample.id, position, actor.id)).at(-1) ?? null;
      if (input.supersedesId !== undefined && input.supersedesId !== (previous?.id ?? null)) {
        throw new DomainError(
          'conflict',
          previous
            ? 'Your review of this item changed meanwhile (another tab or request recorded one): reload it and review again.'
            : 'You have not reviewed this item yet: supersedesId must be null or left out.',
          [{ field: 'supersedesId', message: 'is not your current review of the item', code: 'stale' }],
          'reviews_supersede_the_current',
        );
      }
      const review = Object.assign(new ItemReviewEntity(), {
        id: randomUUID(),
        sampleId: sample.id,
        position,
        reviewerId: actor.id,
        reviewerKey: actor.id,
        rater: null,
        revision: (previous?.revision ?? 0) + 1,
        supersedesId: previous?.id ?? null,
        verdicts,
        note: normaliseNote(input.note),
        source,
        createdAt: new Date(),
      });
      if (!(await this.rows.insertReview(tx, review))) {
        throw concurrentRevision();
      }
      // Never the verdicts or the note: reviewers read the audit log, and review is blind.
      await this.audit.record(tx, context, {
        action: 'item_review.recorded',
        subjectType: 'review_sample',
        subjectId: sample.id,
        after: {
          reviewId: review.id,
          position,
          itemId: item.itemId,
          epoch: item.epoch,
          revision: review.revision,
          supersedesId: review.supersedesId,
          metrics: Object.keys(verdicts),
          source,
        },
      });
      return toReviewView(review, item, await this.rows.people(tx, [actor.id]));
    });
  }

  /** The sample's current reviews as JSONL (blind: others' reviews of items the caller has not reviewed are left out). */
  async exportJsonl(caller: ActorOrContext, sampleId: string): Promise<string> {
    const { actor } = contextOf(caller);
    return this.uow.read(async (tx) => {
      const { sample } = await loadVisibleSample(this.runs, this.rows, tx, actor, sampleId);
      const current = currentReviews(await this.rows.reviews(tx, [sample.id]));
      const reviewedByCaller = new Set(
        current.filter((r) => r.reviewerKey === actor.id).map((r) => r.position),
      );
      const shown = current.filter((r) => r.reviewerId === actor.id || reviewedByCaller.has(r.position));
      const items = new Map((await this.rows.items(tx, sample.id)).map((item) => [item.position, item]));
      const people = await this.rows.people(tx, [...new Set(shown.map((r) => r.reviewerId))]);
      return shown
        .map((review) => {
          const item = items.get(review.position);
          const line: ReviewJsonlLine = {
            sampleId: sample.id,
            sampleHash: sample.hash,
            position: review.position,
            itemId: item?.itemId ?? '',
            epoch: item?.epoch ?? 0,
            reviewer: exportedReviewer(review, people),
            verdicts: review.verdicts,
            note: review.note,
            revision: review.revision,
            createdAt: review.createdAt.toISOString(),
          };
          return `${JSON.stringify(line)}\n`;
        })
        .join('');
    });
  }

  /** Imports reviews made elsewhere (JSONL); all or nothing, every bad line named. */
  async importJsonl(caller: ActorOrContext, sampleId: string, body: string): Promise<{ imported: number }> {
    const context = contextOf(caller);
    const { actor } = context;
    const { lines, problems } = parseReviewJsonl(body);
    return this.uow.write(async (tx) => {
      const loaded = await loadVisibleSample(this.runs, this.rows, tx, actor, sampleId);
      assertCanReviewRun(actor, owningTeam(loaded), 'Importing reviews');
      const { sample } = loaded;
      const runContext = await this.context(tx, sample);
      const items = await this.rows.items(tx, sample.id);
      const results = new Map(
        (await this.rows.sampledResults(tx, sample.runId, sample.id)).map((row) => [
          `${row.itemId}\u0000${row.epoch}`,
          row,
        ]),
      );
      const reviews = resolveLines(
        lines,
        problems,
        sample,
        items,
        new Set(runContext.metrics.map((m) => m.name)),
        (item) => readingsOf(runContext, results.get(`${item.itemId}\u0000${item.epoch}`) ?? null),
        await this.countedElsewhere(tx, sample.id, actor.id),
      );
      const latest = new Map<string, ItemReviewEntity>();
      for (const review of currentReviews(
        (await this.rows.reviewsByUser(tx, sample.id, actor.id)).filter((r) => r.source === 'import'),
      )) {
        latest.set(`${review.position}\u0000${review.reviewerKey}`, review);
      }
      const now = new Date();
      const rows = reviews.map(({ item, rater, verdicts, note }) => {
        const key = importReviewerKey(actor.id, rater);
        const previous = latest.get(`${item.position}\u0000${key}`) ?? null;
        return Object.assign(new ItemReviewEntity(), {
          id: randomUUID(),
          sampleId: sample.id,
          position: item.position,
          reviewerId: actor.id,
          reviewerKey: key,
          rater,
          revision: (previous?.revision ?? 0) + 1,
          supersedesId: previous?.id ?? null,
          verdicts,
          note,
          source: 'import',
          createdAt: now,
        });
      });
      if (!(await this.rows.insertReviews(tx, rows))) {
        throw concurrentRevision();
      }
      const count = lines.length;
      await this.audit.record(tx, context, {
        action: 'item_review.imported',
        subjectType: 'review_sample',
        subjectId: sample.id,
        after: { imported: count, raters: [...new Set(lines.map((l) => l.value.reviewer))].sort() },
      });
      return { imported: count };
    });
  }

  /**
   * The (position, reviewer) pairs, as the export names them, of current reviews the importer can export
   * (on items they reviewed themselves) that an import under that name would count a second time: their
   * own reviews and everyone else's, but not their own imports (importing a rater again supersedes it).
   * Only items the importer reviewed: a refusal must not tell them who reviewed an item they have not.
   */
  private async countedElsewhere(tx: Tx, sampleId: string, importerId: string): Promise<Set<string>> {
    const current = currentReviews(await this.rows.reviews(tx, [sampleId]));
    const reviewedByImporter = new Set(
      current.filter((r) => r.reviewerKey === importerId).map((r) => r.position),
    );
    const others = current.filter(
      (r) =>
        reviewedByImporter.has(r.position) && !r.reviewerKey.startsWith(importReviewerKey(importerId, '')),
    );
    const people = await this.rows.people(tx, [...new Set(others.map((r) => r.reviewerId))]);
    return new Set(others.map((r) => `${r.position}\u0000${exportedReviewer(r, people)}`));
  }

  private async sampledItem(tx: Tx, sample: ReviewSampleEntity, position: number) {
    const item = await this.rows.item(tx, sample.id, position);
    if (!item) {
      throw DomainError.notFound(`Item ${position} of the review sample`);
    }
    return item;
  }

  private async context(tx: Tx, sample: ReviewSampleEntity): Promise<ReviewRunContext> {
    const context = (await this.rows.runContexts(tx, [sample.runId])).get(sample.runId);
    if (!context) {
      throw DomainError.notFound('The review sample');
    }
    return context;
  }
}

/** The team whose engineers may review: the use case's owner, else (a run of no use case) the suite's. */
function owningTeam(loaded: LoadedSample): string | null {
  return loaded.useCase?.ownerTeamId ?? loaded.run.suite?.ownerTeamId ?? null;
}

/** The `verdicts` of a body that failed its own schema, to check them too (undefined when there are none). */
function verdictsOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'verdicts')
    ? (body as { verdicts: unknown }).verdicts
    : undefined;
}

/** Who a review is by, as an export names them: the imported rater, else the user's e-mail or name. */
function exportedReviewer(
  review: ItemReviewEntity,
  people: Map<string, { name: string; email: string | null }>,
): string {
  const person = people.get(review.reviewerId);
  return review.rater ?? person?.email ?? person?.name ?? review.reviewerId;
}

function concurrentRevision(): DomainError {
  return new DomainError(
    'conflict',
    'The same review was recorded at the same moment by another request: reload the item and review again if needed.',
    [],
    'reviews_supersede_the_current',
  );
}

function normaliseNote(note: string | null | undefined): string | null {
  return note === undefined || note === null || note.trim() === '' ? null : note;
}

function readingsOf(context: ReviewRunContext, result: SampledResultRow | null): Map<string, ScorerReading> {
  const readings = new Map<string, ScorerReading>();
  for (const metric of context.metrics) {
    const score = result && Object.hasOwn(result.scores, metric.name) ? result.scores[metric.name] : null;
    if (score) {
      readings.set(metric.name, { passed: score.passed, value: score.value, label: score.label ?? null });
    }
  }
  return readings;
}

function scorerViews(context: ReviewRunContext, result: SampledResultRow | null): ReviewItemScorerView[] {
  return context.metrics.map((metric) => {
    const score = result && Object.hasOwn(result.scores, metric.name) ? result.scores[metric.name] : null;
    return {
      metric: metric.name,
      scorer: metric.scorer,
      judge: isJudgeScorer(metric.scorer),
      guardrail: metric.guardrail,
      passed: score?.passed ?? null,
      value: score?.value ?? null,
      label: score?.label ?? null,
      explanation: score?.explanation ?? null,
    };
  });
}

/** The first position after this one (wrapping round) the caller has not reviewed, or null. */
function nextUnreviewed(position: number, total: number, reviewed: ReadonlySet<number>): number | null {
  for (let step = 1; step < total; step++) {
    const candidate = ((position - 1 + step) % total) + 1;
    if (!reviewed.has(candidate)) {
      return candidate;
    }
  }
  return null;
}

function toReviewView(
  review: ItemReviewEntity,
  item: Pick<ReviewSampleItemEntity, 'itemId' | 'epoch'>,
  people: Map<string, { name: string; email: string | null }>,
): ItemReviewView {
  return {
    id: review.id,
    sampleId: review.sampleId,
    position: review.position,
    itemId: item.itemId,
    epoch: item.epoch,
    reviewerId: review.reviewerId,
    reviewerName: people.get(review.reviewerId)?.name ?? review.reviewerId,
    rater: review.rater,
    revision: review.revision,
    supersedesId: review.supersedesId,
    verdicts: review.verdicts,
    note: review.note,
    source: review.source as ItemReviewView['source'],
    createdAt: review.createdAt.toISOString(),
  };
}

interface ResolvedImport {
  item: ReviewSampleItemEntity;
  rater: string;
  verdicts: NonNullable<ReturnType<typeof parseVerdicts>['verdicts']>;
  note: string | null;
}

/**
 * Each import line's item (by position, or by item id and epoch), checked against the sample, with its
 * verdicts checked against the run's metrics. Every problem names `lines[<n>].<field>`; any problem
 * refuses the whole import.
 */
function resolveLines(
  lines: ParsedLine[],
  problems: FieldProblem[],
  sample: ReviewSampleEntity,
  items: ReviewSampleItemEntity[],
  metrics: ReadonlySet<string>,
  readings: (item: ReviewSampleItemEntity) => Map<string, ScorerReading>,
  countedElsewhere: ReadonlySet<string>,
): ResolvedImport[] {
  const byPosition = new Map(items.map((item) => [item.position, item]));
  const byItemId = new Map<string, ReviewSampleItemEntity[]>();
  for (const item of items) {
    byItemId.set(item.itemId, [...(byItemId.get(item.itemId) ?? []), item]);
  }
  const resolved: ResolvedImport[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of lines) {
    const at = `lines[${line}]`;
    const before = problems.length;
    if (value.sampleId !== undefined && value.sampleId !== sample.id) {
      problems.push({
        field: `${at}.sampleId`,
        message: 'is another sample than this one',
        code: 'mismatch',
      });
    }
    if (value.sampleHash !== undefined && value.sampleHash !== sample.hash) {
      problems.push({
        field: `${at}.sampleHash`,
        message: "is not this sample's hash",
        code: 'mismatch',
      });
    }
    const item = findItem(value, at, byPosition, byItemId, problems);
    if (!item || problems.length > before) {
      continue;
    }
    const rater = value.reviewer;
    const key = `${item.position}\u0000${rater}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({
        field: `${at}.reviewer`,
        message: `repeats ${rater}'s review of item ${item.position} (line ${earlier})`,
        code: 'duplicate',
      });
      continue;
    }
    seen.set(key, line);
    if (countedElsewhere.has(key)) {
      problems.push({
        field: `${at}.reviewer`,
        message: `already has a review of item ${item.position} counted in Gatehouse (the export shows it): importing it would count ${rater} twice`,
        code: 'duplicate',
      });
      continue;
    }
    const parsed = parseVerdicts(value.verdicts, metrics, readings(item), at);
    if (!parsed.verdicts) {
      problems.push(...parsed.problems);
      continue;
    }
    resolved.push({ item, rater, verdicts: parsed.verdicts, note: normaliseNote(value.note) });
  }
  if (problems.length > 0) {
    throw importProblems(problems);
  }
  return resolved;
}

function findItem(
  value: ParsedLine['value'],
  at: string,
  byPosition: Map<number, ReviewSampleItemEntity>,
  byItemId: Map<string, ReviewSampleItemEntity[]>,
  problems: FieldProblem[],
): ReviewSampleItemEntity | null {
  if (value.position !== undefined) {
    const item = byPosition.get(value.position);
    if (!item) {
      problems.push({
        field: `${at}.position`,
        message: `is not a position of the sample (1-${byPosition.size})`,
        code: 'unknown_reference',
      });
      return null;
    }
    if (value.itemId !== undefined && value.itemId !== item.itemId) {
      problems.push({
        field: `${at}.itemId`,
        message: `is not the item at position ${value.position} (${item.itemId})`,
        code: 'mismatch',
      });
    }
    if (value.epoch !== undefined && value.epoch !== item.epoch) {
      problems.push({
        field: `${at}.epoch`,
        message: `is not the epoch at position ${value.position} (${item.epoch})`,
        code: 'mismatch',
      });
    }
    return item;
  }
  if (value.itemId === undefined) {
    problems.push({
      field: `${at}.position`,
      message: 'is required, or itemId (with epoch when the item was sampled in more than one epoch)',
      code: 'required',
    });
    return null;
  }
  const candidates = (byItemId.get(value.itemId) ?? []).filter(
    (item) => value.epoch === undefined || item.epoch === value.epoch,
  );
  if (candidates.length === 1) {
    return candidates[0];
  }
  problems.push(
    candidates.length === 0
      ? {
          field: `${at}.itemId`,
          message: `is not an item of the sample${value.epoch === undefined ? '' : ` in epoch ${value.epoch}`}`,
          code: 'unknown_reference',
        }
      : {
          field: `${at}.epoch`,
          message: 'is required: the item was sampled in more than one epoch',
          code: 'required',
        },
  );
  return null;
}
