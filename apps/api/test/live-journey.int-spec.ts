import { WatchService } from '@gatehouse/application';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { type EvaluationView, givenStubSuite, type UseCaseGiven } from './support/givens';
import {
  daysAgo,
  givenArrivedAsItHappened,
  givenEnteredLearnAt,
  givenUseCaseOnOneRun,
  livePilotPolicy,
} from './support/live';
import { exportWithOtelSdk, type SdkSpan } from './support/otel-sdk';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(240_000);

const DAY = 86_400_000;
const QUESTIONS = 20;
const CASES = 150;

/** One answered question, as a service instrumented with the GenAI conventions records the model call. */
function modelCall(n: number, startTime: number, answer: string): SdkSpan {
  return {
    name: 'chat stub-model',
    startTime,
    endTime: startTime + 200 + (n % 50) * 4,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'stub-model',
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: `Is question ${(n % QUESTIONS) + 1} eligible?` }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
      ]),
    },
  };
}

/**
 * Issue 15's "done when", in one pilot: the service's traces (a real OpenTelemetry SDK exporter) and its
 * feedback reach Gatehouse; the online guardrail scores the sampled answers; the scale gate's pilot rules
 * pass on the measures derived from that traffic (late feedback waits for the next window); a configuration the
 * reviewers never approved is caught; a scheduled re-evaluation that regresses puts the use case under review.
 */
describeIntegration('the learn stage from live use, end to end', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let baseUrl: string;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  /** Share of questions the model stub answers "yes" (right). */
  let yesShare = 1;

  beforeAll(async () => {
    stub = await startOpenAiStub({
      respond: (body) => {
        const n = Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]);
        return n <= Math.round(yesShare * QUESTIONS) ? 'yes' : 'no';
      },
    });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '8' });
    await api.app.listen(0, '127.0.0.1');
    baseUrl = (await api.app.getUrl()).replace('[::1]', '127.0.0.1');
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await givenStubSuite(api, eve, 'benefits-answers', {
      items: QUESTIONS,
      scorers: [
        { type: 'equals', name: 'correct' },
        { type: 'pii_leakage', name: 'pii' },
      ],
      thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.8 }],
    });
    await api.admin
      .post(
        '/v1/gate-policies',
        livePilotPolicy('benefits-answers', { overrideRate: 0.08, piiFailureRate: 0.05 }),
      )
      .expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('traces and feedback decide the scale gate, a configuration drift puts the use case under change, a regressing re-evaluation under review', async () => {
    const given: UseCaseGiven = {
      cast: { owner: sam, engineer: eve, reviewers: [rita] },
      suite: 'benefits-answers@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    };
    const id = await givenUseCaseOnOneRun(api, 'learn', given);
    await givenEnteredLearnAt(api, id, daysAgo(5));
    const useCase = async () => (await api.as(sam.token).get(`/v1/ai-use-cases/${id}`).expect(200)).body;
    const approvedHash = (await useCase()).target.hash as string;

    // The team turns live use on: every trace scored, re-evaluated weekly, and a token for the service.
    const settings = (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/live-settings`).expect(200)).body;
    await api
      .as(sam.token)
      .put(`/v1/ai-use-cases/${id}/live-settings`, {
        sampleRate: 1,
        captureText: settings.captureText,
        redactPii: settings.redactPii,
        retentionDays: settings.retentionDays,
        judgeCallsPerDay: settings.judgeCallsPerDay,
        reevaluateEveryDays: 7,
        drift: settings.drift,
      })
      .expect(200);
    const minted = await api
      .as(eve.token)
      .post(`/v1/ai-use-cases/${id}/ingest-tokens`, { name: 'benefits-assistant (production)' })
      .expect(201);
    const ingestToken = minted.body.token as string;
    const service = { url: `${baseUrl}/v1/otlp/v1/traces`, token: ingestToken, protocol: 'proto' as const };

    // Yesterday's pilot: 150 answers, one of which leaks a postcode, from the approved configuration.
    const yesterday = daysAgo(1, 9).getTime();
    const exported = await exportWithOtelSdk({
      ...service,
      resource: { 'service.name': 'benefits-assistant', 'gatehouse.config.hash': approvedHash },
      spans: Array.from({ length: CASES }, (_, n) =>
        modelCall(
          n,
          yesterday + n * 60_000,
          n === 7 ? 'Yes: we will write to you at SW1A 1AA.' : 'Yes, you are eligible.',
        ),
      ),
    });
    expect(exported.results.length).toBeGreaterThan(0);
    expect(exported.results.every((r) => r.code === 0)).toBe(true);
    const traces = exported.spans.map((s) => s.traceId);

    // Caseworkers overrode two answers (one of them twice: one overridden case).
    const feedback = (events: object[]) =>
      api.http
        .post('/v1/live/feedback')
        .set('Authorization', `Bearer ${ingestToken}`)
        .send({ events })
        .expect((response) => expect(response.status).toBeLessThan(300));
    const override = (trace: string, key: string) => ({
      id: key,
      traceId: trace,
      kind: 'override',
      occurredAt: new Date(yesterday + 3 * 3_600_000).toISOString(),
    });
    await feedback([override(traces[3], 'o-1'), override(traces[3], 'o-2'), override(traces[40], 'o-3')]);

    // The sampled answers are scored on the workers; the measures show what the gate will read.
    const from = daysAgo(1).toISOString().slice(0, 10);
    const measures = async () =>
      (
        await api
          .as(rita.token)
          .get(`/v1/ai-use-cases/${id}/live-measures?from=${from}&to=${from}`)
          .expect(200)
      ).body;
    const deadline = Date.now() + 60_000;
    let seen = await measures();
    while ((seen.scorers?.[0]?.scored ?? 0) < CASES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await measures();
    }
    expect(seen.totals).toMatchObject({ cases: CASES, overrideRate: { events: 2, cases: CASES } });
    expect(seen.scorers).toEqual([expect.objectContaining({ scorer: 'pii', scored: CASES, failed: 1 })]);

    // The scale gate reads those measures over closed days, counting only what had arrived by then: the
    // pilot's traffic arrived yesterday, as it happened (the test sent it today with yesterday's times).
    await givenArrivedAsItHappened(api, id);
    // 2 overridden of 150, 1 leak of 150: both within the policy.
    const evaluate = async () =>
      (await api.as(sam.token).post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'scale' }))
        .body as EvaluationView & {
        pilot: { source: string };
      };
    const rule = (evaluation: EvaluationView, measure: string) =>
      evaluation.rules.find((r) => (r.rule as { measure?: string }).measure === measure);
    const passing = await evaluate();
    expect(passing.pilot).toMatchObject({ source: 'live' });
    expect(passing.rules.filter((r) => r.verdict !== 'pass')).toEqual([]);
    expect(passing.verdict).toBe('pass');
    expect(rule(passing, 'override_rate')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining(`2 of ${CASES} cases`),
    });
    expect(rule(passing, 'guardrail_failure_rate')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining(`1 of ${CASES} scored interactions`),
    });

    // Ten more overrides of yesterday's answers arrive late, today. The measures show them at once; the gate's
    // window (up to last midnight) has closed, so asking again today gives the same evaluation, and the late
    // overrides count when tomorrow's window closes (the spec live-measures-gates shows the gate failing then).
    await feedback(traces.slice(60, 70).map((trace, k) => override(trace, `o-late-${k}`)));
    expect((await measures()).totals).toMatchObject({ overrideRate: { events: 12, cases: CASES } });
    const again = await evaluate();
    expect(again).toMatchObject({ id: passing.id, hash: passing.hash, verdict: 'pass' });

    // The service starts running a configuration nobody approved: caught from its traces.
    expect((await useCase()).underChangeSince).toBeNull();
    const drifted = await exportWithOtelSdk({
      ...service,
      resource: { 'service.name': 'benefits-assistant', 'gatehouse.config.hash': 'c'.repeat(64) },
      spans: [modelCall(0, Date.now() - 2_000, 'Yes, you are eligible.')],
    });
    expect(drifted.results.every((r) => r.code === 0)).toBe(true);
    const changed = Date.now() + 30_000;
    while ((await useCase()).underChangeSince === null && Date.now() < changed) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await useCase()).underChangeSince).not.toBeNull();
    const alerts = async () =>
      (await api.as(rita.token).get(`/v1/ai-use-cases/${id}/watch-alerts`).expect(200)).body.items as {
        kind: string;
        status: string;
        summary: string;
      }[];
    expect(await alerts()).toEqual([
      expect.objectContaining({ kind: 'config_mismatch', status: 'open', summary: expect.any(String) }),
    ]);

    // A week on, the scheduled re-evaluation runs the suite against the registered target, which now
    // answers half the questions wrong: the use case goes under review with a regression alert.
    yesShare = 0.5;
    const watch = api.app.get(WatchService);
    const due = new Date(Date.now() + 8 * DAY);
    await watch.pass(due);
    const reevaluation = (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/reevaluations`).expect(200))
      .body.items[0] as { runs: { runId: string | null }[] };
    expect(reevaluation.runs.length).toBeGreaterThan(0);
    for (const run of reevaluation.runs) {
      expect(run.runId).not.toBeNull();
      await api.waitForRun(run.runId as string, eve.token);
    }
    await watch.pass(due);
    expect((await useCase()).underReviewSince).not.toBeNull();
    expect((await alerts()).map((a) => [a.kind, a.status]).sort()).toEqual([
      ['config_mismatch', 'open'],
      ['regression', 'open'],
    ]);
  });
});
