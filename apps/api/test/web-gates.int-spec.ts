import type request from 'supertest';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import {
  type EvaluationView,
  givenApproved,
  givenEvidenceFor,
  givenPassingEvaluation,
  givenUseCaseAt,
  type Stage,
  type UseCaseGiven,
} from './support/givens';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

const ITEMS = questionItems(20, { idPrefix: 'g-' });

const suiteYaml = () => stubSuiteYaml({ name: 'web-gate', dataset: 'web-gate-questions@1', concurrency: 4 });

/** A complete policy: to `test`, the suite must pass with `correct` >= 0.5 on 20 items, and one reviewer. */
const policy = () => ({
  description: 'web gate pages test policy',
  gates: (['low', 'medium', 'high'] as const).flatMap((tier) =>
    (['test', 'learn', 'scale'] as const).map((to) => ({
      tier,
      to,
      rules: [
        { kind: 'suite_passed', suite: 'web-gate', maxAgeDays: 30 },
        ...(to === 'test'
          ? [
              {
                kind: 'metric',
                suite: 'web-gate',
                metric: 'correct',
                stat: 'value',
                op: '>=',
                threshold: 0.5,
                minN: 20,
              },
            ]
          : []),
        { kind: 'approvals', count: 1, role: 'reviewer' },
      ],
    })),
  ),
});

/** Awaits a page and checks its status, showing the page when it is not the expected one. */
async function status(response: Promise<request.Response>, expected: number): Promise<request.Response> {
  const res = await response;
  if (res.status !== expected) {
    throw new Error(`expected ${expected}, got ${res.status}: ${textOf(res.text ?? '').slice(0, 2000)}`);
  }
  return res;
}

/** The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describeIntegration('the gate pages and the public register', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser; // service team, owner
  let eve: TestUser; // engineer, owner's team
  let rita: TestUser; // reviewer, assurance
  let rob: TestUser; // reviewer, assurance
  let rex: TestUser; // reviewer inside the owning team
  let samWeb: WebClient;
  let ritaWeb: WebClient;
  /** The use case of the `describe` running now, and its evaluations: each block gives its own. */
  let useCaseId: string;
  let failingId: string;
  let passing: EvaluationView;

  const decisions = async (id: string) =>
    (await api.as(sam.token).get(`/v1/gate-evaluations/${id}`).expect(200)).body.approvals.decisions as {
      approverName: string;
      decision: string;
      reason: string;
    }[];

  const useCase = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita, rob] },
    suite: 'web-gate@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    record: { ...lowRiskRecord(), name: 'Letter <drafting> helper' },
  });
  const given = (stage: Stage) => givenUseCaseAt(api, stage, useCase());
  /** A new proposed use case and its first evaluation to test, failing: no target yet, so no run. */
  const givenFailingEvaluation = async () => {
    useCaseId = await given('proposed');
    failingId = (
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' })
        .expect(201)
    ).body.id;
  };
  /** A new proposed use case with the evidence for test and a passing evaluation, `approved` or not yet. */
  const givenPassingEvaluationToTest = async ({ approved = false } = {}) => {
    useCaseId = await given('proposed');
    await givenEvidenceFor(api, useCaseId, 'test', useCase());
    passing = await givenPassingEvaluation(api, useCaseId, 'test', useCase());
    if (approved) {
      await givenApproved(api, passing, useCase());
    }
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '4' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    rex = await api.user('Rex', ['reviewer'], 'Benefits');
    await api.admin.post('/v1/gate-policies', policy()).expect(201);
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=web-gate-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', suiteYaml(), 'application/yaml').expect(201);
    samWeb = await signIn(api, sam.token);
    ritaWeb = await signIn(api, rita.token);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('a failing evaluation', () => {
    beforeAll(() => givenFailingEvaluation());

    it('offers only rejection on a failing evaluation, and shows the rejection and its reason to the team', async () => {
      const robWeb = await signIn(api, rob.token);
      const robPage = await status(robWeb.get(`/gate-evaluations/${failingId}`), 200);
      expect(robPage.text).toContain('value="reject"');
      expect(robPage.text).not.toContain('value="approve"');
      expect(textOf(robPage.text)).toContain('you can reject it, not approve it');
      const hash = /name="evaluationHash" value="([0-9a-f]{64})"/.exec(robPage.text)?.[1] ?? '';
      await status(
        robWeb.post(`/gate-evaluations/${failingId}/decisions`, {
          decision: 'reject',
          reason: 'No evidence <yet>: register the target first',
          evaluationHash: hash,
        }),
        303,
      );

      const failing = await status(samWeb.get(`/gate-evaluations/${failingId}`), 200);
      const failingText = textOf(failing.text);
      expect(failingText).toMatch(/Missing [^]*no registered target/);
      expect(failingText).toContain('2 of 2 rules do not pass.');
      expect(failingText).toContain(
        'Rob rejected this evaluation: “No evidence <yet>: register the target first”',
      );
      expect(failing.text).not.toContain('No evidence <yet>');
      expect(failing.text).not.toContain('name="decision"');
    });
  });

  describe('a passing evaluation after the evidence arrives', () => {
    beforeAll(() => givenFailingEvaluation());

    it('shows each rule with its result as text, its reason, its number and its run; the hash; whether it counts', async () => {
      await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${useCaseId}/target`, {
          target: { type: 'openai', model: 'stub-model', connection: 'stub' },
        })
        .expect(200);
      const started = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'web-gate@1', aiUseCaseId: useCaseId })
        .expect(202);
      const run = await api.waitForRun(started.body.id, eve.token);
      expect(run.status).toBe('completed');
      passing = (
        await api
          .as(sam.token)
          .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' })
          .expect(201)
      ).body;
      expect(passing.rules.map((r) => r.verdict)).toEqual(['pass', 'pass']);

      const page = await status(ritaWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.text).not.toMatch(/\sstyle=|\son[a-z]+=/i);
      const text = textOf(page.text);
      expect(text).toContain('Gate from proposed to test');
      expect(page.text).toContain(`href="/ai-use-cases/${useCaseId}"`);
      expect(page.text).toContain('Letter &lt;drafting&gt; helper');
      expect(text).toContain('Version 2');
      for (const rule of passing.rules) {
        expect(text).toContain(rule.title);
        expect(text).toContain(rule.reason);
        expect(page.text).toContain(`href="/runs/${rule.runId}"`);
      }
      expect(text).toMatch(/Pass All 2 rules pass/);
      expect(page.text).toContain(`<span class="gh-hash" id="evaluation-hash">${passing.hash}</span>`);
      expect(page.text).not.toContain('no longer counts');

      // The first evaluation no longer counts, and says why.
      const failing = await status(samWeb.get(`/gate-evaluations/${failingId}`), 200);
      expect(textOf(failing.text)).toContain(
        'This evaluation no longer counts: a newer evaluation supersedes it',
      );
    });
  });

  describe('deciding on a passing evaluation', () => {
    beforeEach(() => givenPassingEvaluationToTest());

    it('refuses a decision without a reason: 400, the error summary and the inline error, nothing stored', async () => {
      const page = await status(ritaWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(page.text).toContain('name="decision"');
      expect(page.text).toContain(`name="evaluationHash" value="${passing.hash}"`);
      const refused = await status(
        ritaWeb.post(`/gate-evaluations/${passing.id}/decisions`, {
          decision: 'approve',
          reason: '   ',
          evaluationHash: passing.hash,
        }),
        400,
      );
      expect(refused.text).toContain('govuk-error-summary');
      expect(refused.text).toContain('<title>Error: ');
      expect(refused.text).toContain('href="#reason"');
      expect(refused.text).toMatch(/id="reason-error"[^]*Enter a reason/);
      expect(refused.text).toMatch(/value="approve" checked/);
      expect(await decisions(passing.id)).toEqual([]);
    });

    it('explains to a reviewer in the owning team why they cannot decide, and refuses a forged form the same way', async () => {
      const rexWeb = await signIn(api, rex.token);
      const page = await status(rexWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(page.text).not.toContain('name="decision"');
      expect(textOf(page.text)).toContain(
        'You are in Benefits, the team that owns this AI use case. Its gates must be decided by a reviewer from outside the team',
      );
      const forged = await status(
        rexWeb.post(`/gate-evaluations/${passing.id}/decisions`, {
          decision: 'approve',
          reason: 'Looks fine to me',
          evaluationHash: passing.hash,
        }),
        403,
      );
      expect(forged.text).toContain('govuk-error-summary');
      expect(forged.text).toContain('Gate from proposed to test');
      expect(textOf(forged.text)).toContain('You are in Benefits, the team that owns this AI use case.');
      expect(forged.text).toContain('approver_in_owning_team');
      expect(await decisions(passing.id)).toEqual([]);

      // The owning team sees no decision form at all, and no promotion while approvals are missing.
      const samPage = await status(samWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(samPage.text).not.toContain('name="decision"');
      expect(samPage.text).not.toContain('/promotion"');
      expect(textOf(samPage.text)).toContain(
        'Not yet: The evaluation has 0 of the 1 independent approvals it needs.',
      );
    });

    it('refuses a POST without the CSRF token', async () => {
      const forged = await ritaWeb.agent
        .post(`/gate-evaluations/${passing.id}/decisions`)
        .type('form')
        .send({ decision: 'approve', reason: 'Checked', evaluationHash: passing.hash })
        .expect(403);
      expect(forged.text).toContain('did not come from Gatehouse');
      expect(await decisions(passing.id)).toEqual([]);
    });

    it('records an independent approval with its reason, once', async () => {
      const approved = await status(
        ritaWeb.post(`/gate-evaluations/${passing.id}/decisions`, {
          decision: 'approve',
          reason: 'Read the run: 20 of 20 correct',
          evaluationHash: passing.hash,
        }),
        303,
      );
      expect(approved.headers.location).toBe(`/gate-evaluations/${passing.id}?decided=approve`);
      const page = await status(ritaWeb.get(approved.headers.location), 200);
      expect(page.text).toContain('govuk-notification-banner--success');
      const text = textOf(page.text);
      expect(text).toContain('You approved this evaluation.');
      expect(text).toMatch(/Rita \(you\) Approved Read the run: 20 of 20 correct/);
      expect(text).toContain('You approved this evaluation. Each reviewer decides once');
      expect(page.text).not.toContain('name="decision"');
      expect(await decisions(passing.id)).toEqual([
        expect.objectContaining({
          approverName: 'Rita',
          decision: 'approve',
          reason: 'Read the run: 20 of 20 correct',
        }),
      ]);
      // A second try (an old tab) is refused on the page, with the rule.
      const again = await status(
        ritaWeb.post(`/gate-evaluations/${passing.id}/decisions`, {
          decision: 'reject',
          reason: 'Changed my mind',
          evaluationHash: passing.hash,
        }),
        409,
      );
      expect(again.text).toContain('one_decision_per_reviewer');
      expect(await decisions(passing.id)).toHaveLength(1);
    });

    it('shows a missing or malformed evaluation as "page not found", and sends a stranger to sign in', async () => {
      await status(ritaWeb.get('/gate-evaluations/00000000-0000-4000-8000-000000000000'), 404);
      await status(ritaWeb.get('/gate-evaluations/nope'), 404);
      const stranger = await api.http.get(`/gate-evaluations/${passing.id}`).expect(303);
      expect(stranger.headers.location).toBe(
        `/sign-in?next=${encodeURIComponent(`/gate-evaluations/${passing.id}`)}`,
      );
    });
  });

  describe('promotion', () => {
    beforeAll(() => givenPassingEvaluationToTest({ approved: true }));

    it('lets the owning service team promote, and only them', async () => {
      const eveWeb = await signIn(api, eve.token);
      const evePage = await status(eveWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(evePage.text).not.toContain('/promotion"');
      const byEngineer = await status(eveWeb.post(`/gate-evaluations/${passing.id}/promotion`), 403);
      expect(textOf(byEngineer.text)).toContain('Only the service team that owns this AI use case');

      const page = await status(samWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(page.text).toContain(`action="/gate-evaluations/${passing.id}/promotion"`);
      expect(textOf(page.text)).toContain('Promote to test');
      const promoted = await status(samWeb.post(`/gate-evaluations/${passing.id}/promotion`), 303);
      expect(promoted.headers.location).toBe(`/ai-use-cases/${useCaseId}?promoted=test`);
      expect((await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200)).body.stage).toBe(
        'test',
      );

      const after = await status(samWeb.get(`/gate-evaluations/${passing.id}`), 200);
      expect(after.text).not.toContain(`action="/gate-evaluations/${passing.id}/promotion"`);
      expect(textOf(after.text)).toContain(
        'This evaluation no longer counts: the use case already went through the gate',
      );
      const twice = await status(samWeb.post(`/gate-evaluations/${passing.id}/promotion`), 409);
      expect(twice.text).toContain('evaluation_current');
    });
  });

  describe('the public register', () => {
    beforeAll(async () => {
      useCaseId = await given('test');
    });

    it('serves the public register and record as GOV.UK pages without a session, and JSON as before', async () => {
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/transparency-record`, { redactions: ['tier2.data.sources'] })
        .expect(201);
      const html = { Accept: 'text/html,application/xhtml+xml' };

      const register = await api.http.get('/public/transparency-records').set(html).expect(200);
      expect(register.headers['content-type']).toMatch(/^text\/html/);
      expect(register.headers['set-cookie']).toBeUndefined();
      expect(register.text).toContain('govuk-template');
      expect(register.text).not.toContain('Sign out');
      expect(register.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(register.text).toContain(`href="/public/transparency-records/${useCaseId}"`);
      expect(register.text).toContain('Letter &lt;drafting&gt; helper');

      const record = await api.http.get(`/public/transparency-records/${useCaseId}`).set(html).expect(200);
      expect(record.headers['last-modified']).toBeDefined();
      expect(record.text).toContain('<h1 class="govuk-heading-xl">Letter &lt;drafting&gt; helper</h1>');
      expect(record.text).toContain('govuk-summary-list');
      const text = textOf(record.text);
      expect(text).toContain('1. Owner and responsibility');
      expect(text).toMatch(/Withheld: /);
      expect(record.text).toContain('gh-record__withheld');
      expect(record.text).not.toContain('<drafting>');
      expect(record.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);

      const missing = await api.http
        .get('/public/transparency-records/00000000-0000-4000-8000-000000000000')
        .set(html)
        .expect(404);
      expect(missing.headers['content-type']).toMatch(/^text\/html/);
      expect(missing.text).toContain('Record not found');

      const json = await api.http.get('/public/transparency-records').expect(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(json.body).toMatchObject({
        total: 1,
        items: [expect.objectContaining({ id: useCaseId, stage: 'test' })],
      });
      const one = await api.http.get(`/public/transparency-records/${useCaseId}`).expect(200);
      expect(one.body.tier1.name).toBe('Letter <drafting> helper');
      expect(one.body.tier2.data.sources).toMatchObject({ redacted: true });
      await api.http.get('/public/transparency-records/00000000-0000-4000-8000-000000000000').expect(404);
    });
  });
});
