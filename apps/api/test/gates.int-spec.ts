import { UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import {
  givenApproved,
  givenEvidenceFor,
  givenPassingEvaluation,
  givenTargetChangeApproved,
  givenUseCaseAt,
  type Stage,
  type UseCaseGiven,
} from './support/givens';
import { recordedRisks } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

/** 40 questions; the stub's answers decide the `correct` rate (see `answers`). */
const ITEMS = questionItems(40);

const suiteYaml = () =>
  stubSuiteYaml({
    name: 'yes-no',
    dataset: 'gate-questions@1',
    concurrency: 8,
    thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.5 }],
  });

/** A complete policy: the same rules for every tier; what differs is per target. */
function policy(extraTestRules: object[] = []) {
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) => [
    {
      tier,
      to: 'test',
      rules: [
        { kind: 'suite_passed', suite: 'yes-no', maxAgeDays: 30 },
        {
          kind: 'metric',
          suite: 'yes-no',
          metric: 'correct',
          stat: 'value',
          op: '>=',
          threshold: 0.5,
          minN: 20,
        },
        { kind: 'unscored_max', suite: 'yes-no', max: 0.1 },
        { kind: 'evidence', requirement: 'risks_recorded' },
        ...extraTestRules,
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    },
    {
      tier,
      to: 'learn',
      rules: [
        { kind: 'suite_passed', suite: 'yes-no', maxAgeDays: 30 },
        { kind: 'no_regression', suite: 'yes-no', metric: 'correct', alpha: 0.05 },
        { kind: 'approvals', count: 2, role: 'reviewer' },
      ],
    },
    {
      tier,
      to: 'scale',
      rules: [
        { kind: 'suite_passed', suite: 'yes-no', maxAgeDays: 30 },
        { kind: 'no_regression', suite: 'yes-no', metric: 'correct', alpha: 0.05 },
        {
          kind: 'pilot_metric',
          measure: 'override_rate',
          stat: 'upper95',
          op: '<=',
          threshold: 0.2,
          minCases: 50,
        },
        { kind: 'evidence', requirement: 'transparency_record_published' },
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    },
  ]);
  return { description: 'integration-test policy', gates };
}

interface RuleView {
  title: string;
  verdict: string;
  reason: string;
  rule: { kind: string };
}

describeIntegration('stage gates through the API', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  /** Share of questions the stub answers "yes" to (the rest "no"): the `correct` rate of a run. */
  let yesShare = 1;
  let sam: TestUser; // service team, owner
  let eve: TestUser; // engineer, owner's team
  let rita: TestUser; // reviewer, assurance
  let rob: TestUser; // reviewer, assurance
  let rex: TestUser; // reviewer inside the owning team
  let ada: TestUser; // admin, reviewer and engineer, outside the team
  /** The use case of the `describe` running now: each block's `beforeAll` gives its own, through the API. */
  let useCaseId: string;

  const refusals = async () => {
    const { body } = await api.admin.get('/v1/audit-events?action=gate.refused&limit=200').expect(200);
    return body.items as { after: { attempted: string; rule: string | null } }[];
  };

  /** What the givens need: who plays which part, the suite, the target the team registers. */
  const useCase = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita, rob] },
    suite: 'yes-no@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });

  /**
   * This file's policy in force (published once, by the policy test or by the first given that needs it) and
   * a new use case at `stage`, its runs scoring 0.9.
   */
  const given = async (stage: Stage): Promise<string> => {
    yesShare = 0.9;
    const policies = await api.as(sam.token).get('/v1/gate-policies').expect(200);
    const current = policies.body.find((p: { current: boolean }) => p.current);
    if (current?.document.description !== policy().description) {
      await api.admin.post('/v1/gate-policies', policy()).expect(201);
    }
    return givenUseCaseAt(api, stage, useCase());
  };

  const runSuite = async (token: string) => {
    const started = await api
      .as(token)
      .post('/v1/runs', { suite: 'yes-no@1', aiUseCaseId: useCaseId })
      .expect(202);
    const run = await api.waitForRun(started.body.id, token);
    expect(run.status).toBe('completed');
    return run as { id: string; target: Record<string, unknown> };
  };

  const evaluate = (to: string, token = sam.token) =>
    api.as(token).post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to });
  const auditEvents = async (): Promise<number> =>
    (await api.admin.get('/v1/audit-events?limit=1').expect(200)).body.total;
  const evaluationCount = async (): Promise<number> =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`).expect(200)).body.length;

  beforeAll(async () => {
    stub = await startOpenAiStub({
      respond: (body) => {
        const n = Number(/question (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1]);
        return n <= Math.round(yesShare * 40) ? 'yes' : 'no';
      },
    });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '8' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    rex = await api.user('Rex', ['reviewer'], 'Benefits');
    ada = await api.user('Ada', ['admin', 'reviewer', 'engineer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=gate-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', suiteYaml(), 'application/yaml').expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('gate policies', () => {
    it('seeds the default policy as version 1, and only admins publish new versions (refusals audited)', async () => {
      const seeded = await api.as(sam.token).get('/v1/gate-policies').expect(200);
      expect(seeded.body).toHaveLength(1);
      expect(seeded.body[0]).toMatchObject({ version: 1, current: true, createdBy: 'system' });
      expect(seeded.body[0].document.gates).toHaveLength(9);

      const byEngineer = await api.as(eve.token).post('/v1/gate-policies', policy()).expect(403);
      expect(byEngineer.body.rule).toBe('role_admin');
      const bad = policy();
      (bad.gates[0].rules[1] as { op: string }).op = '≈';
      const invalid = await api.admin.post('/v1/gate-policies', bad).expect(400);
      expect(invalid.body.errors[0].field).toBe('gates[0].rules[1].op');
      expect((await api.as(sam.token).get('/v1/gate-policies').expect(200)).body).toHaveLength(1);

      const created = await api.admin.post('/v1/gate-policies', policy()).expect(201);
      expect(created.body).toMatchObject({ version: 2, current: true });
      const versions = await api.as(rita.token).get('/v1/gate-policies').expect(200);
      expect(versions.body.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual(
        [
          [2, true],
          [1, false],
        ],
      );
      expect((await refusals()).map((r) => r.after.rule)).toEqual(
        expect.arrayContaining(['role_admin', null]),
      );
    });
  });

  describe('a proposed use case', () => {
    beforeAll(async () => {
      useCaseId = await given('proposed');
    });

    it('refuses unknown and skipped stages, and evaluations by anyone outside the owning team', async () => {
      const unknown = await evaluate('moon').expect(400);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
      const skipped = await evaluate('scale').expect(409);
      expect(skipped.body).toMatchObject({ rule: 'stage_order' });
      expect(skipped.body.detail).toContain('next gate leads to test');
      const outsider = await evaluate('test', rita.token).expect(403);
      expect(outsider.body.rule).toBe('gate_proposed_by_owning_team');
      expect((await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`)).body).toEqual(
        [],
      );
      const attempted = (await refusals()).map((r) => r.after.attempted);
      expect(attempted.filter((a) => a === 'gate.evaluate').length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('the gate to test, as evidence arrives', () => {
    beforeAll(async () => {
      useCaseId = await given('proposed');
    });

    it('fails with a reason per rule until the evidence is there, then passes with a stable hash', async () => {
      const noTarget = await evaluate('test').expect(201);
      expect(noTarget.body.verdict).toBe('fail');
      const suiteRule = noTarget.body.rules.find((r: RuleView) => r.rule.kind === 'suite_passed');
      expect(suiteRule).toMatchObject({
        verdict: 'missing',
        reason: expect.stringContaining('no registered target'),
      });
      expect(noTarget.body.rules.find((r: RuleView) => r.rule.kind === 'evidence')).toMatchObject({
        verdict: 'missing',
        reason: 'no risks recorded',
      });
      // A failing evaluation promotes nothing, and the refusal changes nothing.
      const onFailing = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: noTarget.body.id })
        .expect(409);
      expect(onFailing.body.rule).toBe('evaluation_passed');
      const unchanged = await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
      expect(unchanged.body).toMatchObject({ stage: 'proposed', revision: 1 });
      expect((await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/stage-changes`)).body).toEqual([]);

      // The team registers its target: the suite's own model; runs for the use case now call it.
      const target = { type: 'openai', model: 'stub-model', connection: 'stub' };
      const registered = await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, { target })
        .expect(200);
      expect(registered.body.target.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(registered.body.underChangeSince).toBeNull();
      const badTarget = await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, {
          target: { type: 'openai', model: 'x', baseUrl: 'nope' },
        })
        .expect(400);
      expect(badTarget.body.errors[0].field).toBe('target.baseUrl');

      yesShare = 0.4; // below the 0.5 threshold
      await runSuite(eve.token);
      const lowScore = await evaluate('test').expect(201);
      const metric = lowScore.body.rules.find((r: RuleView) => r.rule.kind === 'metric');
      expect(metric).toMatchObject({ verdict: 'fail', actual: 0.4 });
      expect(metric.reason).toContain('correct value is 0.4, failing >= 0.5 (n=40)');

      yesShare = 0.9;
      const run = await runSuite(eve.token);
      expect(run.target).toMatchObject(target);
      await api
        .as(sam.token)
        .patch(`/v1/ai-use-cases/${useCaseId}`, { changes: { risks: recordedRisks() } })
        .expect(200);
      const passing = await evaluate('test').expect(201);
      expect(passing.body.rules.map((r: RuleView) => r.verdict)).toEqual(['pass', 'pass', 'pass', 'pass']);
      expect(passing.body).toMatchObject({
        verdict: 'pass',
        kind: 'promotion',
        from: 'proposed',
        to: 'test',
        policy: { version: 2 },
        approvals: { required: 1, state: 'pending', decisions: [] },
        standing: { current: true, voidedBecause: null },
        promotable: false,
      });
      expect(passing.body.runsUsed).toEqual([expect.objectContaining({ id: run.id, startedBy: eve.id })]);

      // The same inputs give the same hash: asking again answers 200 with the standing evaluation, as stored.
      const events = await auditEvents();
      const again = await evaluate('test').expect(200);
      expect(again.body).toEqual(passing.body);
      expect(await auditEvents()).toBe(events);
      // The earlier, failing evaluation is superseded by the passing one.
      const older = await api.as(rita.token).get(`/v1/gate-evaluations/${lowScore.body.id}`).expect(200);
      expect(older.body.standing).toMatchObject({ current: false });
      expect(older.body.standing.voidedBecause).toContain('a newer evaluation supersedes it');

      // Re-derived from the stored rows alone, it comes out the same.
      const verified = await api
        .as(rita.token)
        .get(`/v1/gate-evaluations/${again.body.id}/verification`)
        .expect(200);
      expect(verified.body).toEqual({
        id: again.body.id,
        hash: again.body.hash,
        rederivedHash: again.body.hash,
        matches: true,
        differences: [],
      });
    });
  });

  describe('approvals', () => {
    beforeAll(async () => {
      // A passing evaluation to test, waiting for a reviewer, and the failing one it superseded.
      useCaseId = await given('proposed');
      await evaluate('test').expect(201);
      await givenEvidenceFor(api, useCaseId, 'test', useCase());
      await givenPassingEvaluation(api, useCaseId, 'test', useCase());
    });

    it('lets only independent reviewers decide, once each, on the current evaluation, with a reason', async () => {
      const [latest] = (
        await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`).expect(200)
      ).body;
      const approve = (token: string, body: object = {}) =>
        api.as(token).post(`/v1/gate-evaluations/${latest.id}/approvals`, {
          decision: 'approve',
          reason: 'Checked the run',
          ...body,
        });

      expect((await approve(sam.token).expect(403)).body.rule).toBe('approver_needs_reviewer_role');
      expect((await approve(rex.token).expect(403)).body.rule).toBe('approver_in_owning_team');
      expect((await approve(rita.token, { reason: '' }).expect(400)).body.errors[0].field).toBe('reason');
      expect((await approve(rita.token, { evaluationHash: '0'.repeat(64) }).expect(409)).body.rule).toBe(
        'signed_hash_matches',
      );
      const [superseded] = (
        await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`)
      ).body.slice(1);
      const onOld = await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${superseded.id}/approvals`, { decision: 'approve', reason: 'ok then' })
        .expect(409);
      expect(onOld.body.rule).toBe('evaluation_current');

      const approved = await approve(rita.token, { evaluationHash: latest.hash }).expect(201);
      expect(approved.body.approvals).toMatchObject({
        required: 1,
        state: 'approved',
        decisions: [
          { approverId: rita.id, approverName: 'Rita', decision: 'approve', reason: 'Checked the run' },
        ],
      });
      expect(approved.body.promotable).toBe(true);
      expect((await approve(rita.token).expect(409)).body.rule).toBe('one_decision_per_reviewer');
      const rules = (await refusals()).map((r) => r.after.rule);
      expect(rules).toEqual(
        expect.arrayContaining([
          'approver_needs_reviewer_role',
          'approver_in_owning_team',
          'signed_hash_matches',
          'evaluation_current',
          'one_decision_per_reviewer',
        ]),
      );
    });
  });

  describe('promotion', () => {
    beforeAll(async () => {
      // A passing evaluation to test, approved: promotable.
      useCaseId = await given('proposed');
      await givenEvidenceFor(api, useCaseId, 'test', useCase());
      await givenApproved(api, await givenPassingEvaluation(api, useCaseId, 'test', useCase()), useCase());
    });

    it('promotes atomically: of two concurrent promotions exactly one wins', async () => {
      const [latest] = (await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`)).body;
      const byEngineer = await api
        .as(eve.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: latest.id })
        .expect(403);
      expect(byEngineer.body.rule).toBe('promotion_by_owning_service_team');
      const unknown = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, {
          evaluationId: '00000000-0000-4000-8000-000000000000',
        })
        .expect(400);
      expect(unknown.body.errors[0].field).toBe('evaluationId');

      const outcomes = await Promise.all(
        [1, 2].map(() =>
          api.as(sam.token).post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: latest.id }),
        ),
      );
      expect(outcomes.map((o) => o.status).sort()).toEqual([201, 409]);
      const won = outcomes.find((o) => o.status === 201);
      expect(won?.body.stageChange).toMatchObject({
        kind: 'promotion',
        from: 'proposed',
        to: 'test',
        evaluationId: latest.id,
      });
      expect(won?.body.aiUseCase.stage).toBe('test');
      const changes = await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/stage-changes`).expect(200);
      expect(changes.body).toHaveLength(1);
      const used = await api.as(sam.token).get(`/v1/gate-evaluations/${latest.id}`).expect(200);
      expect(used.body.standing.current).toBe(false);
      expect(used.body.stageChangeId).toBe(changes.body[0].id);
    });
  });

  describe('the standing evaluation, at test', () => {
    beforeAll(async () => {
      useCaseId = await given('test');
    });

    it('keeps the standing evaluation and its approvals while nothing changes; a new run or a record change voids them', async () => {
      const run = await runSuite(eve.token);
      const first = await evaluate('learn').expect(201);
      expect(first.body.verdict).toBe('pass');
      expect(first.body.rules.find((r: RuleView) => r.rule.kind === 'no_regression').reason).toContain(
        'changed by +0 against the approved run',
      );
      expect(first.body.runsUsed[0].id).toBe(run.id);
      await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${first.body.id}/approvals`, { decision: 'approve', reason: 'fine' })
        .expect(201);

      // A CI job checks the gate again with nothing changed: the same evaluation, Rita's approval intact,
      // nothing written (no evaluation, no audit event).
      const [events, evaluations] = [await auditEvents(), await evaluationCount()];
      const rechecked = await evaluate('learn').expect(200);
      expect(rechecked.body).toMatchObject({
        id: first.body.id,
        hash: first.body.hash,
        evaluatedAt: first.body.evaluatedAt,
        standing: { current: true, voidedBecause: null },
        approvals: {
          required: 2,
          state: 'pending',
          decisions: [{ approverId: rita.id, approverName: 'Rita', decision: 'approve', reason: 'fine' }],
        },
      });
      expect([await auditEvents(), await evaluationCount()]).toEqual([events, evaluations]);

      // A new run is new evidence: a new evaluation (one, however many ask at once), which supersedes the
      // approved one and starts with no approvals.
      await runSuite(eve.token);
      const [eventsAfterRun, evaluationsAfterRun] = [await auditEvents(), await evaluationCount()];
      const asked = await Promise.all([evaluate('learn'), evaluate('learn')]);
      expect(asked.map((r) => r.status).sort()).toEqual([200, 201]);
      const [afterRun, sameAgain] = asked[0].status === 201 ? asked : [asked[1], asked[0]];
      expect(sameAgain.body.id).toBe(afterRun.body.id);
      expect(afterRun.body.id).not.toBe(first.body.id);
      expect(afterRun.body.hash).not.toBe(first.body.hash);
      expect(afterRun.body.approvals).toMatchObject({ state: 'pending', decisions: [] });
      expect([await auditEvents(), await evaluationCount()]).toEqual([
        eventsAfterRun + 1,
        evaluationsAfterRun + 1,
      ]);
      const superseded = await api.as(sam.token).get(`/v1/gate-evaluations/${first.body.id}`).expect(200);
      expect(superseded.body.standing.voidedBecause).toBe('a newer evaluation supersedes it');
      expect(
        (
          await api
            .as(sam.token)
            .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: first.body.id })
            .expect(409)
        ).body.rule,
      ).toBe('evaluation_current');

      // A record change voids the current evaluation and the approval given on it.
      await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${afterRun.body.id}/approvals`, { decision: 'approve', reason: 'fine' })
        .expect(201);
      await api
        .as(sam.token)
        .patch(`/v1/ai-use-cases/${useCaseId}`, {
          changes: { summary: 'Drafts replies to routine enquiries; staff review every draft.' },
        })
        .expect(200);
      const voided = await api.as(sam.token).get(`/v1/gate-evaluations/${afterRun.body.id}`).expect(200);
      expect(voided.body.standing.voidedBecause).toMatch(/the use case changed since \(revision \d+ → \d+\)/);
      const refused = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: afterRun.body.id })
        .expect(409);
      expect(refused.body.rule).toBe('evaluation_current');

      const second = await evaluate('learn').expect(201);
      expect(second.body.approvals.decisions).toEqual([]);
      await api
        .as(rob.token)
        .post(`/v1/gate-evaluations/${second.body.id}/approvals`, {
          decision: 'reject',
          reason: 'The pilot plan names no exit criteria.',
        })
        .expect(201);
      const seenByTeam = await api.as(sam.token).get(`/v1/gate-evaluations/${second.body.id}`).expect(200);
      expect(seenByTeam.body.approvals).toMatchObject({
        state: 'rejected',
        decisions: [
          { approverName: 'Rob', decision: 'reject', reason: 'The pilot plan names no exit criteria.' },
        ],
      });
      const afterReject = await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${second.body.id}/approvals`, {
          decision: 'approve',
          reason: 'looks fine',
        })
        .expect(409);
      expect(afterReject.body.rule).toBe('evaluation_not_rejected');
      // A rejection stands too until something changes: checking again shows it.
      const stillRejected = await evaluate('learn').expect(200);
      expect(stillRejected.body).toMatchObject({ id: second.body.id, approvals: { state: 'rejected' } });

      await api
        .as(sam.token)
        .patch(`/v1/ai-use-cases/${useCaseId}`, {
          changes: {
            summary:
              'Drafts replies to routine enquiries; staff review every draft. The pilot ends after 12 weeks.',
          },
        })
        .expect(200);
      const third = await evaluate('learn').expect(201);
      for (const reviewer of [rita, rob]) {
        const one = await api
          .as(sam.token)
          .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: third.body.id })
          .expect(409);
        expect(one.body.rule).toBe('evaluation_approved');
        await api
          .as(reviewer.token)
          .post(`/v1/gate-evaluations/${third.body.id}/approvals`, {
            decision: 'approve',
            reason: 'Exit criteria added',
          })
          .expect(201);
      }
      const promoted = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: third.body.id })
        .expect(201);
      expect(promoted.body.aiUseCase.stage).toBe('learn');
    });
  });

  describe('the gate to scale, at learn', () => {
    beforeAll(async () => {
      useCaseId = await given('learn');
    });

    it('gates scale on pilot evidence and the published record; the public register needs no sign-in', async () => {
      const early = await evaluate('scale').expect(201);
      expect(early.body.verdict).toBe('fail');
      expect(early.body.rules.find((r: RuleView) => r.rule.kind === 'pilot_metric').verdict).toBe('missing');
      expect(early.body.rules.find((r: RuleView) => r.rule.kind === 'evidence').reason).toBe(
        'publish the transparency record first',
      );

      const tooMany = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/pilot-observations`, {
          periodStart: '2026-10-01',
          periodEnd: '2026-10-31',
          cases: 10,
          overrides: 11,
          undone: 0,
          complaints: 0,
          incidents: 0,
        })
        .expect(400);
      expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'overrides' })]);
      expect((await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}/pilot-observations`)).body).toEqual(
        [],
      );
      const recorded = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/pilot-observations`, {
          periodStart: '2026-10-01',
          periodEnd: '2026-10-31',
          cases: 400,
          overrides: 12,
          undone: 1,
          complaints: 0,
          incidents: 0,
          positiveFeedback: 30,
        })
        .expect(201);
      expect(recorded.body).toMatchObject({ cases: 400, overrides: 12, negativeFeedback: 0 });

      expect((await api.http.get(`/public/transparency-records/${useCaseId}`)).status).toBe(404);
      const published = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/transparency-record`, { redactions: ['tier2.data.sources'] })
        .expect(201);
      expect(published.body.record.metadata).toMatchObject({
        stage: 'learn',
        redactedFields: ['tier2.data.sources'],
      });

      const ready = await evaluate('scale').expect(201);
      expect(ready.body.verdict).toBe('pass');
      expect(ready.body.rules.find((r: RuleView) => r.rule.kind === 'pilot_metric').reason).toContain(
        '12 of 400 cases',
      );
      await api
        .as(ada.token)
        .post(`/v1/gate-evaluations/${ready.body.id}/approvals`, {
          decision: 'approve',
          reason: 'Pilot data checked',
        })
        .expect(201);
      expect((await evaluate('scale').expect(200)).body.approvals.state).toBe('approved');
      // An earlier month of pilot data, recorded late, is new evidence: a new evaluation, and Ada's approval no longer counts.
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/pilot-observations`, {
          periodStart: '2026-09-01',
          periodEnd: '2026-09-30',
          cases: 300,
          overrides: 6,
          undone: 0,
          complaints: 0,
          incidents: 0,
        })
        .expect(201);
      const withSeptember = await evaluate('scale').expect(201);
      expect(withSeptember.body).toMatchObject({
        verdict: 'pass',
        approvals: { state: 'pending', decisions: [] },
      });
      expect(withSeptember.body.rules.find((r: RuleView) => r.rule.kind === 'pilot_metric').reason).toContain(
        '18 of 700 cases',
      );
      // Evidence recorded while an evaluation is between judging and writing makes it judge again: a slower
      // request must not record an evaluation of older evidence as the latest.
      const pilotMonth = (month: string, cases: number, overrides: number) =>
        api
          .as(sam.token)
          .post(`/v1/ai-use-cases/${useCaseId}/pilot-observations`, {
            periodStart: `2026-${month}-01`,
            periodEnd: `2026-${month}-28`,
            cases,
            overrides,
            undone: 0,
            complaints: 0,
            incidents: 0,
          })
          .expect(201);
      await pilotMonth('08', 100, 2);
      const uow = api.app.get(UnitOfWork);
      const write = uow.write.bind(uow);
      let injected = false;
      const spy = jest.spyOn(uow, 'write').mockImplementation(async (work) => {
        if (!injected) {
          injected = true; // the evaluation has judged August in; July arrives before it writes
          await pilotMonth('07', 100, 1);
        }
        return write(work);
      });
      let latest;
      try {
        latest = await evaluate('scale').expect(201);
      } finally {
        spy.mockRestore();
      }
      expect(injected).toBe(true);
      expect(latest.body.rules.find((r: RuleView) => r.rule.kind === 'pilot_metric').reason).toContain(
        '21 of 900 cases',
      );
      expect((await evaluate('scale').expect(200)).body.id).toBe(latest.body.id);
      const stale = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: ready.body.id })
        .expect(409);
      expect(stale.body.rule).toBe('evaluation_current');
      await api
        .as(ada.token)
        .post(`/v1/gate-evaluations/${latest.body.id}/approvals`, {
          decision: 'approve',
          reason: 'Pilot data checked, July to October',
        })
        .expect(201);
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: latest.body.id })
        .expect(201);

      const json = await api.http.get(`/public/transparency-records/${useCaseId}`).expect(200);
      expect(json.body.metadata).toMatchObject({ stage: 'scale', phase: 'production' });
      expect(json.body.tier2.data.sources).toMatchObject({ redacted: true });
      const html = await api.http
        .get(`/public/transparency-records/${useCaseId}`)
        .set('Accept', 'text/html,application/xhtml+xml')
        .expect(200);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      expect(html.text).toMatch(/<h1[\s>]/);
      expect(html.text).toContain('Withheld:');
      const register = await api.http.get('/public/transparency-records').expect(200);
      expect(register.body.items).toEqual([expect.objectContaining({ id: useCaseId, stage: 'scale' })]);
    });
  });

  describe('a target change at scale', () => {
    beforeAll(async () => {
      useCaseId = await given('scale');
    });

    it('re-opens the gate when the target changes at scale, and a reviewer who started a run cannot approve', async () => {
      const target = { type: 'openai', model: 'stub-model-2', connection: 'stub' };
      const changed = await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, { target, reason: 'new model version' })
        .expect(200);
      expect(changed.body.underChangeSince).not.toBeNull();
      const stale = await evaluate('scale').expect(201);
      expect(stale.body.kind).toBe('reapproval');
      expect(stale.body.rules.find((r: RuleView) => r.rule.kind === 'suite_passed').reason).toContain(
        'none against the registered target',
      );

      yesShare = 0.5; // a clear drop from 0.9 on the same items
      await runSuite(ada.token);
      const regressed = await evaluate('scale').expect(201);
      const rule = regressed.body.rules.find((r: RuleView) => r.rule.kind === 'no_regression');
      expect(rule.verdict).toBe('fail');
      expect(rule.reason).toContain('a significant drop at alpha 0.05');
      expect(regressed.body.runsUsed[0].startedBy).toBe(ada.id);
      const selfApproval = await api
        .as(ada.token)
        .post(`/v1/gate-evaluations/${regressed.body.id}/approvals`, {
          decision: 'reject',
          reason: 'regressed',
        })
        .expect(403);
      expect(selfApproval.body.rule).toBe('approver_started_evidence_run');
      const failing = await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${regressed.body.id}/approvals`, {
          decision: 'approve',
          reason: 'ship it',
        })
        .expect(409);
      expect(failing.body.rule).toBe('evaluation_passed');

      yesShare = 0.9;
      await runSuite(eve.token);
      const fixed = await evaluate('scale').expect(201);
      expect(fixed.body.verdict).toBe('pass');
      await api
        .as(rita.token)
        .post(`/v1/gate-evaluations/${fixed.body.id}/approvals`, {
          decision: 'approve',
          reason: 'No regression',
        })
        .expect(201);
      const reapproved = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: fixed.body.id })
        .expect(201);
      expect(reapproved.body.stageChange).toMatchObject({ kind: 'reapproval', from: 'scale', to: 'scale' });
      expect(reapproved.body.aiUseCase.underChangeSince).toBeNull();
    });
  });

  describe('leaving scale', () => {
    beforeAll(async () => {
      // At scale after a target change was re-approved: every kind of step is in its audit trail.
      useCaseId = await given('scale');
      await givenTargetChangeApproved(
        api,
        useCaseId,
        'scale',
        { type: 'openai', model: 'stub-model-2', connection: 'stub' },
        useCase(),
      );
    });

    it('demotes and retires only with a reason, and the audit chain verifies', async () => {
      const noReason = await api
        .as(rita.token)
        .post(`/v1/ai-use-cases/${useCaseId}/stage-changes`, { to: 'learn', reason: '' })
        .expect(400);
      expect(noReason.body.errors[0].field).toBe('reason');
      const forward = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/stage-changes`, { to: 'scale', reason: 'why not' })
        .expect(409);
      expect(forward.body.rule).toBe('forward_only_through_gate');
      const demoted = await api
        .as(rita.token)
        .post(`/v1/ai-use-cases/${useCaseId}/stage-changes`, {
          to: 'learn',
          reason: 'Complaints rose in November',
        })
        .expect(201);
      expect(demoted.body.stageChange).toMatchObject({ kind: 'demotion', from: 'scale', to: 'learn' });
      const record = await api.http.get(`/public/transparency-records/${useCaseId}`).expect(200);
      expect(record.body.metadata.stage).toBe('learn');
      const retired = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/stage-changes`, { to: 'retired', reason: 'Service closed' })
        .expect(201);
      expect(retired.body.aiUseCase.stage).toBe('retired');
      expect((await evaluate('learn').expect(409)).body.rule).toBe('retired_is_final');

      const chain = await api.admin.get('/v1/audit-events/verify').expect(200);
      expect(chain.body.ok).toBe(true);
      const actions = (
        await api.admin.get(`/v1/audit-events?subjectId=${useCaseId}&limit=200`)
      ).body.items.map((e: { action: string }) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'gate.evaluated',
          'ai_use_case.promoted',
          'ai_use_case.change_approved',
          'ai_use_case.target_registered',
          'pilot.observation_recorded',
          'transparency.published',
          'transparency.refreshed',
          'ai_use_case.demoted',
          'ai_use_case.retired',
        ]),
      );
    });
  });
});
