import { WatchService } from '@gatehouse/application';
import { DEFAULT_DRIFT_POLICY } from '@gatehouse/domain';
import {
  LiveSettingsEntity,
  managerOf,
  NotificationEventEntity,
  ReevaluationEntity,
  UnitOfWork,
} from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import { type UseCaseGiven } from './support/givens';
import { givenUseCaseOnOneRun } from './support/live';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(180_000);

const DAY = 86_400_000;
const QUESTIONS = 40;

function policy() {
  const rules = [
    { kind: 'suite_passed', suite: 'yes-no', maxAgeDays: 90 },
    { kind: 'approvals', count: 1, role: 'reviewer' },
  ];
  return {
    description: 'live-reevaluation policy',
    gates: (['low', 'medium', 'high'] as const).flatMap((tier) =>
      (['test', 'learn', 'scale'] as const).map((to) => ({ tier, to, rules })),
    ),
  };
}

describeIntegration('scheduled re-evaluation of a live use case', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let uow: UnitOfWork;
  let watch: WatchService;
  /** Share of questions the stub answers "yes" (right); the rest "no". */
  let yesShare = 1;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  /**
   * At learn, never scheduled nor changed by any test: the file's passes must leave it alone (no
   * re-evaluation, not under review). Shared, as it takes a walk through two gates to make.
   */
  let unscheduled: string;

  const given = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita] },
    suite: 'yes-no@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });
  const useCase = async (id: string) =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${id}`).expect(200)).body;
  const reevaluations = async (id: string) =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/reevaluations`).expect(200)).body.items as {
      id: string;
      status: string;
      runs: { suite: string; runId: string | null; baselineRunId: string; error: string | null }[];
      findings: string[];
    }[];
  const schedule = (id: string, days: number) =>
    uow.write((tx) =>
      managerOf(tx).insert(LiveSettingsEntity, {
        aiUseCaseId: id,
        sampleRate: 0.1,
        captureText: false,
        redactPii: true,
        retentionDays: 30,
        judgeCallsPerDay: 0,
        reevaluateEveryDays: days,
        drift: DEFAULT_DRIFT_POLICY,
        updatedBy: sam.id,
        updatedAt: new Date(),
      } as never),
    );
  /** Waits until every run of the use case's latest re-evaluation has settled. */
  const settle = async (id: string) => {
    const [latest] = await reevaluations(id);
    for (const run of latest?.runs ?? []) {
      if (run.runId) {
        await api.waitForRun(run.runId, eve.token);
      }
    }
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({
      respond: (body) => {
        const n = Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]);
        return n <= Math.round(yesShare * QUESTIONS) ? 'yes' : 'no';
      },
    });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub' });
    uow = api.app.get(UnitOfWork);
    watch = api.app.get(WatchService);
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=reeval-questions', jsonl(questionItems(QUESTIONS)), 'application/x-ndjson')
      .expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        stubSuiteYaml({
          name: 'yes-no',
          dataset: 'reeval-questions@1',
          concurrency: 8,
          thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.8 }],
        }),
        'application/yaml',
      )
      .expect(201);
    await api.admin.post('/v1/gate-policies', policy()).expect(201);
    unscheduled = await givenUseCaseOnOneRun(api, 'learn', given());
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('runs nothing for a use case without a schedule, nor before the schedule is due', async () => {
    yesShare = 1;
    const scheduled = await givenUseCaseOnOneRun(api, 'learn', given());
    await schedule(scheduled, 30); // not due in this file's later passes either (at most 15 days on)
    await watch.pass(new Date(Date.now() + 3 * DAY));
    expect(await reevaluations(unscheduled)).toEqual([]);
    expect(await reevaluations(scheduled)).toEqual([]);
  });

  it('a re-evaluation that regresses (the target now answers differently) marks the use case under review and alerts, once', async () => {
    yesShare = 1;
    const id = await givenUseCaseOnOneRun(api, 'learn', given());
    await schedule(id, 7);
    const due = new Date(Date.now() + 8 * DAY);

    // Two workers' passes at once start one re-evaluation.
    yesShare = 0.5;
    const [first, second] = await Promise.all([watch.pass(due), watch.pass(due)]);
    expect(first.reevaluationsStarted + second.reevaluationsStarted).toBe(1);
    const [started, ...others] = await reevaluations(id);
    expect(others).toEqual([]);
    expect(started).toMatchObject({
      status: 'running',
      runs: [expect.objectContaining({ suite: 'yes-no@1', error: null })],
    });
    const run = await api.waitForRun(started?.runs[0]?.runId as string, eve.token);
    expect(run).toMatchObject({ status: 'completed', aiUseCaseId: id });

    const judged = await Promise.all([watch.pass(due), watch.pass(due)]);
    expect(judged.reduce((n, r) => n + r.regressions, 0)).toBe(1);
    const [regressed] = await reevaluations(id);
    expect(regressed?.status).toBe('regressed');
    expect(regressed?.findings.join(' ')).toMatch(/correct: -50\.0 points/);
    expect(regressed?.findings.join(' ')).toContain('failed its thresholds');
    expect((await useCase(id)).underReviewSince).not.toBeNull();
    const alerts = (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/watch-alerts`).expect(200)).body
      .items;
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'regression',
        status: 'open',
        summary: expect.stringContaining('regressed'),
      }),
    ]);
    expect(
      await uow.read((tx) =>
        managerOf(tx).countBy(NotificationEventEntity, { aiUseCaseId: id, type: 'watch.alert_opened' }),
      ),
    ).toBe(1);

    // Under review offers a re-approval of the stage; the approved re-evaluation clears the mark and the alert.
    yesShare = 1;
    const runAgain = await api
      .as(eve.token)
      .post('/v1/runs', { suite: 'yes-no@1', aiUseCaseId: id })
      .expect(202);
    await api.waitForRun(runAgain.body.id, eve.token);
    const reapproval = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'learn' })
      .expect(201);
    expect(reapproval.body).toMatchObject({ kind: 'reapproval', verdict: 'pass' });
    await api
      .as(rita.token)
      .post(`/v1/gate-evaluations/${reapproval.body.id}/approvals`, {
        decision: 'approve',
        reason: 'Re-ran and checked',
        evaluationHash: reapproval.body.hash,
      })
      .expect(201);
    await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/promotions`, { evaluationId: reapproval.body.id })
      .expect(201);
    expect((await useCase(id)).underReviewSince).toBeNull();
    await watch.pass(new Date());
    const after = (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/watch-alerts`).expect(200)).body.items;
    expect(after).toEqual([
      expect.objectContaining({ kind: 'regression', status: 'resolved', resolvedBy: 'system' }),
    ]);
  });

  it('a re-evaluation that holds up marks nothing, and the next is due a schedule later', async () => {
    yesShare = 1;
    const id = await givenUseCaseOnOneRun(api, 'learn', given());
    await schedule(id, 7);
    const due = new Date(Date.now() + 8 * DAY);
    await watch.pass(due);
    await settle(id);
    await watch.pass(due);
    const [passed] = await reevaluations(id);
    expect(passed).toMatchObject({ status: 'passed', findings: [] });
    expect((await useCase(id)).underReviewSince).toBeNull();

    await watch.pass(new Date(due.getTime() + 3 * DAY));
    expect(await reevaluations(id)).toHaveLength(1);
    await watch.pass(new Date(due.getTime() + 7 * DAY));
    expect(await reevaluations(id)).toHaveLength(2);
    await settle(id);
    const stored = await uow.read((tx) => managerOf(tx).findBy(ReevaluationEntity, { aiUseCaseId: id }));
    expect(stored.map((r) => r.afterId)).toContain(passed?.id);
  });

  it('a regressed re-evaluation of an approval since replaced (promoted on) is recorded but marks nothing', async () => {
    yesShare = 1;
    const id = await givenUseCaseOnOneRun(api, 'learn', given());
    await schedule(id, 7);
    const due = new Date(Date.now() + 8 * DAY);
    yesShare = 0.5;
    await watch.pass(due);
    await settle(id);

    // Meanwhile the team moves on to scale on fresh, passing evidence: a new approval.
    yesShare = 1;
    const fresh = await api
      .as(eve.token)
      .post('/v1/runs', { suite: 'yes-no@1', aiUseCaseId: id })
      .expect(202);
    await api.waitForRun(fresh.body.id, eve.token);
    const toScale = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'scale' })
      .expect(201);
    expect(toScale.body.verdict).toBe('pass');
    await api
      .as(rita.token)
      .post(`/v1/gate-evaluations/${toScale.body.id}/approvals`, {
        decision: 'approve',
        reason: 'Checked',
        evaluationHash: toScale.body.hash,
      })
      .expect(201);
    await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${id}/promotions`, { evaluationId: toScale.body.id })
      .expect(201);

    await watch.pass(due);
    const [judged] = await reevaluations(id);
    expect(judged?.status).toBe('regressed');
    expect((await useCase(id)).underReviewSince).toBeNull();
    expect(
      (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/watch-alerts`).expect(200)).body.items,
    ).toEqual([]);
  });

  it('a learn use case that is not under review is not offered a re-approval (the gate leads on)', async () => {
    const refused = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${unscheduled}/gate-evaluations`, { to: 'learn' })
      .expect(409);
    expect(refused.body.rule).toBe('stage_order');
  });
});
