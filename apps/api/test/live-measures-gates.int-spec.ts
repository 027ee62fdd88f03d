import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import {
  type EvaluationView,
  givenApproved,
  givenPromoted,
  givenStubSuite,
  type UseCaseGiven,
} from './support/givens';
import {
  daysAgo,
  feedback,
  givenEnteredLearnAt,
  givenUseCaseOnOneRun,
  interaction,
  scored,
  store,
  todayUtc,
  traceId,
  livePilotPolicy,
} from './support/live';
import { TestApi, type TestUser } from './support/test-api';

type Rule = EvaluationView['rules'][number] & {
  actual: number | null;
  rule: { kind: string; measure?: string };
};
function pilotRule(evaluation: EvaluationView, measure: string): Rule {
  const rule = (evaluation.rules as Rule[]).find(
    (r) => r.rule.kind === 'pilot_metric' && r.rule.measure === measure,
  );
  if (!rule) {
    throw new Error(`no pilot_metric rule on ${measure}`);
  }
  return rule;
}

/** Three closed days of a pilot: 50 traces a day, durations 10–500 ms; every trace's answer scored by `pii`. */
function pilotTraffic(useCaseId: string, piiFailures = 0) {
  const interactions = [1, 2, 3].flatMap((ago) =>
    Array.from({ length: 50 }, (_, k) =>
      interaction(useCaseId, { startedAt: daysAgo(ago, 9), durationMs: (k + 1) * 10, traceId: traceId() }),
    ),
  );
  const scores = interactions.map((row, i) => scored(row, 'pii', i >= piiFailures));
  return { interactions, scores };
}

describeIntegration('the scale gate on pilot measures derived from live use', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;

  const given = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita] },
    suite: 'pilot-checks@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });
  /** A use case at learn that entered it twenty days ago. */
  const atLearn = async (): Promise<string> => {
    const id = await givenUseCaseOnOneRun(api, 'learn', given());
    await givenEnteredLearnAt(api, id, daysAgo(20));
    return id;
  };
  const evaluate = (id: string) =>
    api.as(sam.token).post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'scale' });
  const typed = (id: string, cases: number, overrides: number) =>
    api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/pilot-observations`, {
        periodStart: '2026-06-01',
        periodEnd: '2026-06-30',
        cases,
        overrides,
        undone: 0,
        complaints: 0,
        incidents: 0,
      })
      .expect(201);

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '8' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await givenStubSuite(api, eve, 'pilot-checks', {
      scorers: [
        { type: 'equals', name: 'correct' },
        { type: 'pii_leakage', name: 'pii' },
      ],
    });
    await api.admin
      .post(
        '/v1/gate-policies',
        livePilotPolicy('pilot-checks', { overrideRate: 0.06, piiFailureRate: 0.05 }),
      )
      .expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('passes on good derived measures, bound to them, and typed observations cannot replace them', async () => {
    const id = await atLearn();
    const { interactions, scores } = pilotTraffic(id);
    await store(api, [
      ...interactions,
      ...scores,
      // One overridden answer (two override events on it are one overridden case) and praise for another.
      feedback(id, { traceId: interactions[0].traceId, occurredAt: daysAgo(1, 10) }),
      feedback(id, { traceId: interactions[0].traceId, occurredAt: daysAgo(1, 11) }),
      feedback(id, { traceId: interactions[1].traceId, kind: 'positive', occurredAt: daysAgo(1, 10) }),
      // Overrides naming traces that were never sent: each counts against the rate as a case of its own.
      feedback(id, { traceId: traceId(), occurredAt: daysAgo(2, 10) }),
      feedback(id, { traceId: null, occurredAt: daysAgo(2, 11) }),
      // Today's traffic is not in a closed day: the gate does not read it yet.
      ...Array.from({ length: 20 }, () => interaction(id, { startedAt: new Date() })),
    ]);

    const first = await evaluate(id).expect(201);
    const body = first.body as EvaluationView;
    expect(body.verdict).toBe('pass');
    expect(body['pilot']).toMatchObject({
      source: 'live',
      window: { since: daysAgo(20).toISOString(), until: todayUtc().toISOString() },
    });
    const overrides = pilotRule(body, 'override_rate');
    expect(overrides.verdict).toBe('pass');
    // One overridden case, and two overrides naming no stored trace counted as cases of their own.
    expect(overrides.reason).toContain('3 of 150 cases');
    expect(overrides.reason).toContain('measured from live use');
    expect(overrides.reason).toContain(
      '2 feedback event(s) named no stored trace: the adverse ones count as cases of their own',
    );
    expect(pilotRule(body, 'guardrail_failure_rate')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining('0 of 150 scored interactions: pii failure rate upper95'),
    });
    const verification = await api
      .as(sam.token)
      .get(`/v1/gate-evaluations/${body.id}/verification`)
      .expect(200);
    expect(verification.body).toMatchObject({ matches: true, differences: [] });

    // The team types a worse month by hand: live use is what the gate reads, so nothing it reads has changed.
    await typed(id, 400, 100);
    const again = await evaluate(id).expect(200);
    expect(again.body).toMatchObject({ id: body.id, hash: body.hash, verdict: 'pass' });

    // The same days, as the measures route shows them.
    const from = daysAgo(3).toISOString().slice(0, 10);
    const to = daysAgo(1).toISOString().slice(0, 10);
    const measures = await api
      .as(rita.token)
      .get(`/v1/ai-use-cases/${id}/live-measures?from=${from}&to=${to}`)
      .expect(200);
    expect(measures.body.days).toHaveLength(3);
    for (const day of measures.body.days) {
      // 50 durations 10, 20, … 500 ms: the 25th and the 48th by rank.
      expect(day).toMatchObject({ cases: 50, calls: 50, latencyP50Ms: 250, latencyP95Ms: 480 });
    }
    expect(measures.body.totals).toMatchObject({
      cases: 150,
      unlinked: 2,
      positive: 1,
      overrideRate: { events: 3, cases: 150 },
    });
    expect(measures.body.totals.overrideRate.upper95).toBeCloseTo(
      pilotRule(body, 'override_rate').actual ?? Number.NaN,
      12,
    );
    expect(measures.body.scorers).toEqual([
      expect.objectContaining({ scorer: 'pii', scored: 150, failed: 0, failureRate: 0 }),
    ]);

    // Approved and promoted: the published record says the pilot figures were measured, not typed.
    await givenApproved(api, body, given());
    await givenPromoted(api, id, body, given());
    const published = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/transparency-record`, {})
      .expect(201);
    expect(published.body.record.tier2.modelPerformance.pilot).toMatchObject({
      source: 'live',
      description: expect.stringContaining('Measured from live use'),
      measures: [expect.objectContaining({ verdict: 'pass' }), expect.objectContaining({ verdict: 'pass' })],
    });
  });

  it('fails when overrides climb and when the guardrail fails on live traffic', async () => {
    const id = await atLearn();
    // A good typed month is not read either: the traces decide.
    await typed(id, 400, 0);
    const { interactions, scores } = pilotTraffic(id, 6);
    await store(api, [
      ...interactions,
      ...scores,
      ...interactions
        .slice(0, 12)
        .map((row) => feedback(id, { traceId: row.traceId, occurredAt: daysAgo(1, 15) })),
    ]);
    const evaluation = (await evaluate(id).expect(201)).body as EvaluationView;
    expect(evaluation.verdict).toBe('fail');
    expect(evaluation['pilot']).toMatchObject({ source: 'live' });
    expect(pilotRule(evaluation, 'override_rate')).toMatchObject({
      verdict: 'fail',
      reason: expect.stringContaining('12 of 150 cases'),
    });
    expect(pilotRule(evaluation, 'guardrail_failure_rate')).toMatchObject({
      verdict: 'fail',
      reason: expect.stringContaining('6 of 150 scored interactions'),
    });
  });

  it('reads the typed observations while the use case sends no live data, and says so', async () => {
    const id = await atLearn();
    // Traffic from before the pilot began (the test stage) is not pilot evidence.
    await store(api, [interaction(id, { startedAt: daysAgo(25) })]);
    await typed(id, 400, 2);
    const evaluation = (await evaluate(id).expect(201)).body as EvaluationView;
    expect(evaluation['pilot']).toEqual({ source: 'recorded', window: null });
    expect(pilotRule(evaluation, 'override_rate')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining('2 of 400 cases'),
    });
    expect(pilotRule(evaluation, 'override_rate').reason).toContain('recorded by the team');
    expect(pilotRule(evaluation, 'guardrail_failure_rate')).toMatchObject({
      verdict: 'missing',
      reason: expect.stringContaining('never typed'),
    });
  });

  it('once live data arrives, too little of it is inconclusive rather than falling back to typed numbers', async () => {
    const id = await atLearn();
    await typed(id, 400, 0);
    const few = Array.from({ length: 30 }, () => interaction(id, { startedAt: daysAgo(1) }));
    await store(api, few);
    const evaluation = (await evaluate(id).expect(201)).body as EvaluationView;
    expect(evaluation['pilot']).toMatchObject({ source: 'live' });
    expect(pilotRule(evaluation, 'override_rate')).toMatchObject({
      verdict: 'missing',
      reason: expect.stringContaining('30 cases observed, fewer than the 100 required'),
    });
  });
});
