import {
  describeIntegration,
  KAPPA_WORKED_EXAMPLE,
  kappaWorkedExampleItems,
  type OpenAiStub,
  startOpenAiStub,
} from '@gatehouse/testing';
import { type EvaluationView } from './support/givens';
import { givenJudgedUseCaseAtTest, judgedReply } from './support/judged';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(240_000);

/**
 * Issue 14, end to end through the HTTP API: a run whose model judge's verdicts are those of a published
 * worked example, a stratified sample of it, blind reviews by two independent reviewers, the agreement
 * statistics checked against the published figures, and a gate to learn that fails on judge_agreement until
 * enough agreeing reviews exist.
 *
 * Sources (see libs/testing/src/review-worked-examples.ts): Cohen's kappa, the 50-item worked example of
 * Wikipedia's "Cohen's kappa" article (20 both yes, 5 and 10 split, 15 both no: p_o 0.70, kappa 0.40), with
 * the Wilson interval of 35/50 (Wilson 1927; the method Newcombe 1998 recommends); Krippendorff's alpha,
 * Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", example A (two observers, ten binary
 * units, alpha 0.095).
 */
const EXAMPLE = kappaWorkedExampleItems();
const ITEMS = EXAMPLE.length;
/**
 * The target answers question k right (and the judge passes it) exactly when the worked example's first
 * rater, the judge, said yes.
 */
const judgePasses = (k: number) => EXAMPLE[k - 1].judgePasses;

/** Every gate needs one approval; high → learn also needs the judge to agree with independent people. */
function calibrationPolicy() {
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: [
        ...(tier === 'high' && to === 'learn'
          ? [
              {
                kind: 'judge_agreement',
                suite: 'calibrated',
                statistic: 'kappa',
                minLower: 0.5,
                minItems: ITEMS,
              },
            ]
          : []),
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    })),
  );
  return { description: 'the judge must agree with people before a high-tier pilot', gates };
}

interface MetricStatistics {
  metric: string;
  reviewedItems: number;
  humanVsScorer: {
    n: number;
    agreement: number | null;
    agreementInterval: { lower: number; upper: number; method: string } | null;
    kappa: number | null;
    kappaInterval: { lower: number; upper: number; method: string } | null;
  };
  humanVsHuman: { items: number; alpha: number | null; agreement: number | null };
  corrected: {
    n: number;
    value: number | null;
    scorerValue: number | null;
    coverage: number;
    method: string;
  };
}

describeIntegration('calibrating a model judge against people, to the gate (worked examples)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let owner: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let rob: TestUser;
  let useCaseId: string;
  let runId: string;
  let sampleId: string;
  /** Sample position of each question number k. */
  const positionOf = new Map<number, number>();

  const evaluate = async () => {
    const response = await api
      .as(owner.token)
      .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'learn' });
    expect([200, 201]).toContain(response.status);
    const body = response.body as EvaluationView;
    const rule = body.rules.find((r) => r.rule.kind === 'judge_agreement');
    if (!rule) {
      throw new Error('no judge_agreement rule in the evaluation');
    }
    return { body, rule: rule as typeof rule & { actual: number | null } };
  };
  const quality = async (): Promise<MetricStatistics> => {
    const sample = await api.as(owner.token).get(`/v1/review-samples/${sampleId}`).expect(200);
    const metrics = sample.body.statistics.independent.metrics as MetricStatistics[];
    const found = metrics.find((m) => m.metric === 'quality');
    if (!found) {
      throw new Error('no statistics for quality');
    }
    return found;
  };
  /** `reviewer` says of question k that it passes (`passes`) or fails, against the judge's verdict. */
  const review = (reviewer: TestUser, k: number, passes: boolean, note: string) =>
    api
      .as(reviewer.token)
      .post(`/v1/review-samples/${sampleId}/items/${positionOf.get(k)}/reviews`, {
        verdicts: { quality: { agree: passes === judgePasses(k) } },
        note,
      })
      .expect(201);

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: judgedReply(judgePasses) });
    api = await TestApi.start();
    await api.connection('stub', stub.url);
    owner = await api.user('Olive', ['service_team'], 'Benefits');
    eve = await api.user('Evan', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    await api.admin.post('/v1/gate-policies', calibrationPolicy()).expect(201);
    // Only the judge scores: an item failed is an item the judge failed (the strata by verdict).
    ({ useCaseId, runId } = await givenJudgedUseCaseAtTest(
      api,
      { owner, engineer: eve, reviewers: [rita] },
      'calibrated',
      ITEMS,
    ));
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('draws a sample stratified by verdict, failures weighted, and the gate waits for reviews', async () => {
    const before = await evaluate();
    expect(before.rule.verdict).toBe('missing');

    const drawn = await api
      .as(rita.token)
      .post(`/v1/runs/${runId}/review-samples`, { size: ITEMS, seed: 2026, failureWeight: 3 })
      .expect(201);
    sampleId = drawn.body.id;
    expect(drawn.body.hash).toMatch(/^[0-9a-f]{64}$/);
    // 25 items the judge failed (10 + 15 of the table) and 25 it passed: two strata, each drawn whole.
    expect(
      (drawn.body.strata as { failed: boolean | null; population: number; drawn: number }[])
        .map((s) => [s.failed, s.population, s.drawn])
        .sort(),
    ).toEqual([
      [false, 25, 25],
      [true, 25, 25],
    ]);
    for (let position = 1; position <= ITEMS; position++) {
      const item = await api
        .as(rita.token)
        .get(`/v1/review-samples/${sampleId}/items/${position}`)
        .expect(200);
      const k = Number(/(\d+)$/.exec(item.body.itemId as string)?.[1]);
      const judged = (item.body.scorers as { metric: string; passed: boolean | null }[]).find(
        (s) => s.metric === 'quality',
      );
      // The run reproduces the worked example's first rater exactly.
      expect(judged?.passed).toBe(judgePasses(k));
      positionOf.set(k, position);
    }
    expect(positionOf.size).toBe(ITEMS);
    const drawnEvaluation = await evaluate();
    expect(drawnEvaluation.rule.verdict).toBe('missing');
    expect(drawnEvaluation.rule.reason).toContain(`on 0 items; ${ITEMS} needed`);
  });

  it("reproduces Cohen's kappa 0.40, raw agreement 0.70 and its Wilson interval from one reviewer", async () => {
    for (const item of EXAMPLE) {
      await review(rita, item.index, item.firstReviewerPasses, `Rita on question ${item.index}`);
    }
    const stats = await quality();
    expect(stats.reviewedItems).toBe(ITEMS);
    expect(stats.humanVsScorer.n).toBe(ITEMS);
    expect(stats.humanVsScorer.kappa).toBeCloseTo(KAPPA_WORKED_EXAMPLE.kappa, 10);
    expect(stats.humanVsScorer.agreement).toBeCloseTo(KAPPA_WORKED_EXAMPLE.agreement, 10);
    expect(stats.humanVsScorer.agreementInterval).toMatchObject({ method: 'wilson' });
    expect(stats.humanVsScorer.agreementInterval?.lower).toBeCloseTo(
      KAPPA_WORKED_EXAMPLE.agreementInterval.lower,
      5,
    );
    expect(stats.humanVsScorer.agreementInterval?.upper).toBeCloseTo(
      KAPPA_WORKED_EXAMPLE.agreementInterval.upper,
      5,
    );
    expect(stats.humanVsScorer.kappaInterval?.method).toBe('bootstrap');
    expect(stats.humanVsScorer.kappaInterval?.lower).toBeLessThan(0.4);
    // People fail 20 of 50 (15 both-fail and 5 the judge passed); the judge failed 25.
    expect(stats.corrected).toMatchObject({ n: ITEMS, coverage: 1, method: 'design_weighted' });
    expect(stats.corrected.value).toBeCloseTo(0.4, 10);
    expect(stats.corrected.scorerValue).toBeCloseTo(0.5, 10);

    // Kappa 0.40 with a lower bound below 0.5: enough reviews, not enough agreement.
    const evaluation = await evaluate();
    expect(evaluation.rule.verdict).toBe('fail');
    expect(evaluation.body.verdict).toBe('fail');
    expect(evaluation.rule.actual).toBeLessThan(0.5);
  });

  it("keeps the second reviewer blind, then reproduces Krippendorff's alpha 0.095 between the two", async () => {
    const second = EXAMPLE.filter((item) => item.secondReviewerPasses !== null);
    expect(second).toHaveLength(10);
    for (const item of second) {
      const seen = await api
        .as(rob.token)
        .get(`/v1/review-samples/${sampleId}/items/${positionOf.get(item.index)}`)
        .expect(200);
      expect(seen.body.yourReview).toBeNull();
      expect(JSON.stringify(seen.body)).not.toContain('Rita on question');
      await review(rob, item.index, item.secondReviewerPasses === true, `Rob on question ${item.index}`);
    }
    const stats = await quality();
    expect(stats.humanVsHuman.items).toBe(10);
    expect(stats.humanVsHuman.alpha).toBeCloseTo(KAPPA_WORKED_EXAMPLE.alpha, 9);
    expect(stats.humanVsHuman.agreement).toBeCloseTo(KAPPA_WORKED_EXAMPLE.reviewersAgreement, 10);
    expect((await evaluate()).rule.verdict).toBe('fail');
  });

  it('passes the gate to learn once the reviewers agree with the judge', async () => {
    // Rita looks again at the 15 items where she overruled the judge and now agrees: new revisions.
    const overruled = EXAMPLE.filter((item) => item.firstReviewerPasses !== item.judgePasses);
    expect(overruled).toHaveLength(15);
    for (const item of overruled) {
      await review(rita, item.index, item.judgePasses, `Rita, second look at question ${item.index}`);
    }
    const stats = await quality();
    // 56 of 60 readings agree (Rob still differs on four): kappa about 0.87.
    expect(stats.humanVsScorer.n).toBe(60);
    expect(stats.humanVsScorer.agreement).toBeCloseTo(56 / 60, 10);
    const evaluation = await evaluate();
    expect(evaluation.rule.verdict).toBe('pass');
    expect(evaluation.rule.actual).toBeGreaterThanOrEqual(0.5);
    expect(evaluation.body.verdict).toBe('pass');
  });
});
