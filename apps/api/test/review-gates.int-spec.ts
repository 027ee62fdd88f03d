import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { type EvaluationView, givenApproved, givenPromoted } from './support/givens';
import { givenJudgedUseCaseAtTest, judgedReply } from './support/judged';
import { TestApi, type TestUser } from './support/test-api';
import { signIn } from './support/web';

jest.setTimeout(180_000);

const ITEMS = 20;
/** The target answers "no" (wrong) to every fourth question and "yes" to the rest. */
const wrong = (k: number) => k % 4 === 0;

const JUDGE_RULE = {
  kind: 'judge_agreement',
  suite: 'judged',
  statistic: 'kappa',
  minLower: 0.4,
  minItems: 10,
};

/** Every gate asks for a recent passing run of `judged` and one approval; high → learn also for the judge. */
function judgedPolicy() {
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: <Record<string, unknown>[]>[
        { kind: 'suite_passed', suite: 'judged', maxAgeDays: 30 },
        ...(tier === 'high' && to === 'learn' ? [JUDGE_RULE] : []),
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    })),
  );
  return { description: 'judge agreement before a high-tier pilot', gates };
}

interface Evaluated {
  status: number;
  body: EvaluationView & {
    reviewsUsed: { sampleId: string; reviewsHash: string; reviewedItems: number; reviewers: number }[];
  };
}

/**
 * Issue 14's gate: a high-tier use case whose gate to learn asks that the suite's model judge agree with
 * independent reviewers (kappa lower bound >= 0.4 on at least 10 items). Through the HTTP API: the gate is
 * missing evidence without a sample and without enough independent reviews, fails on disagreeing reviews,
 * and passes once independent reviewers agree with the judge; the owning team's reviews never count; every
 * new counted review gives a new evaluation hash, and an earlier evaluation still re-derives to its own.
 */
describeIntegration('judge_agreement and human review as gate evidence (API)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let owner: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let rob: TestUser;
  let useCaseId: string;
  let runId: string;
  let sampleId: string;
  /** The judge's verdict on each sampled position. */
  const judgePassed = new Map<number, boolean>();

  const evaluate = async (): Promise<Evaluated> => {
    const response = await api
      .as(owner.token)
      .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'learn' });
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(`evaluation: ${response.status} ${JSON.stringify(response.body)}`);
    }
    return { status: response.status, body: response.body };
  };
  const judgeRule = (evaluation: Evaluated) => {
    const rule = evaluation.body.rules.find((r) => r.rule.kind === 'judge_agreement');
    if (!rule) {
      throw new Error('the evaluation has no judge_agreement rule');
    }
    return rule as typeof rule & { actual: number | null };
  };
  /** `reviewer` reviews `positions`, agreeing or not with the judge (a later review supersedes theirs). */
  const review = async (reviewer: TestUser, positions: number[], agree: boolean) => {
    for (const position of positions) {
      await api
        .as(reviewer.token)
        .post(`/v1/review-samples/${sampleId}/items/${position}/reviews`, {
          verdicts: { quality: { agree } },
          note: agree ? 'The judge is right.' : '<b>The judge is wrong</b>',
        })
        .expect(201);
    }
  };
  const verification = async (id: string) =>
    (await api.as(rita.token).get(`/v1/gate-evaluations/${id}/verification`).expect(200)).body as {
      matches: boolean;
      hash: string;
      rederivedHash: string;
      differences: string[];
    };
  const positions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: judgedReply((k) => !wrong(k)) });
    api = await TestApi.start();
    await api.connection('stub', stub.url);
    owner = await api.user('Owen', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    await api.admin.post('/v1/gate-policies', judgedPolicy()).expect(201);
    // At test, high tier: the team's run of the suite (started by Eve) is the evidence the gate reads.
    ({ useCaseId, runId } = await givenJudgedUseCaseAtTest(
      api,
      { owner, engineer: eve, reviewers: [rita] },
      'judged',
      ITEMS,
      { equals: true },
    ));
    const useCase = await api.as(owner.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
    if (useCase.body.stage !== 'test' || useCase.body.riskTier !== 'high') {
      throw new Error(`the use case is ${useCase.body.riskTier} at ${useCase.body.stage}, not high at test`);
    }
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('is missing evidence until a sample of the run is drawn', async () => {
    const first = await evaluate();
    expect(first.status).toBe(201);
    expect(first.body.verdict).toBe('fail');
    expect(judgeRule(first)).toMatchObject({ verdict: 'missing', runId });
    expect(judgeRule(first).reason).toContain(
      `the judge quality has been checked against people on 0 items; 10 needed: no review sample of run ${runId}`,
    );
    expect(first.body.reviewsUsed).toEqual([]);
    // Every other rule passes: the judge is what stands between the use case and its pilot.
    expect(first.body.rules.filter((r) => r.verdict !== 'pass').map((r) => r.rule.kind)).toEqual([
      'judge_agreement',
    ]);

    const drawn = await api
      .as(rita.token)
      .post(`/v1/runs/${runId}/review-samples`, { size: ITEMS, seed: 7 })
      .expect(201);
    sampleId = drawn.body.id;
    for (const position of positions(1, ITEMS)) {
      const item = await api
        .as(rita.token)
        .get(`/v1/review-samples/${sampleId}/items/${position}`)
        .expect(200);
      const quality = (item.body.scorers as { metric: string; passed: boolean | null }[]).find(
        (s) => s.metric === 'quality',
      );
      judgePassed.set(position, quality?.passed === true);
    }
    // The judge both passed and failed items (kappa is defined): 5 wrong answers of 20.
    expect([...judgePassed.values()].filter((passed) => !passed)).toHaveLength(5);

    const sampled = await evaluate();
    expect(sampled.status).toBe(201);
    expect(judgeRule(sampled).verdict).toBe('missing');
    expect(judgeRule(sampled).reason).toContain(
      `the judge quality has been checked against people on 0 items; 10 needed (sample ${sampleId})`,
    );
    expect(sampled.body.reviewsUsed).toEqual([
      expect.objectContaining({ sampleId, runId, items: ITEMS, reviewedItems: 0, reviewers: 0 }),
    ]);
    expect(sampled.body.hash).not.toBe(first.body.hash);
  });

  it('does not count the owning team’s reviews: the standing evaluation stays', async () => {
    const before = await evaluate();
    await review(owner, positions(1, ITEMS), true);
    const after = await evaluate();
    expect(after.status).toBe(200);
    expect(after.body.id).toBe(before.body.id);
    expect(after.body.hash).toBe(before.body.hash);
    expect(judgeRule(after).reason).toContain('checked against people on 0 items; 10 needed');
    // The team's reviews are there, on the sample, for everyone to read; the gate just does not count them.
    const sample = await api.as(owner.token).get(`/v1/review-samples/${sampleId}`).expect(200);
    expect(sample.body.progress.reviewedByYou).toBe(ITEMS);
  });

  it('is missing with too few independent reviews, then fails when the reviewers disagree with the judge', async () => {
    await review(rita, positions(1, 6), false);
    const few = await evaluate();
    expect(few.status).toBe(201);
    expect(judgeRule(few)).toMatchObject({ verdict: 'missing' });
    expect(judgeRule(few).reason).toContain('checked against people on 6 items; 10 needed');

    await review(rita, positions(7, ITEMS), false);
    const disagreeing = await evaluate();
    expect(disagreeing.status).toBe(201);
    expect(disagreeing.body.verdict).toBe('fail');
    const rule = judgeRule(disagreeing);
    expect(rule.verdict).toBe('fail');
    expect(rule.reason).toMatch(
      /^the judge quality: kappa -[\d.]+ \(95% interval -[\d.]+ to -?[\d.]+\) on 20 items, 20 reviews \(sample [\w-]+\), lower bound below 0\.4$/,
    );
    expect(rule.actual).toBeLessThan(0.4);
    expect(disagreeing.body.reviewsUsed).toEqual([
      expect.objectContaining({ sampleId, reviewedItems: ITEMS, reviewers: 1 }),
    ]);
    expect(disagreeing.body.reviewsUsed[0].reviewsHash).not.toBe(few.body.reviewsUsed[0].reviewsHash);
  });

  it('passes once the independent reviewers agree with the judge; each new review gives a new hash', async () => {
    const disagreeing = await evaluate();
    // A second independent reviewer agrees with the judge throughout: half the readings still disagree.
    await review(rob, positions(1, ITEMS), true);
    const split = await evaluate();
    expect(split.status).toBe(201);
    expect(split.body.hash).not.toBe(disagreeing.body.hash);
    expect(judgeRule(split).verdict).toBe('fail');
    expect(judgeRule(split).reason).toContain('on 20 items, 40 reviews');

    // Rita looks again and now agrees with the judge: her new reviews supersede the old ones.
    await review(rita, positions(1, ITEMS), true);
    const agreeing = await evaluate();
    expect(agreeing.status).toBe(201);
    expect(agreeing.body.hash).not.toBe(split.body.hash);
    expect(agreeing.body.verdict).toBe('pass');
    expect(judgeRule(agreeing)).toMatchObject({ verdict: 'pass', actual: 1, runId });
    expect(judgeRule(agreeing).reason).toBe(
      `the judge quality: kappa 1 (95% interval 1 to 1) on 20 items, 40 reviews (sample ${sampleId}), lower bound meeting 0.4`,
    );
    expect(agreeing.body.reviewsUsed).toEqual([
      expect.objectContaining({ sampleId, reviewedItems: ITEMS, reviewers: 2 }),
    ]);

    // Asked again with nothing new, the passing evaluation stands.
    const again = await evaluate();
    expect(again).toMatchObject({ status: 200, body: { id: agreeing.body.id, hash: agreeing.body.hash } });
  });

  it('re-derives each evaluation from the reviews as they were when it was made', async () => {
    const all = (await api.as(rita.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`).expect(200))
      .body as Evaluated['body'][];
    const learn = all.filter((e) => e.to === 'learn');
    expect(learn.length).toBeGreaterThanOrEqual(6);
    // Rita's disagreeing reviews alone: since then Rob reviewed every item and Rita revised every review.
    const failing = learn.find(
      (e) =>
        e.verdict === 'fail' &&
        e.reviewsUsed[0]?.reviewedItems === ITEMS &&
        e.reviewsUsed[0]?.reviewers === 1,
    );
    const passing = learn.find((e) => e.verdict === 'pass');
    for (const evaluation of [failing, passing]) {
      expect(evaluation).toBeDefined();
      const verified = await verification(evaluation?.id ?? '');
      expect(verified).toMatchObject({ matches: true, differences: [] });
      expect(verified.rederivedHash).toBe(evaluation?.hash);
    }
  });

  it('reads the same reviews for human_review: the failure rate as the independent reviewers read it', async () => {
    const policy = judgedPolicy();
    const rule = {
      kind: 'human_review',
      suite: 'judged',
      metric: 'quality',
      minItems: 10,
      maxFailureUpper95: 0.5,
    };
    for (const gate of policy.gates) {
      if (gate.tier === 'high' && gate.to === 'learn') {
        gate.rules.splice(1, 0, rule);
      }
    }
    await api.admin.post('/v1/gate-policies', policy).expect(201);
    const evaluation = await evaluate();
    expect(evaluation.status).toBe(201);
    const human = evaluation.body.rules.find((r) => r.rule.kind === 'human_review') as
      (EvaluationView['rules'][number] & { actual: number }) | undefined;
    // Both reviewers read the 5 wrong answers of 20 as failing, as the judge did: 25%, the whole run reviewed.
    expect(human).toMatchObject({ verdict: 'pass', runId });
    expect(human?.reason).toMatch(
      new RegExp(
        `^quality as independent people read 20 reviewed items \\(sample ${sampleId}\\): corrected failure rate 25%, upper95 [\\d.]+% \\(design-weighted, coverage 100%\\), meeting <= 0\\.5; the scorer's own rate on the same items 25%$`,
      ),
    );
    expect(human?.actual).toBeGreaterThanOrEqual(0.25);
    expect(human?.actual).toBeLessThanOrEqual(0.5);
    expect(evaluation.body.verdict).toBe('pass');
    expect(evaluation.body.reviewsUsed.map((r) => r.sampleId)).toEqual([sampleId]);
    // The audit trail names the reviews the evaluation stood on.
    const audit = await api.admin.get(`/v1/audit-events?subjectId=${useCaseId}&limit=200`).expect(200);
    const evaluated = (audit.body.items as { action: string; after: Record<string, unknown> }[]).find(
      (e) => e.action === 'gate.evaluated' && e.after['evaluationId'] === evaluation.body.id,
    );
    expect(evaluated?.after['reviewsUsed']).toEqual([
      {
        sampleId,
        sampleHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        reviewsHash: evaluation.body.reviewsUsed[0].reviewsHash,
      },
    ]);
  });

  it('shows the review sample the evaluation used on the gate page, and goes through to learn', async () => {
    const passing = await evaluate();
    const page = await (await signIn(api, rita.token)).get(`/gate-evaluations/${passing.body.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Human review used');
    expect(page.text).toContain(`href="/review-samples/${sampleId}"`);
    expect(page.text).toContain(passing.body.reviewsUsed[0].reviewsHash);
    expect(page.text).toContain('20 of 20 items reviewed by 2 independent people');
    // The reviewers' notes never reach the gate page (and HTML in them is never rendered anywhere here).
    expect(page.text).not.toContain('<b>The judge is wrong</b>');

    await givenApproved(api, passing.body, {
      cast: { owner, engineer: eve, reviewers: [rob] },
      suite: 'judged@1',
      target: {},
    });
    await givenPromoted(api, useCaseId, passing.body, {
      cast: { owner, engineer: eve, reviewers: [rob] },
      suite: 'judged@1',
      target: {},
    });
    const moved = await api.as(owner.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
    expect(moved.body.stage).toBe('learn');
  });
});
