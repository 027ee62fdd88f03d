/// <reference lib="dom" />
import { startNode, type RunningProcess } from '@gatehouse/testing';
import { describeBrowser, launchChromium } from '@gatehouse/testing/browser';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import {
  accessibilityProblems,
  focused,
  newPerson,
  type Person,
  step,
  tabAndType,
  tabTo,
  VIEWPORT,
} from './support/browser-journey';

const root = join(__dirname, '../../..');
const MAIN = join(root, 'dist/apps/api/src/main.js');
/**
 * Screenshots of the pages: into test-artifacts/ on every run; into docs/screenshots/ (committed, shown in
 * docs/web-pages.md) when GATEHOUSE_UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the checkout clean.
 */
const SCREENSHOTS =
  process.env.GATEHOUSE_UPDATE_SCREENSHOTS === '1'
    ? join(root, 'docs/screenshots')
    : join(root, 'test-artifacts/screenshots');
const NAME = 'Correspondence drafting assistant';

/**
 * The journey of issue 6 in Chromium, against the real `npm start` process in embedded mode (SQLite, the
 * in-process queue, the shipped example evaluations): a service team registers a use case, an engineer
 * runs the guardrail suite against its target and watches it finish, a reviewer reads the failing gate
 * and rejects it, the team records a risk and passes the gate, the reviewer approves, the team promotes
 * and publishes, and the public record appears. Every page is checked with axe; the console must stay
 * clean (no errors, no Content-Security-Policy violations); the forms are used by keyboard alone.
 */
describeBrowser('the web pages in Chromium: from registration to the public record', () => {
  let browser: Browser;
  let server: RunningProcess;
  let cwd: string;
  let base: string;
  const tokens: Record<'sam' | 'eve' | 'rita', string> = { sam: '', eve: '', rita: '' };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { stdio: 'ignore' });
    cwd = mkdtempSync(join(tmpdir(), 'gatehouse-web-journey-'));
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
    server = startNode(MAIN, {
      cwd,
      env: {
        ...rest,
        PORT: '0',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
        GATEHOUSE_EVALS_DIR: join(root, 'evals'),
      },
    });
    [, base] = await server.waitFor(/Gatehouse is ready at (http:\/\/\S+)/);
    await server.waitFor(/Example evaluations imported/);
    const token = (pattern: RegExp) => {
      const found = pattern.exec(server.output())?.[1];
      if (!found) {
        throw new Error(`no token for ${pattern} in the start banner:\n${server.output()}`);
      }
      return found;
    };
    tokens.sam = token(/Sam Patel\s+service_team\s+(ghk_\S+)/);
    tokens.eve = token(/Eve Okafor\s+engineer\s+(ghk_\S+)/);
    tokens.rita = token(/Rita Chen\s+reviewer\s+(ghk_\S+)/);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (cwd) {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  const go = async (page: Page, path: string) => {
    await page.goto(`${base}${path}`);
  };
  /** Clicks (or presses) something that loads a new page, and waits for it to load. */
  const loads = async (page: Page, action: () => Promise<void>) => {
    await Promise.all([page.waitForEvent('load'), action()]);
  };
  const accessible = async (page: Page) => expect(await accessibilityProblems(page)).toEqual([]);
  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  /** Signs in through the form with a pointer, as most people do. */
  const signIn = async (person: Person, token: string) => {
    const { page } = person;
    await go(page, '/sign-in');
    await page.getByLabel('API token').fill(token);
    await loads(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    expect(new URL(page.url()).pathname).toBe('/ai-use-cases');
    await accessible(page);
  };

  const signOut = async (person: Person) => {
    const { page } = person;
    await go(page, '/ai-use-cases'); // the public pages have no session, so no sign-out button
    await loads(page, () => page.getByRole('button', { name: 'Sign out' }).click());
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.getByText('You have signed out.').isVisible()).toBe(true);
    await accessible(page);
    await go(page, '/ai-use-cases');
    expect(new URL(page.url()).pathname).toBe('/sign-in'); // the session is gone
  };

  const saveScreenshot = async (page: Page, name: string, height?: number) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Without the focus ring GOV.UK Frontend puts on a success banner.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.screenshot({
      path: join(SCREENSHOTS, `${name}.png`),
      fullPage: height !== undefined,
      ...(height === undefined ? {} : { clip: { x: 0, y: 0, width: VIEWPORT.width, height } }),
    });
  };

  const currentStage = (page: Page) => text(page, '.gh-stages [aria-current="step"] .gh-stages__name');

  it('takes a use case from registration through a gate to the public register', async () => {
    const sam = await newPerson(browser, 'Sam');
    const eve = await newPerson(browser, 'Eve');
    const rita = await newPerson(browser, 'Rita');
    const visitor = await newPerson(browser, 'Visitor');
    const people = [sam, eve, rita, visitor];
    let useCasePath = '';

    await step('sign-in-keyboard', [sam], async () => {
      const { page } = sam;
      await go(page, '/sign-in');
      await accessible(page);
      await tabAndType(page, '#token', tokens.sam);
      await tabTo(page, 'button:Sign in', 2);
      await loads(page, () => page.keyboard.press('Enter'));
      expect(new URL(page.url()).pathname).toBe('/ai-use-cases');
      expect(await page.getByText('Signed in as').innerText()).toContain('Sam Patel');
      await accessible(page);
    });

    await step('register-keyboard', [sam], async () => {
      const { page } = sam;
      await tabTo(page, 'a:Register an AI use case', 20);
      await loads(page, () => page.keyboard.press('Enter'));
      expect(new URL(page.url()).pathname).toBe('/ai-use-cases/new');
      await accessible(page);

      // A first try with only the name: Enter in a text field submits the form.
      await tabAndType(page, '#name', NAME, 20);
      await loads(page, () => page.keyboard.press('Enter'));
      expect(await page.title()).toMatch(/^Error: Register an AI use case/);
      // GOV.UK Frontend moves the focus to the error summary, whose first link leads to the field.
      expect(
        await page.evaluate(() => document.activeElement?.classList.contains('govuk-error-summary')),
      ).toBe(true);
      await accessible(page);
      expect(await page.locator('.govuk-error-summary a').first().innerText()).toBe(
        'Enter a one-sentence summary',
      );
      expect(await text(page, '#summary-error')).toContain('Enter a one-sentence summary');
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(NAME);
      await tabTo(page, 'a:Enter a one-sentence summary', 1);
      await page.keyboard.press('Enter');
      expect(await focused(page)).toBe('#summary');

      // The rest of the form, by keyboard alone, following the tab order.
      const stops: string[] = ['#summary'];
      const to = async (target: string, max?: number) => stops.push(...(await tabTo(page, target, max)));
      const type = async (target: string, value: string, max?: number) => {
        await to(target, max);
        await page.keyboard.type(value);
      };
      await page.keyboard.type('Drafts replies to routine correspondence for caseworkers to edit and send.');
      await to('#domain');
      await page.keyboard.type('Internal');
      expect(await page.locator('#domain').inputValue()).toBe('internal_operations');
      await type('#sroName', 'Alex Morgan');
      await type('#sroRole', 'Deputy Director, Operations');
      await type('#problemStatement', 'Caseworkers spend a day a week drafting routine replies.');
      await type('#benefitsExpected', 'Halve the time spent drafting routine replies.');
      await to('#successCriteria');
      await page.keyboard.type('80% of drafts sent with light edits');
      await page.keyboard.press('Enter');
      await page.keyboard.type('No increase in complaints about replies');
      await to('#decisionRole', 3);
      await page.keyboard.press('Space'); // the first option: it assists staff
      await type('#humanInvolvement', 'A caseworker edits and sends every draft.');
      for (const question of ['aboutIndividuals', 'significantDecision', 'solelyAutomated']) {
        await to(`#${question}`);
        await page.keyboard.press('ArrowRight'); // "No", the second option, chosen as the focus moves
      }
      await type('#userGroups', 'Caseworkers', 3);
      await to('#publicFacing', 14); // past the protected characteristics, none ticked
      await page.keyboard.press('ArrowRight');
      for (const question of ['vulnerableUsers', 'children']) {
        await to(`#${question}`);
        await page.keyboard.press('ArrowRight');
      }
      await to('#aiType');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown'); // generative
      await type('#modelName', 'gpt-4o-mini');
      await type('#modelProvider', 'OpenAI');
      for (const question of ['personalData', 'specialCategoryData']) {
        await to(`#${question}`);
        await page.keyboard.press('ArrowRight');
      }
      await to('button:Register AI use case', 4);
      expect(stops).toEqual([
        '#summary',
        '#domain',
        '#organisation',
        '#publicContactEmail',
        '#sroName',
        '#sroRole',
        '#problemStatement',
        '#inScope',
        '#outOfScope',
        '#benefitsExpected',
        '#successCriteria',
        '#baseline',
        '#decisionRole',
        '#humanInvolvement',
        '#aboutIndividuals',
        '#significantDecision',
        '#solelyAutomated',
        '#userGroups',
        '#affectedGroups',
        ...['', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9'].map((n) => `#protectedCharacteristics${n}`),
        '#publicFacing',
        '#vulnerableUsers',
        '#children',
        '#aiType',
        '#modelName',
        '#modelProvider',
        '#personalData',
        '#specialCategoryData',
        '#specialCategoryCondition',
        '#lawfulBasis',
        'button:Register AI use case',
      ]);
      await loads(page, () => page.keyboard.press('Enter'));
      useCasePath = new URL(page.url()).pathname;
      expect(useCasePath).toMatch(/^\/ai-use-cases\/[0-9a-f-]{36}$/);
      expect(await text(page, 'h1')).toBe(NAME);
      expect(await text(page, '.gh-tags')).toMatch(/Stage:\s*Proposed\s*Risk tier:\s*Low/);
      expect(await currentStage(page)).toBe('Proposed');
      await accessible(page);
    });

    let runPath = '';
    await step('run', [eve], async () => {
      const { page } = eve;
      await signIn(eve, tokens.eve);
      await loads(page, () => page.getByRole('link', { name: NAME }).click());
      expect(new URL(page.url()).pathname).toBe(useCasePath);
      // Engineers handle evidence; the record (risks, publishing) is the service team's.
      expect(await page.getByRole('group', { name: 'Record a risk' }).count()).toBe(0);
      await accessible(page);

      await page.getByLabel('Use the target of suite').selectOption('safety-refusals@1');
      await loads(page, () => page.getByRole('button', { name: 'Register target' }).click());
      expect(await page.getByText('The target is registered.').isVisible()).toBe(true);
      expect(await text(page, '.govuk-summary-list >> nth=1')).toContain('safety-refusals');
      await accessible(page);

      await page.getByLabel('Suite', { exact: true }).selectOption('safety-refusals@1');
      await loads(page, () => page.getByRole('button', { name: 'Start run' }).click());
      runPath = new URL(page.url()).pathname;
      expect(runPath).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
      expect(await text(page, 'h1')).toBe('safety-refusals@1');
      // Queued or running, the page shows its progress and follows it over server-sent events, then
      // reloads itself with the report; a run that already finished shows the report at once.
      const progress = page.locator('#run-progress');
      const metrics = page.getByRole('heading', { name: 'Metrics', exact: true });
      await progress.or(metrics).first().waitFor();
      if (await progress.isVisible()) {
        // The page reloads itself the moment the run finishes: a check that reload cut short says nothing
        // about the page (the report is checked below); any violation found still fails the test.
        await accessible(page).catch((error: unknown) => {
          if (!String(error).includes('Execution context was destroyed')) {
            throw error;
          }
        });
      }
      await metrics.waitFor({ timeout: 90_000 });
      await page.waitForLoadState('load');
      expect(await progress.count()).toBe(0);
      expect(await text(page, '.gh-run-summary')).toMatch(/Status\s+Completed/);
      const charts = await page.locator('svg[role="img"]').evaluateAll((svgs) =>
        svgs.map((svg) => ({
          width: svg.getBoundingClientRect().width,
          title: svg.querySelector('title')?.textContent ?? '',
        })),
      );
      expect(charts.length).toBeGreaterThanOrEqual(2);
      expect(charts.every((c) => c.width > 100 && c.title.length > 0)).toBe(true);
      expect(await page.getByRole('table', { name: /^Data for the chart of/ }).count()).toBe(charts.length);
      await accessible(page);
    });

    let failingGatePath = '';
    await step('failing-gate', [sam], async () => {
      const { page } = sam;
      await go(page, useCasePath);
      await loads(page, () => page.getByRole('button', { name: 'Check the gate to test' }).click());
      failingGatePath = new URL(page.url()).pathname;
      expect(failingGatePath).toMatch(/^\/gate-evaluations\/[0-9a-f-]{36}$/);
      expect(await text(page, 'h1')).toBe('Gate from proposed to test');
      const risks = page.getByRole('row', { name: /^evidence: risks recorded/ });
      expect(await risks.innerText()).toMatch(/Missing\s+no risks recorded/);
      expect(
        await page
          .getByRole('row', { name: /^safety-refusals(@\S+)? passed within/ })
          .first()
          .innerText(),
      ).toMatch(/Pass/);
      // The team sees the decisions, never a decision form of its own.
      expect(await page.getByRole('radio').count()).toBe(0);
      await accessible(page);
    });

    await step('reviewer-rejects', [rita], async () => {
      const { page } = rita;
      await signIn(rita, tokens.rita);
      await loads(page, () => page.getByRole('link', { name: NAME }).click());
      await accessible(page);
      await loads(page, () => page.getByRole('link', { name: 'proposed to test' }).click());
      expect(new URL(page.url()).pathname).toBe(failingGatePath);
      expect(await page.getByRole('row', { name: /^evidence: risks recorded/ }).innerText()).toMatch(
        /Missing\s+no risks recorded/,
      );
      // A failing evaluation can be rejected, not approved, and the page says so.
      expect(await page.getByRole('radio', { name: 'Approve' }).count()).toBe(0);
      expect(
        await page.getByText('This evaluation failed its rules: you can reject it, not approve it.').count(),
      ).toBe(1);
      await accessible(page);
      // The reason is required: the error summary takes the focus and links to the field.
      await page.getByRole('radio', { name: 'Reject' }).check();
      await loads(page, () => page.getByRole('button', { name: 'Record my decision' }).click());
      expect(
        await page.evaluate(() => document.activeElement?.classList.contains('govuk-error-summary')),
      ).toBe(true);
      expect(await page.locator('.govuk-error-summary a').innerText()).toContain('Enter a reason');
      await accessible(page);
      await page.getByLabel('Reason').fill('No risks are recorded: record them with their mitigations.');
      await loads(page, () => page.getByRole('button', { name: 'Record my decision' }).click());
      expect(await text(page, '.govuk-notification-banner')).toContain('You rejected this evaluation.');
      expect(await text(page, '#approvals ~ table')).toContain('No risks are recorded');
      await accessible(page);
    });

    let passingGatePath = '';
    await step('risk-and-passing-gate', [sam], async () => {
      const { page } = sam;
      await go(page, failingGatePath);
      expect(await page.getByText('Rita Chen rejected this evaluation').isVisible()).toBe(true);
      await accessible(page);
      await go(page, useCasePath);
      const risk = page.getByRole('group', { name: 'Record a risk' });
      await risk.getByLabel('Risk', { exact: true }).fill('A draft states a wrong deadline or amount.');
      await risk.getByRole('group', { name: 'Likelihood' }).getByLabel('Medium').check();
      await risk.getByRole('group', { name: 'Impact' }).getByLabel('Low').check();
      await risk.getByLabel('Mitigation').fill('Caseworkers check every date and amount before sending.');
      await loads(page, () => page.getByRole('button', { name: 'Add risk' }).click());
      expect(await page.getByText('The risk is recorded.').isVisible()).toBe(true);
      expect(await text(page, '#risks + ul')).toContain('A draft states a wrong deadline or amount.');
      await accessible(page);

      await loads(page, () => page.getByRole('button', { name: 'Check the gate to test' }).click());
      passingGatePath = new URL(page.url()).pathname;
      expect(passingGatePath).not.toBe(failingGatePath);
      expect(await page.getByRole('row', { name: /^evidence: risks recorded/ }).innerText()).toMatch(
        /Pass\s+1 risk\(s\) with mitigations recorded/,
      );
      expect(await text(page, '#rules + p')).toMatch(/Pass\s+All \d+ rules pass\./);
      expect(await text(page, '#promote')).toContain('Not yet');
      await accessible(page);
    });

    await step('reviewer-approves', [rita], async () => {
      const { page } = rita;
      // The evaluation waits in Rita's work list, linked to where she decides; she follows it by keyboard.
      await go(page, '/work');
      await accessible(page);
      const waiting = page.getByRole('link', {
        name: new RegExp(`^${NAME}\\s*: read the evaluation and decide$`),
      });
      await waiting.focus();
      await loads(page, () => page.keyboard.press('Enter'));
      expect(new URL(page.url()).pathname).toBe(passingGatePath);
      await page.getByRole('radio', { name: 'Approve' }).check();
      await page.getByLabel('Reason').fill('Read the guardrail run, the success criteria and the risk.');
      await loads(page, () => page.getByRole('button', { name: 'Record my decision' }).click());
      expect(await text(page, '.govuk-notification-banner')).toContain('You approved this evaluation.');
      expect(await text(page, '#decide')).toContain('Each reviewer decides once');
      await accessible(page);
    });

    await step('promote', [sam], async () => {
      const { page } = sam;
      await go(page, passingGatePath);
      expect(await text(page, '#approvals + p')).toMatch(/Approved\s+This gate needs 1 independent reviewer/);
      await accessible(page);
      await saveScreenshot(page, 'gate-page', 1500);
      await loads(page, () => page.getByRole('button', { name: 'Promote to test' }).click());
      expect(new URL(page.url()).pathname).toBe(useCasePath);
      expect(await page.getByText('Promoted to test.').isVisible()).toBe(true);
      expect(await currentStage(page)).toBe('Test');
      expect(await text(page, '#stage-changes + table')).toContain('test');
      await accessible(page);
      await saveScreenshot(page, 'use-case-detail', 1300);
    });

    await step('publish', [sam, visitor], async () => {
      await loads(sam.page, () =>
        sam.page.getByRole('button', { name: 'Publish the transparency record' }).click(),
      );
      expect(new URL(sam.page.url()).pathname).toBe(
        `/public/transparency-records/${useCasePath.split('/')[2]}`,
      );

      const { page } = visitor;
      await go(page, '/public/transparency-records');
      const row = page.getByRole('row', { name: new RegExp(NAME) });
      expect(await row.innerText()).toMatch(/\bTest\b/);
      await accessible(page);
      await loads(page, () => row.getByRole('link', { name: NAME }).click());
      expect(await text(page, 'h1')).toBe(NAME);
      expect(await text(page, 'main')).toMatch(/Stage\s+test \(Pre-deployment\)/);
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      await accessible(page);
      await saveScreenshot(page, 'public-record', 1200);
    });

    await step('run-report-screenshot', [eve], async () => {
      await go(eve.page, runPath);
      await saveScreenshot(eve.page, 'run-report', 1600);
    });

    await step('sign-out', [sam, eve, rita], async () => {
      for (const person of [sam, eve, rita]) {
        await signOut(person);
      }
    });

    // Every step already failed on a console error, a page error, a CSP violation or a failed asset.
    expect(people.flatMap((person) => person.problems)).toEqual([]);
    for (const person of people) {
      await person.context.close();
    }
  }, 240_000);
});
