/// <reference lib="dom" />
import {
  reservePort,
  type NotifyServer,
  type OpenAiStub,
  startNotifyServer,
  startOpenAiStub,
  startTestOidcProvider,
  startWebhookReceiver,
  type TestOidcProvider,
  type WebhookReceiver,
} from '@gatehouse/testing';
import { describeBrowser, launchChromium } from '@gatehouse/testing/browser';
import { type Browser, type Page } from 'playwright-core';
import {
  accessibilityProblems,
  newPerson,
  type Person,
  step,
  tabAndType,
  tabTo,
} from './support/browser-journey';
import {
  givenEvidenceFor,
  givenPassingEvaluation,
  givenStubSuite,
  suitePassedPolicy,
  type UseCaseGiven,
} from './support/givens';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

const CLIENT_ID = 'gatehouse-journey';
const CLIENT_SECRET = 'journey-client-secret-0123456789';
const TEMPLATES = {
  approval: 'b0000000-0000-4000-8000-000000000001',
  promoted: 'b0000000-0000-4000-8000-000000000003',
};

/**
 * The gate every tier passes through in this journey: a passing run of the suite, and one approval from a
 * reviewer whose role someone else granted (here: the identity provider's group mapping) and who decided
 * in an identity-provider session (`via: oidc`), as a department would require in production.
 */
const POLICY = suitePassedPolicy('journey-qs', { reviewerRoleGrantedByOther: true, via: 'oidc' });

/**
 * Issue 13's journey in Chromium: an assurance reviewer signs in through the department's identity provider
 * (a real OpenID provider, oidc-provider, in a child process) and is provisioned as a reviewer from their
 * group; the team asks for a gate evaluation; the reviewer is told by e-mail (a local server speaking GOV.UK
 * Notify's API, reached through the official client) and the assurance board's bridge by a signed webhook
 * (verified with a Standard Webhooks library); the reviewer finds the evaluation under "Waiting for me",
 * approves it by keyboard, and the team's promotion is e-mailed to the team and sent to the webhook. Every
 * Gatehouse page is checked with axe and the console must stay clean.
 */
describeBrowser('the reviewer workflow in Chromium: identity provider, work list, notifications', () => {
  let browser: Browser;
  let provider: TestOidcProvider;
  let notify: NotifyServer;
  let board: WebhookReceiver;
  let stub: OpenAiStub;
  let api: TestApi;
  let base: string;
  let sam: TestUser;
  let eve: TestUser;

  beforeAll(async () => {
    const reserved = await reservePort();
    const { port } = reserved;
    base = `http://127.0.0.1:${port}`;
    [provider, notify, board, stub] = await Promise.all([
      startTestOidcProvider({
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: [`${base}/sign-in/oidc/callback`],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
      }),
      startNotifyServer({ templates: Object.values(TEMPLATES) }),
      startWebhookReceiver(),
      startOpenAiStub({ respond: () => 'yes' }),
    ]);
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_PUBLIC_URL: base,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: CLIENT_ID,
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=reviewer',
      GATEHOUSE_OIDC_TEAM_MAP: 'grp-assurance=Assurance',
      GATEHOUSE_OIDC_BUTTON_TEXT: 'Department account',
      GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
      GATEHOUSE_NOTIFY_BASE_URL: notify.url,
      GATEHOUSE_NOTIFY_TEMPLATE_APPROVAL_NEEDED: TEMPLATES.approval,
      GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED: TEMPLATES.promoted,
    });
    await reserved.listen(api.app.getHttpServer());
    await api.connection('stub', stub.url);
    await api.team('Assurance');
    sam = await api.user('Sam Patel', ['service_team'], 'Benefits');
    eve = await api.user('Eve Okafor', ['engineer'], 'Benefits');
    await api.admin.patch(`/v1/users/${sam.id}`, { email: 'sam@benefits.example.gov.uk' }).expect(200);
    await api.admin.patch(`/v1/users/${eve.id}`, { email: 'eve@benefits.example.gov.uk' }).expect(200);
    await api.admin.post('/v1/gate-policies', POLICY).expect(201);
    await givenStubSuite(api, eve, 'journey-qs', {
      thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.5 }],
    });
    const endpoint = await api.admin
      .post('/v1/webhook-endpoints', {
        name: 'Assurance board bridge',
        url: board.url,
        events: ['evaluation.awaiting_approval', 'use_case.promoted'],
      })
      .expect(201);
    board.setSecret(endpoint.body.secret);
    await provider.setAccount('rita-at-idp', {
      name: 'Rita Chen',
      email: 'rita.chen@assurance.example.gov.uk',
      email_verified: true,
      groups: ['ai-assurance', 'grp-assurance'],
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await Promise.all([provider?.close(), notify?.close(), board?.close(), stub?.close()]);
  });

  const loads = async (page: Page, action: () => Promise<void>) => {
    await Promise.all([page.waitForEvent('load'), action()]);
  };
  const accessible = async (page: Page) => expect(await accessibilityProblems(page)).toEqual([]);
  const given = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [] },
    suite: 'journey-qs@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });

  it('signs a reviewer in through the identity provider, notifies them, and lets them approve from "Waiting for me"', async () => {
    const rita: Person = await newPerson(browser, 'Rita');

    await step('oidc-sign-in', [rita], async () => {
      const { page } = rita;
      await page.goto(`${base}/work`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await accessible(page);
      // By keyboard: the provider's button is the first thing after the page's own links.
      await tabTo(page, '#oidc-sign-in', 10);
      expect(await page.locator('#oidc-sign-in').innerText()).toBe('Sign in with Department account');
      await loads(page, () => page.keyboard.press('Enter'));
      expect(page.url().startsWith(provider.issuer)).toBe(true); // at the identity provider's login page
      await page.locator('#login').fill('rita-at-idp');
      await loads(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      // Back at Gatehouse, provisioned from the provider's claims, on the page asked for first.
      expect(page.url()).toBe(`${base}/work`);
      expect(await page.getByText('Signed in as').innerText()).toContain('Rita Chen');
      await accessible(page);
      expect(await page.locator('main').innerText()).not.toContain('Correspondence');
    });

    await step('oidc-cancelled', [rita], async () => {
      // Someone who cancels at the provider gets Gatehouse's page saying so, and a way back; no session.
      const other = await browser.newContext();
      const page = await other.newPage();
      await page.goto(`${base}/sign-in/oidc?next=/work`);
      await loads(page, () => page.getByRole('button', { name: 'Cancel' }).click());
      expect(new URL(page.url()).pathname).toBe('/sign-in/oidc/callback');
      expect(await page.locator('h1').innerText()).toBe('You are not signed in');
      expect(await page.locator('#refusal').innerText()).toContain('did not sign you in');
      await accessible(page);
      await page.goto(`${base}/work`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await other.close();
    });

    const useCaseId = (
      await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)
    ).body.id as string;
    await givenEvidenceFor(api, useCaseId, 'test', given());
    const evaluation = await givenPassingEvaluation(api, useCaseId, 'test', given());

    await step('notified', [rita], async () => {
      const [email] = (await notify.waitForEmails(1)).filter((e) => e.templateId === TEMPLATES.approval);
      expect(email.emailAddress).toBe('rita.chen@assurance.example.gov.uk');
      expect(email.personalisation).toMatchObject({
        evaluation_to: 'test',
        link: `${base}/gate-evaluations/${evaluation.id}`,
      });
      const [call] = await board.waitFor(1);
      expect(call.id).toBe(`evaluation.awaiting_approval:${evaluation.id}`);
      expect(call.body.type).toBe('evaluation.awaiting_approval');
      // Nobody else was asked: the team is not eligible to approve its own evidence.
      expect(notify.emails.map((e) => e.emailAddress)).toEqual(['rita.chen@assurance.example.gov.uk']);
    });

    await step('waiting-for-me', [rita], async () => {
      const { page } = rita;
      await page.reload();
      await accessible(page);
      const link = page.locator(`a[href="/gate-evaluations/${evaluation.id}"]`).first();
      expect(await link.count()).toBe(1);
      await link.focus();
      await loads(page, () => page.keyboard.press('Enter'));
      expect(new URL(page.url()).pathname).toBe(`/gate-evaluations/${evaluation.id}`);
      await accessible(page);
    });

    await step('approve-keyboard', [rita], async () => {
      const { page } = rita;
      await page.locator('#decision').focus(); // the first option, Approve
      await page.keyboard.press('Space');
      await tabAndType(page, '#reason', 'Runs and risks read; the suite passes its thresholds.', 3);
      await tabTo(page, 'button:Record my decision', 3);
      await loads(page, () => page.keyboard.press('Enter'));
      expect(new URL(page.url()).pathname).toBe(`/gate-evaluations/${evaluation.id}`);
      expect(await page.locator('main').innerText()).toContain('signed in through the identity provider');
      await accessible(page);
      const approved = await api.as(sam.token).get(`/v1/gate-evaluations/${evaluation.id}`).expect(200);
      expect(approved.body.approvals.state).toBe('approved');
      expect(approved.body.approvals.decisions).toEqual([
        expect.objectContaining({ decision: 'approve', via: 'oidc' }),
      ]);
      // Nothing is left waiting for Rita.
      await page.goto(`${base}/work`);
      expect(await page.locator(`a[href="/gate-evaluations/${evaluation.id}"]`).count()).toBe(0);
    });

    await step('team-notified-of-promotion', [rita], async () => {
      await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${useCaseId}/promotions`, { evaluationId: evaluation.id })
        .expect(201);
      const promoted = (await notify.waitForEmails(3)).filter((e) => e.templateId === TEMPLATES.promoted);
      expect(promoted.map((e) => e.emailAddress).sort()).toEqual([
        'eve@benefits.example.gov.uk',
        'sam@benefits.example.gov.uk',
      ]);
      const calls = await board.waitFor(2);
      expect(calls[1]).toMatchObject({
        id: expect.stringMatching(/^use_case\.promoted:/),
        body: { type: 'use_case.promoted', data: { stageChange: { from: 'proposed', to: 'test' } } },
      });
    });
  });
});
