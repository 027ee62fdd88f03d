import { EvaluationRunEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  insertEmptySuite,
  type OpenAiStub,
  runRow,
  startOpenAiStub,
} from '@gatehouse/testing';
import request from 'supertest';
import {
  givenEvidenceFor,
  givenPassingEvaluation,
  givenStubSuite,
  givenUseCaseAt,
  suitePassedPolicy,
  type UseCaseGiven,
} from './support/givens';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

jest.setTimeout(180_000);

const DAY = 86_400_000;

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

/** The /work page as a signed-in browser gets it, 200 expected. */
async function workPage(web: WebClient, query = ''): Promise<request.Response> {
  const page = await web.get(`/work${query}`);
  if (page.status !== 200) {
    throw new Error(`expected 200, got ${page.status}: ${textOf(page.text ?? '').slice(0, 1000)}`);
  }
  return page;
}

/**
 * The "Waiting for me" page: the same lists as GET /v1/me/work, as GOV.UK tables with links, empty
 * states that say what will show up, and sign-in first.
 */
describeIntegration('the "Waiting for me" page', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser; // service team, Benefits
  let eve: TestUser; // engineer, Benefits
  let hank: TestUser; // service team, Housing
  let rita: TestUser; // reviewer, Assurance
  let rob: TestUser; // reviewer, Assurance
  let pendingId: string;
  let pendingUseCase: string;
  let rejectedId: string;
  let failedRun: string;
  let liveUseCase: string;

  const given = (name: string): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rob] },
    suite: 'work-page@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    record: { ...lowRiskRecord(), name },
  });

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_ITEM_CONCURRENCY: '4' });
    const uow = api.app.get(UnitOfWork);
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    hank = await api.user('Hank', ['service_team'], 'Housing');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    rob = await api.user('Rob', ['reviewer'], 'Assurance');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('work-page')).expect(201);
    await givenStubSuite(api, eve, 'work-page', { items: 8, idPrefix: 'p-', concurrency: 4 });

    // A use case at test whose evidence is 25 days old (5 days left), and one waiting for a decision.
    liveUseCase = await givenUseCaseAt(api, 'test', given('Live <letters> helper'));
    await uow.write((tx) =>
      managerOf(tx).update(
        EvaluationRunEntity,
        { aiUseCaseId: liveUseCase },
        { completedAt: new Date(Date.now() - 25 * DAY) },
      ),
    );
    pendingUseCase = await givenUseCaseAt(api, 'proposed', given('Pending <letters> helper'));
    await givenEvidenceFor(api, pendingUseCase, 'test', given('Pending'));
    pendingId = (await givenPassingEvaluation(api, pendingUseCase, 'test', given('Pending'))).id;

    // A failing evaluation Rita rejects, and a failed run, of Benefits.
    const rejectedUseCase = (
      await api
        .as(sam.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: 'Rejected drafting' } })
        .expect(201)
    ).body.id as string;
    const failing = (
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${rejectedUseCase}/gate-evaluations`, { to: 'test' })
        .expect(201)
    ).body as { id: string; hash: string };
    rejectedId = failing.id;
    await api
      .as(rita.token)
      .post(`/v1/gate-evaluations/${failing.id}/approvals`, {
        decision: 'reject',
        reason: 'No <target> registered yet',
        evaluationHash: failing.hash,
      })
      .expect(201);
    const suiteId = await insertEmptySuite(uow, 'work-page-broken');
    const run = runRow(suiteId, {
      aiUseCaseId: rejectedUseCase,
      status: 'failed',
      error: 'the target could not be built',
      updatedAt: new Date(Date.now() - DAY),
    });
    await uow.write((tx) => managerOf(tx).insert(EvaluationRunEntity, run));
    failedRun = run.id;
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('shows a reviewer the evaluation waiting for them, linked to the page where they decide', async () => {
    const page = await workPage(await signIn(api, rita.token));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    const text = textOf(page.text);
    expect(text).toContain('Waiting for me');
    expect(text).toContain('Evaluations waiting for your decision (1)');
    expect(page.text).toContain(`href="/gate-evaluations/${pendingId}"`);
    expect(page.text).toContain('Pending &lt;letters&gt; helper');
    expect(page.text).not.toContain('Pending <letters>');
    expect(text).toMatch(/Proposed to test\s+Low\s+0 of 1/);
    // The navigation leads here, marked as the current page.
    expect(page.text).toMatch(/<a class="govuk-service-navigation__link" href="\/work" aria-current="true">/);
  });

  it('shows the evidence going stale with its days left, and a window the reader chooses', async () => {
    const web = await signIn(api, sam.token);
    const page = await workPage(web);
    const text = textOf(page.text);
    expect(text).toContain('Evidence going stale within 14 days (1)');
    expect(page.text).toContain(`href="/ai-use-cases/${liveUseCase}"`);
    expect(text).toMatch(/Live <letters> helper Benefits Test work-page run \(at most 30 days old\) .* 4 /);
    const narrow = await workPage(web, '?withinDays=3');
    expect(textOf(narrow.text)).toContain('No evidence goes stale within 3 days.');
    expect(narrow.text).not.toContain(`href="/ai-use-cases/${liveUseCase}"`);
  });

  it("shows the team its rejected evaluation with the reviewer's reason, and its failed run", async () => {
    const page = await workPage(await signIn(api, sam.token));
    const text = textOf(page.text);
    expect(text).toContain('Benefits: rejected evaluations (1)');
    expect(page.text).toContain(`href="/gate-evaluations/${rejectedId}"`);
    expect(text).toContain('Rita No <target> registered yet');
    expect(page.text).not.toContain('No <target>');
    expect(text).toContain('Benefits: failed runs (1)');
    expect(page.text).toContain(`href="/runs/${failedRun}"`);
    expect(text).toContain('the target could not be built');
    // A team member is no reviewer: no queue of decisions on their page.
    expect(text).not.toContain('Evaluations waiting for your decision');
  });

  it("says what will show up where nothing waits, and shows nothing of another team's", async () => {
    const page = await workPage(await signIn(api, hank.token));
    const text = textOf(page.text);
    expect(text).toContain('Housing: rejected evaluations (0)');
    expect(text).toContain('When a reviewer rejects one, it shows up here with their reason.');
    expect(text).toContain('A run that breaks, or whose thresholds fail, shows up here.');
    expect(text).toContain('(your team’s use cases only)');
    for (const id of [pendingId, rejectedId, failedRun, liveUseCase]) {
      expect(page.text).not.toContain(id);
    }
    // A reviewer in the owning team is shown nothing to decide, and told what would show up.
    const rex = await api.user('Rex', ['reviewer'], 'Benefits');
    const rexPage = await workPage(await signIn(api, rex.token));
    expect(textOf(rexPage.text)).toContain('Evaluations waiting for your decision (0)');
    expect(textOf(rexPage.text)).toContain('Nothing waits for your decision.');
    expect(rexPage.text).not.toContain(`href="/gate-evaluations/${pendingId}"`);
  });

  it('answers a bad window with 400 and an error that names the field', async () => {
    const web = await signIn(api, sam.token);
    for (const bad of ['0', '366', 'abc', '1.5', '99999999999999999999', '3&withinDays=4']) {
      const page = await web.get(`/work?withinDays=${bad}`);
      expect(page.status).toBe(400);
      const text = textOf(page.text);
      expect(text).toContain('There is a problem');
      expect(page.text).toContain('href="#withinDays"');
      expect(text).toContain('Enter a whole number of days from 1 to 365');
      expect(page.text).not.toMatch(/at \w+ \(|node_modules/);
    }
  });

  it('sends someone who is not signed in to sign in, and back here after', async () => {
    const res = await request(api.app.getHttpServer()).get('/work?withinDays=7');
    expect(res.status).toBe(303);
    expect(res.headers['location']).toBe(`/sign-in?next=${encodeURIComponent('/work?withinDays=7')}`);
  });
});
