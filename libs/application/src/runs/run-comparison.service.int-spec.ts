import { type Actor, type AiUseCaseRecord, DomainError } from '@gatehouse/domain';
import {
  AiUseCaseEntity,
  DatasetEntity,
  EvaluationRunEntity,
  RunRepository,
  RunResultEntity,
  SuiteEntity,
  TeamEntity,
} from '@gatehouse/persistence';
import { aiUseCaseRow, describeIntegration, runRow, useTestDataSource } from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { RunComparisonService } from './run-comparison.service';

/** A score on one item: pass/fail, or a value between 0 and 1 (passed when at least 0.5). */
type Score = boolean | number | null;

describeIntegration('RunComparisonService (paired comparison of two runs)', () => {
  const db = useTestDataSource();
  let sut: RunComparisonService;
  let suiteId: string;

  const reviewer: Actor = { id: 'reviewer', name: 'Reviewer', teamId: null, roles: ['reviewer'] };
  const outsider: Actor = { id: 'outsider', name: 'Outsider', teamId: null, roles: ['engineer'] };

  beforeAll(async () => {
    sut = new RunComparisonService(db.uow, new RunRepository(db.uow));
    suiteId = await givenSuite();
  });

  /** A suite with a pass/fail metric (`exact`) and a mean metric (`close`). */
  async function givenSuite(): Promise<string> {
    const datasetId = randomUUID();
    const id = randomUUID();
    const now = new Date();
    await db.dataSource.getRepository(DatasetEntity).insert({
      id: datasetId,
      name: 'comparison',
      version: 1,
      sha256: 'a'.repeat(64),
      itemCount: 0,
      manifest: {},
      createdBy: 'test',
      createdAt: now,
    });
    await db.dataSource.getRepository(SuiteEntity).insert({
      id,
      name: 'comparison',
      version: 1,
      sha256: '0'.repeat(64),
      definition: {
        scorers: [
          { type: 'exact_match', name: 'exact' },
          { type: 'similarity', name: 'close' },
        ],
      },
      source: '',
      datasetId,
      createdBy: 'test',
      createdAt: now,
    });
    return id;
  }

  /** A draft use case of a team the outsider is not in. */
  async function givenDraftUseCase(): Promise<string> {
    const teamId = randomUUID();
    const now = new Date();
    await db.dataSource
      .getRepository(TeamEntity)
      .insert({ id: teamId, name: `team ${teamId}`, createdAt: now });
    const useCase = aiUseCaseRow(teamId, { name: 'draft', record: {} as AiUseCaseRecord, createdAt: now });
    await db.dataSource.getRepository(AiUseCaseEntity).insert(useCase);
    return useCase.id;
  }

  /**
   * A completed run whose rows score item i (epoch e) as `scores[metric][i]` (or `[i][e]` for several
   * epochs); null leaves the item unjudged, `errored` lists items whose row errored.
   */
  async function givenRun(options: {
    scores: Record<string, (Score | Score[])[]>;
    metrics?: string[];
    datasetHash?: string;
    errored?: number[];
    aiUseCaseId?: string;
  }): Promise<string> {
    const now = new Date();
    const metrics = options.metrics ?? Object.keys(options.scores);
    const run = runRow(suiteId, {
      aiUseCaseId: options.aiUseCaseId ?? null,
      status: 'completed',
      total: 0,
      manifest: {
        dataset: { name: 'comparison', version: 1, hash: options.datasetHash ?? 'a'.repeat(64), count: 0 },
        scorers: metrics.map((name) => ({ name, type: 'exact_match', version: '1' })),
      },
      outcome: 'passed',
      createdAt: now,
      completedAt: now,
    });
    await db.dataSource.getRepository(EvaluationRunEntity).insert(run);
    const id = run.id;
    const rows: Partial<RunResultEntity>[] = [];
    const items = Math.max(...Object.values(options.scores).map((list) => list.length));
    for (let item = 0; item < items; item++) {
      const epochs = Math.max(
        ...Object.values(options.scores).map((list) => {
          const entry = list[item];
          return Array.isArray(entry) ? entry.length : 1;
        }),
      );
      for (let epoch = 0; epoch < epochs; epoch++) {
        const scores: Record<string, { value: number | null; passed: boolean | null }> = {};
        for (const [metric, list] of Object.entries(options.scores)) {
          const entry = list[item];
          const score = Array.isArray(entry) ? entry[epoch] : entry;
          scores[metric] =
            typeof score === 'number'
              ? { value: score, passed: score >= 0.5 }
              : { value: score === null ? null : Number(score), passed: score };
        }
        const errored = options.errored?.includes(item) ?? false;
        rows.push({
          id: randomUUID(),
          runId: id,
          itemId: `item-${item}`,
          seq: item,
          epoch: epoch + 1,
          status: errored ? 'errored' : 'scored',
          anyFailed: false,
          output: 'answer',
          scores: errored ? {} : scores,
          error: errored ? { kind: 'timeout', message: 'no answer' } : null,
          groups: {},
          latencyMs: 1,
          durationMs: 1,
          queueWaitMs: 0,
          attempts: 1,
          inputTokens: null,
          outputTokens: null,
          costUsd: null,
          worker: 'w1',
          createdAt: now,
        });
      }
    }
    await db.dataSource.getRepository(RunResultEntity).insert(rows);
    return id;
  }

  const passes = (n: number, passing: (i: number) => boolean) =>
    Array.from({ length: n }, (_, i) => passing(i));

  it('finds a candidate better on a pass/fail metric by the exact McNemar test', async () => {
    const baseline = await givenRun({ scores: { exact: passes(30, (i) => i >= 20) } });
    const candidate = await givenRun({ scores: { exact: passes(30, () => true) } });

    const { baseline: a, candidate: b, metrics } = await sut.compare(reviewer, baseline, candidate);

    expect([a.id, b.id]).toEqual([baseline, candidate]);
    expect(metrics).toEqual([
      expect.objectContaining({
        metric: 'exact',
        test: 'mcnemar_exact',
        n: 30,
        baseline: 10 / 30,
        candidate: 1,
        verdict: 'better',
      }),
    ]);
    expect(metrics[0].pValue).toBeLessThan(0.05);
  });

  it('calls the same results no difference, and a candidate that fails more worse', async () => {
    const baseline = await givenRun({ scores: { exact: passes(30, (i) => i % 3 !== 0) } });
    const same = await givenRun({ scores: { exact: passes(30, (i) => i % 3 !== 0) } });
    const poorer = await givenRun({ scores: { exact: passes(30, () => false) } });

    expect((await sut.compare(reviewer, baseline, same)).metrics[0]).toMatchObject({
      difference: 0,
      verdict: 'no_difference',
    });
    expect((await sut.compare(reviewer, baseline, poorer)).metrics[0]).toMatchObject({ verdict: 'worse' });
  });

  it('averages epochs per item, and compares pass rates that are not 0 or 1 by paired bootstrap', async () => {
    const baseline = await givenRun({ scores: { exact: Array.from({ length: 12 }, () => [true, false]) } });
    const candidate = await givenRun({ scores: { exact: Array.from({ length: 12 }, () => [true, true]) } });

    const [metric] = (await sut.compare(reviewer, baseline, candidate)).metrics;

    expect(metric).toMatchObject({ test: 'paired_bootstrap', n: 12, baseline: 0.5, candidate: 1 });
  });

  it('compares mean metrics by paired bootstrap on their values', async () => {
    const baseline = await givenRun({ scores: { close: Array.from({ length: 20 }, () => 0.4) } });
    const candidate = await givenRun({ scores: { close: Array.from({ length: 20 }, () => 0.9) } });

    const [metric] = (await sut.compare(reviewer, baseline, candidate)).metrics;

    expect(metric).toMatchObject({ metric: 'close', test: 'paired_bootstrap', n: 20, verdict: 'better' });
    expect(metric.difference).toBeCloseTo(0.5);
  });

  it('pairs only items both runs scored, and only metrics the candidate ran', async () => {
    const baseline = await givenRun({
      scores: { exact: [true, true, null, true, true], close: [0.5, 0.5, 0.5, 0.5, 0.5] },
      errored: [4],
    });
    const candidate = await givenRun({
      scores: { exact: [false, true, true, true, true] },
      metrics: ['exact'],
    });

    const { metrics } = await sut.compare(reviewer, baseline, candidate);

    // item-2 is unjudged in the baseline and item-4 errored there: three pairs remain.
    expect(metrics).toEqual([
      expect.objectContaining({ metric: 'exact', n: 3, baseline: 1, candidate: 2 / 3 }),
    ]);
  });

  it('refuses runs on different datasets: a paired comparison needs the same items', async () => {
    const baseline = await givenRun({ scores: { exact: passes(5, () => true) } });
    const other = await givenRun({ scores: { exact: passes(5, () => true) }, datasetHash: 'b'.repeat(64) });

    const refusal = await sut.compare(reviewer, baseline, other).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({
      code: 'validation_failed',
      problems: [expect.objectContaining({ field: 'candidate', code: 'incomparable' })],
    });
  });

  it('does not compare runs the caller may not see: an unknown run, or evidence for another team’s draft', async () => {
    const visible = await givenRun({ scores: { exact: passes(5, () => true) } });
    const hidden = await givenRun({
      scores: { exact: passes(5, () => true) },
      aiUseCaseId: await givenDraftUseCase(),
    });

    await expect(sut.compare(outsider, visible, randomUUID())).rejects.toMatchObject({ code: 'not_found' });
    await expect(sut.compare(outsider, visible, hidden)).rejects.toMatchObject({ code: 'not_found' });
    await expect(sut.compare(reviewer, visible, hidden)).resolves.toMatchObject({ metrics: [{ n: 5 }] });
  });
});
