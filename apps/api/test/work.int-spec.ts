import {
  AiUseCaseEntity,
  EvaluationRunEntity,
  managerOf,
  UnitOfWork,
  UserEntity,
} from '@gatehouse/persistence';
import {
  aiUseCaseRow,
  describeIntegration,
  insertEmptySuite,
  type OpenAiStub,
  runRow,
  startOpenAiStub,
} from '@gatehouse/testing';
import {
  givenCompletedRun,
  givenEvidenceFor,
  givenPassingEvaluation,
  givenStubSuite,
  givenUseCaseAt,
  suitePassedPolicy,
  type UseCaseGiven,
} from './support/givens';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(180_000);

const DAY = 86_400_000;

/**
 * Every gate: the suite passed within 30 days, and two reviewers whose reviewer role someone else granted
 * (`approvals` changes that rule).
 */
const policy = (approvals: Record<string, unknown> = {}) =>
  suitePassedPolicy(
    'work-gate',
    { count: 2, reviewerRoleGrantedByOther: true, ...approvals },
    'work list test policy',
  );

interface WorkBody {
  withinDays: number;
  awaitingMyDecision: { items: AwaitingItem[]; truncated: boolean; limit: number };
  evidenceExpiring: { items: ExpiringItem[]; truncated: boolean };
  team: { id: string; name: string } | null;
  teamRejected: { items: RejectedItem[]; truncated: boolean };
  teamFailedRuns: { items: FailedRunItem[]; truncated: boolean };
}
interface AwaitingItem {
  evaluationId: string;
  aiUseCase: { id: string; name: string; ownerTeamName: string };
  from: string;
  to: string;
  riskTier: string;
  approvals: { have: number; need: number };
  link: string;
  note: string | null;
}
interface ExpiringItem {
  aiUseCase: { id: string; name: string; ownerTeamName: string };
  daysLeft: number;
  expiresAt: string;
  maxAgeDays: number;
  suite: string;
}
interface RejectedItem {
  evaluationId: string;
  aiUseCase: { id: string };
  reviewerName: string;
  reason: string;
}
interface FailedRunItem {
  runId: string;
  suite: string;
  reason: string;
  link: string;
}

/**
 * GET /v1/me/work: a reviewer sees exactly the evaluations they may decide (separation of duties applied,
 * who granted their reviewer role included), teams see their own rejections and failed runs and nobody
 * else's, and evidence going stale shows with the days it has left.
 */
describeIntegration('GET /v1/me/work (waiting for me)', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let uow: UnitOfWork;
  let sam: TestUser; // service team, Benefits
  let eve: TestUser; // engineer, Benefits
  let hank: TestUser; // service team, Housing
  let rita: TestUser; // reviewer, Assurance: independent of everything
  let rob: TestUser; // reviewer, Assurance
  let rex: TestUser; // reviewer in Benefits, the owning team
  let paula: TestUser; // admin and reviewer: proposes an evaluation
  let ada: TestUser; // admin, reviewer and engineer: starts a run the evaluation uses
  let sel: TestUser; // reviewer whose reviewer role is on record as self-granted

  const work = async (user: TestUser, query = ''): Promise<WorkBody> =>
    (await api.as(user.token).get(`/v1/me/work${query}`).expect(200)).body as WorkBody;

  const given = (name: string, cast: Partial<UseCaseGiven['cast']> = {}): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rob, rita], ...cast },
    suite: 'work-gate@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    record: { ...lowRiskRecord(), name },
  });

  /** A new use case registered by `owner`, and a failing evaluation of it (no target yet) rejected by Rita. */
  const givenRejected = async (owner: TestUser, name: string, reason: string) => {
    const id = (
      await api
        .as(owner.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name } })
        .expect(201)
    ).body.id as string;
    const evaluation = (
      await api.as(owner.token).post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'test' }).expect(201)
    ).body as { id: string; hash: string };
    await api
      .as(rita.token)
      .post(`/v1/gate-evaluations/${evaluation.id}/approvals`, {
        decision: 'reject',
        reason,
        evaluationHash: evaluation.hash,
      })
      .expect(201);
    return { useCaseId: id, evaluationId: evaluation.id };
  };

  /** A run of the use case stored as failed (the run broke) `age` days ago. */
  const givenFailedRun = async (suiteId: string, useCaseId: string, age: number, error: string) => {
    const at = new Date(Date.now() - age * DAY);
    const run = runRow(suiteId, {
      aiUseCaseId: useCaseId,
      status: 'failed',
      error,
      createdAt: at,
      updatedAt: at,
    });
    await uow.write((tx) => managerOf(tx).insert(EvaluationRunEntity, run));
    return run.id;
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '4' });
    uow = api.app.get(UnitOfWork);
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    hank = await api.user('Hank', ['service_team'], 'Housing');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    rex = await api.user('Rex', ['reviewer'], 'Benefits');
    paula = await api.user('Paula', ['admin', 'reviewer'], 'Assurance');
    ada = await api.user('Ada', ['admin', 'reviewer', 'engineer'], 'Assurance');
    sel = await api.user('Sel', ['reviewer'], 'Assurance');
    await uow.write((tx) =>
      managerOf(tx).update(UserEntity, { id: sel.id }, { rolesGrantedBy: { reviewer: sel.id } }),
    );
    await api.admin.post('/v1/gate-policies', policy()).expect(201);
    await givenStubSuite(api, eve, 'work-gate', { items: 8, idPrefix: 'w-', concurrency: 4 });
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('evaluations waiting for a decision', () => {
    let useCaseId: string;
    let evaluationId: string;

    beforeAll(async () => {
      const pending = given('Pending <letters> helper');
      useCaseId = await givenUseCaseAt(api, 'proposed', pending);
      await givenEvidenceFor(api, useCaseId, 'test', pending);
      // Ada (an admin) starts the run the evaluation will use; Paula (an admin) asks for the evaluation.
      const adaRun = await givenCompletedRun(api, useCaseId, given('Pending', { engineer: ada }));
      const evaluation = await givenPassingEvaluation(
        api,
        useCaseId,
        'test',
        given('Pending', { owner: paula }),
      );
      const used = (evaluation.runsUsed as { id: string }[]).map((r) => r.id);
      if (used.join() !== adaRun.id) {
        throw new Error(`the evaluation should use only Ada's run ${adaRun.id}, not ${used.join()}`);
      }
      evaluationId = evaluation.id;
      // Rob approves: one of the two approvals, so it still waits.
      await api
        .as(rob.token)
        .post(`/v1/gate-evaluations/${evaluationId}/approvals`, {
          decision: 'approve',
          reason: 'Evidence checked',
          evaluationHash: evaluation.hash,
        })
        .expect(201);
    }, 180_000);

    it('lists the evaluation for an independent reviewer, with what they need to pick it up', async () => {
      const body = await work(rita);
      expect(body.awaitingMyDecision.items.filter((i) => i.aiUseCase.id === useCaseId)).toEqual([
        {
          evaluationId,
          kind: 'promotion',
          aiUseCase: { id: useCaseId, name: 'Pending <letters> helper', ownerTeamName: 'Benefits' },
          from: 'proposed',
          to: 'test',
          riskTier: 'low',
          approvals: { have: 1, need: 2 },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          link: `/gate-evaluations/${evaluationId}`,
          note: null,
        },
      ]);
      expect(body.awaitingMyDecision).toMatchObject({ truncated: false, limit: 100 });
    });

    it.each([
      ['Rob, who already decided', () => rob],
      ['Rex, a reviewer in the owning team', () => rex],
      ['Paula, who asked for the evaluation', () => paula],
      ['Ada, who started a run it uses', () => ada],
      ['Sel, whose reviewer role is on record as self-granted', () => sel],
      ['Sam, the proposing team, who is no reviewer', () => sam],
    ])('does not show it to %s', async (_who, user) => {
      const body = await work(user());
      expect(body.awaitingMyDecision.items.map((i) => i.evaluationId)).not.toContain(evaluationId);
    });

    it('drops it for everyone once it is approved', async () => {
      const second = (await work(rita)).awaitingMyDecision.items.find((i) => i.evaluationId === evaluationId);
      expect(second).toBeDefined();
      const evaluation = (await api.as(rita.token).get(`/v1/gate-evaluations/${evaluationId}`).expect(200))
        .body as { hash: string };
      await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${evaluationId}/approvals`, {
          decision: 'approve',
          reason: 'Evidence checked too',
          evaluationHash: evaluation.hash,
        })
        .expect(201);
      const sel_ = await work(sel);
      const rita_ = await work(rita);
      expect(rita_.awaitingMyDecision.items.map((i) => i.evaluationId)).not.toContain(evaluationId);
      expect(sel_.awaitingMyDecision.items.map((i) => i.evaluationId)).not.toContain(evaluationId);
    });
  });

  describe("a team's rejected evaluations and failed runs", () => {
    let benefits: { useCaseId: string; evaluationId: string };
    let housing: { useCaseId: string; evaluationId: string };
    let benefitsRun: string;
    let oldRun: string;
    let housingRun: string;

    beforeAll(async () => {
      benefits = await givenRejected(sam, 'Benefits drafting', 'Risks understated: record the appeal route');
      housing = await givenRejected(hank, 'Housing triage', 'Housing: no DPIA');
      const suiteId = await insertEmptySuite(uow, 'work-broken');
      benefitsRun = await givenFailedRun(
        suiteId,
        benefits.useCaseId,
        1,
        'the target could not be built: no key',
      );
      oldRun = await givenFailedRun(suiteId, benefits.useCaseId, 20, 'an old failure');
      housingRun = await givenFailedRun(suiteId, housing.useCaseId, 1, 'Housing: timeout');
    }, 120_000);

    it("shows the team its rejection with the reviewer's reason, and its failed run", async () => {
      const body = await work(sam);
      expect(body.team).toMatchObject({ name: 'Benefits' });
      expect(body.teamRejected.items).toContainEqual(
        expect.objectContaining({
          evaluationId: benefits.evaluationId,
          aiUseCase: { id: benefits.useCaseId, name: 'Benefits drafting' },
          reviewerName: 'Rita',
          reason: 'Risks understated: record the appeal route',
          link: `/gate-evaluations/${benefits.evaluationId}`,
        }),
      );
      expect(body.teamFailedRuns.items).toContainEqual(
        expect.objectContaining({
          runId: benefitsRun,
          suite: 'work-broken@1',
          reason: 'the target could not be built: no key',
          link: `/runs/${benefitsRun}`,
        }),
      );
    });

    it("never shows another team's rejections or runs, nor failures older than the look-back", async () => {
      const body = await work(sam);
      expect(body.teamRejected.items.map((i) => i.evaluationId)).not.toContain(housing.evaluationId);
      const runs = body.teamFailedRuns.items.map((i) => i.runId);
      expect(runs).not.toContain(housingRun);
      expect(runs).not.toContain(oldRun);
      expect(JSON.stringify(body)).not.toContain('Housing');
      // Housing sees its own.
      const hanks = await work(hank);
      expect(hanks.teamRejected.items.map((i) => i.evaluationId)).toEqual([housing.evaluationId]);
      expect(hanks.teamFailedRuns.items.map((i) => i.runId)).toEqual([housingRun]);
    });

    it("keeps a rejected evaluation out of every reviewer's queue", async () => {
      for (const reviewer of [rita, rob, sel]) {
        const ids = (await work(reviewer)).awaitingMyDecision.items.map((i) => i.evaluationId);
        expect(ids).not.toContain(benefits.evaluationId);
      }
    });
  });

  describe('evidence going stale', () => {
    let useCaseId: string;

    beforeAll(async () => {
      useCaseId = await givenUseCaseAt(api, 'test', given('Live letters helper'));
      // The runs behind the promotion completed 20 days ago: with maxAgeDays 30, ten days are left.
      await uow.write((tx) =>
        managerOf(tx).update(
          EvaluationRunEntity,
          { aiUseCaseId: useCaseId },
          { completedAt: new Date(Date.now() - 20 * DAY) },
        ),
      );
    }, 180_000);

    it('shows the team and the reviewers the days left, within the window asked for', async () => {
      for (const user of [sam, rita]) {
        const item = (await work(user, '?withinDays=10')).evidenceExpiring.items.find(
          (i) => i.aiUseCase.id === useCaseId,
        );
        expect(item).toMatchObject({
          aiUseCase: { id: useCaseId, name: 'Live letters helper', ownerTeamName: 'Benefits' },
          suite: 'work-gate',
          maxAgeDays: 30,
          daysLeft: 9,
        });
        const left = new Date(item?.expiresAt ?? 0).getTime() - Date.now();
        expect(left).toBeGreaterThan(9 * DAY);
        expect(left).toBeLessThanOrEqual(10 * DAY);
      }
      const within9 = await work(sam, '?withinDays=9');
      expect(within9.withinDays).toBe(9);
      expect(within9.evidenceExpiring.items.map((i) => i.aiUseCase.id)).not.toContain(useCaseId);
      // The default window is 14 days.
      const byDefault = await work(sam);
      expect(byDefault.withinDays).toBe(14);
      expect(byDefault.evidenceExpiring.items.map((i) => i.aiUseCase.id)).toContain(useCaseId);
    });

    it("does not show another team's use case to a team member", async () => {
      const body = await work(hank, '?withinDays=365');
      expect(body.evidenceExpiring.items.map((i) => i.aiUseCase.id)).not.toContain(useCaseId);
    });
  });

  describe('bounded lists', () => {
    it('shows the newest 100 and says the list is truncated', async () => {
      const tess = await api.user('Tess', ['service_team'], 'Tax');
      const useCase = aiUseCaseRow(tess.teamId as string, { name: 'Tax letters' });
      await uow.write((tx) => managerOf(tx).insert(AiUseCaseEntity, useCase));
      const suiteId = await insertEmptySuite(uow, 'work-many');
      const runs = Array.from({ length: 101 }, (_, i) => {
        const at = new Date(Date.now() - DAY - i * 60_000);
        return runRow(suiteId, {
          aiUseCaseId: useCase.id,
          status: 'failed',
          error: `failure ${i}`,
          createdAt: at,
          updatedAt: at,
        });
      });
      await uow.write((tx) => managerOf(tx).insert(EvaluationRunEntity, runs));

      const body = await work(tess);
      expect(body.teamFailedRuns.items).toHaveLength(100);
      expect(body.teamFailedRuns.truncated).toBe(true);
      expect(body.teamFailedRuns.items[0]?.runId).toBe(runs[0]?.id);
      expect(body.teamFailedRuns.items.map((i) => i.runId)).not.toContain(runs[100]?.id);
      expect(body.teamRejected.truncated).toBe(false);
    });
  });

  describe('refusals', () => {
    it.each([
      ['0', 'too small'],
      ['366', 'too large'],
      ['1.5', 'not whole'],
      ['abc', 'not a number'],
      ['', 'empty'],
      ['1e9', 'huge'],
      ['-3', 'negative'],
    ])('answers 400 naming withinDays for %j (%s)', async (value) => {
      const res = await api
        .as(sam.token)
        .get(`/v1/me/work?withinDays=${encodeURIComponent(value)}`)
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: 'withinDays', message: expect.stringContaining('1 to 365') }),
      ]);
      expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules/);
    });

    it('answers 400 for a repeated or unknown parameter', async () => {
      const repeated = await api.as(sam.token).get('/v1/me/work?withinDays=3&withinDays=4').expect(400);
      expect(repeated.body.errors.map((e: { field: string }) => e.field)).toContain('withinDays');
      const unknown = await api.as(sam.token).get('/v1/me/work?teamId=x').expect(400);
      expect(JSON.stringify(unknown.body.errors)).toContain('teamId');
    });

    it('answers 401 without a token, or with a bad one', async () => {
      await api.http.get('/v1/me/work').expect(401);
      await api.as('not-a-real-token').get('/v1/me/work').expect(401);
    });
  });

  // Last: its new policy version voids the evaluations the blocks above wait on.
  describe('a gate that needs an identity-provider session', () => {
    let evaluationId: string;

    beforeAll(async () => {
      await api.admin.post('/v1/gate-policies', policy({ count: 1, via: 'oidc' })).expect(201);
      const oidc = given('Needs <oidc> helper');
      const id = await givenUseCaseAt(api, 'proposed', oidc);
      await givenEvidenceFor(api, id, 'test', oidc);
      evaluationId = (await givenPassingEvaluation(api, id, 'test', oidc)).id;
    }, 180_000);

    it('still lists the evaluation to a reviewer signed in with a token, saying how to decide', async () => {
      const item = (await work(rita)).awaitingMyDecision.items.find((i) => i.evaluationId === evaluationId);
      expect(item?.note).toBe('Sign in through your identity provider to decide.');
      // The note is true: with the token, the decision is refused.
      const evaluation = (await api.as(rita.token).get(`/v1/gate-evaluations/${evaluationId}`).expect(200))
        .body as { hash: string };
      const refused = await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${evaluationId}/approvals`, {
          decision: 'approve',
          reason: 'Evidence checked',
          evaluationHash: evaluation.hash,
        })
        .expect(403);
      expect(refused.body.rule).toBe('approver_not_signed_in_via_oidc');
      // Those the other rules rule out are still not shown it.
      for (const user of [rex, sel]) {
        const ids = (await work(user)).awaitingMyDecision.items.map((i) => i.evaluationId);
        expect(ids).not.toContain(evaluationId);
      }
    });
  });
});
