/// <reference lib="dom" />
import { type OpenAiStub, reservePort, startOpenAiStub } from '@gatehouse/testing';
import { describeBrowser, launchChromium } from '@gatehouse/testing/browser';
import { type Browser, type Page } from 'playwright-core';
import { accessibilityProblems, newPerson, type Person, step } from './support/browser-journey';
import { givenStubSuite, givenUseCaseAt, suitePassedPolicy } from './support/givens';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(240_000);

/**
 * The live use page in Chromium: an engineer of the owning team creates an ingest token (shown once),
 * saves settings after a refused form, and revokes the token after confirming; every page passes axe and
 * raises no console error or CSP violation.
 */
describeBrowser('the live use page in Chromium', () => {
  let browser: Browser;
  let stub: OpenAiStub;
  let api: TestApi;
  let base: string;
  let eve: TestUser;
  let useCaseId: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    base = `http://127.0.0.1:${reserved.port}`;
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ GATEHOUSE_PUBLIC_URL: base, OPENAI_API_KEY: 'sk-stub' });
    await reserved.listen(api.app.getHttpServer());
    await api.connection('stub', stub.url);
    const sam = await api.user('Sam Patel', ['service_team'], 'Benefits');
    eve = await api.user('Eve Okafor', ['engineer'], 'Benefits');
    const rob = await api.user('Rob Jones', ['reviewer'], 'Assurance');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('live-page')).expect(201);
    await givenStubSuite(api, eve, 'live-page', { items: 3 });
    useCaseId = await givenUseCaseAt(api, 'test', {
      cast: { owner: sam, engineer: eve, reviewers: [rob] },
      suite: 'live-page@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
      record: lowRiskRecord(),
    });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await stub?.close();
  });

  const loads = async (page: Page, action: () => Promise<void>) => {
    await Promise.all([page.waitForEvent('load'), action()]);
  };

  it('creates a token, saves settings and revokes the token, every page accessible', async () => {
    const person: Person = await newPerson(browser, 'Eve');
    const { page } = person;
    const people = [person];

    await step('live-sign-in', people, async () => {
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('API token').fill(eve.token);
      await loads(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    });

    await step('live-page', people, async () => {
      await page.goto(`${base}/ai-use-cases/${useCaseId}`);
      await loads(page, () => page.getByRole('link', { name: /^Live use/ }).click());
      expect(new URL(page.url()).pathname).toBe(`/ai-use-cases/${useCaseId}/live`);
      expect(await page.locator('h1').innerText()).toBe('Live use');
      expect(await accessibilityProblems(page)).toEqual([]);
    });

    await step('live-token', people, async () => {
      await page.getByLabel('Create an ingest token').fill('payments-api production');
      await loads(page, () => page.getByRole('button', { name: 'Create token' }).click());
      expect(await page.locator('#new-token-value').innerText()).toMatch(/^ghi_[A-Za-z0-9_-]{43}$/);
      expect(await page.locator('#endpoint').innerText()).toBe(`${base}/v1/otlp/v1/traces`);
      expect(await accessibilityProblems(page)).toEqual([]);
    });

    await step('live-settings-refused', people, async () => {
      await page.goto(`${base}/ai-use-cases/${useCaseId}/live`);
      await page.getByLabel('Share of traces scored').fill('150');
      await loads(page, () => page.getByRole('button', { name: 'Save live settings' }).click());
      expect(await page.locator('.govuk-error-summary').innerText()).toContain(
        'Share of traces scored must be between 0% and 100%',
      );
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.getByLabel('Share of traces scored').fill('25');
      await loads(page, () => page.getByRole('button', { name: 'Save live settings' }).click());
      expect(await page.locator('.govuk-notification-banner').innerText()).toContain(
        'The live settings are saved.',
      );
    });

    await step('live-revoke', people, async () => {
      await loads(page, () => page.getByRole('link', { name: 'Revoke payments-api production' }).click());
      expect(await page.locator('h1').innerText()).toBe('Revoke the ingest token payments-api production?');
      expect(await accessibilityProblems(page)).toEqual([]);
      await loads(page, () => page.getByRole('button', { name: 'Revoke token' }).click());
      expect(await page.locator('.govuk-notification-banner').innerText()).toContain(
        'The ingest token is revoked.',
      );
      expect(await accessibilityProblems(page)).toEqual([]);
    });
    await person.context.close();
  });
});
