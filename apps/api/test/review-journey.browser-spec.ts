/// <reference lib="dom" />
import {
  jsonl,
  type OpenAiStub,
  questionItems,
  reservePort,
  startOpenAiStub,
  type StubRequestBody,
} from '@gatehouse/testing';
import { describeBrowser, launchChromium } from '@gatehouse/testing/browser';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { focused, newPerson, type Person, step, tabTo } from './support/browser-journey';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

const root = join(__dirname, '../../..');
/**
 * The item page's screenshot: into test-artifacts/ on every run; into docs/screenshots/ (shown in
 * docs/web-pages.md) when GATEHOUSE_UPDATE_SCREENSHOTS=1, as the other journeys do.
 */
const SCREENSHOTS =
  process.env.GATEHOUSE_UPDATE_SCREENSHOTS === '1'
    ? join(root, 'docs/screenshots')
    : join(root, 'test-artifacts/screenshots');

/** The target answers "yes" to all but every third question; the judge grades "yes" 5 and anything else 1. */
function reply(body: StubRequestBody): string {
  const system = body.messages[0]?.content ?? '';
  const user = body.messages.at(-1)?.content ?? '';
  if (system.startsWith('You are an impartial assessor')) {
    const good = /Answer to grade:\n<<<BEGIN ANSWER \w+>>>\nyes/.test(user);
    return JSON.stringify({
      score: good ? 5 : 1,
      reasoning: good ? 'The answer is right and says so plainly.' : 'The answer is wrong.',
    });
  }
  const k = Number(/question (\d+)/.exec(user)?.[1]);
  return k % 3 === 0 ? 'no, I am afraid not' : 'yes, you can';
}

const SUITE_YAML = [
  'name: journey-reviewed',
  'version: 1',
  'dataset: journey-reviewed-questions@1',
  'target: { type: openai, model: stub-model, connection: stub }',
  'scorers:',
  '  - { type: starts_with, name: correct }',
  '  - type: rubric_judge',
  '    name: quality',
  '    rubric: The answer is right and plain.',
  '    judge: { model: judge-model, connection: stub }',
  'groupBy: [age_band]',
  'minGroupSize: 2',
  'concurrency: 4',
].join('\n');

const ITEMS = questionItems(30, {
  idPrefix: 'jr-',
  metadata: (k) => ({ age_band: k % 2 === 0 ? '16-44' : '45+' }),
});

interface Violation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** Every axe violation of the WCAG 2.2 AA rules on the page, whatever its impact (none are allowed here). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.waitForLoadState('load');
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: Violation[] }> } }
    ).axe;
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
    return (await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations.map(
      (v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
  return violations.map((v) => `${new URL(page.url()).pathname}: ${v}`);
}

/**
 * Issue 14's journey in Chromium: a run of a suite with a model judge; an assurance reviewer draws a
 * stratified sample on the run page and reviews ten items with the keyboard alone (`a` to agree and
 * save, `d` and the arrow keys and Enter for a disagreement with a corrected verdict, `k` and `j` to look
 * back, `n` for a note), ending on the sample page with ten reviews and the agreement statistics. axe finds
 * no violation on the run page, the item page or the sample page; the console stays clean (no CSP
 * violation from the shortcuts' script).
 */
describeBrowser('reviewing a sample of a run in Chromium, by keyboard', () => {
  let browser: Browser;
  let stub: OpenAiStub;
  let api: TestApi;
  let base: string;
  let rita: TestUser;
  let runId: string;

  beforeAll(async () => {
    const reserved = await reservePort();
    base = `http://127.0.0.1:${reserved.port}`;
    stub = await startOpenAiStub({ respond: reply });
    api = await TestApi.start({ GATEHOUSE_PUBLIC_URL: base, GATEHOUSE_ITEM_CONCURRENCY: '4' });
    await reserved.listen(api.app.getHttpServer());
    await api.connection('stub', stub.url);
    const sam = await api.user('Sam Patel', ['service_team'], 'Benefits');
    const eve = await api.user('Eve Okafor', ['engineer'], 'Benefits');
    rita = await api.user('Rita Chen', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=journey-reviewed-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', SUITE_YAML, 'application/yaml').expect(201);
    const useCase = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    runId = (
      await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'journey-reviewed@1', aiUseCaseId: useCase.body.id })
        .expect(202)
    ).body.id as string;
    const run = await api.waitForRun(runId, eve.token, (r) => r.status !== 'queued' && r.report !== null);
    if (run.status !== 'completed') {
      throw new Error(`the run did not complete: ${JSON.stringify(run.error)}`);
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await stub?.close();
  });

  const loads = async (page: Page, action: () => Promise<void>) => {
    await Promise.all([page.waitForEvent('load'), action()]);
  };
  const accessible = async (page: Page) => expect(await axeViolations(page)).toEqual([]);
  const path = (page: Page) => new URL(page.url()).pathname + new URL(page.url()).search;
  const heading = (page: Page) => page.locator('h1').innerText();
  const position = (page: Page) => Number(/\/items\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1]);

  it('draws a sample on the run page and reviews ten items with the keyboard alone', async () => {
    const person: Person = await newPerson(browser, 'Rita');
    const { page } = person;
    const people = [person];
    let sampleId = '';
    const reviewed: number[] = [];

    await step('sign-in', people, async () => {
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('API token').fill(rita.token);
      await loads(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      expect(new URL(page.url()).pathname).toBe('/ai-use-cases');
    });

    await step('review-draw', people, async () => {
      await page.goto(`${base}/runs/${runId}`);
      expect(await page.locator('#human-review').innerText()).toBe('Human review');
      await accessible(page);
      await page.getByLabel('Sample size').fill('10');
      await page.getByLabel('Seed (optional)').fill('2026');
      await page.getByLabel('Group to stratify by (optional)').selectOption('age_band');
      await loads(page, () => page.getByRole('button', { name: 'Draw the sample' }).click());
      sampleId = /^\/review-samples\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1] ?? '';
      expect(sampleId).not.toBe('');
      expect(await page.locator('#design').innerText()).toMatch(
        /^10 items drawn from 30, stratified by verdict.* and age_band, failures weighted ×3, .*seed 2026\.$/,
      );
      await accessible(page);
      // To the first item by keyboard: the start button is a link; Enter follows it.
      await page.locator('#start-reviewing').focus();
      await loads(page, () => page.keyboard.press('Enter'));
      expect(path(page)).toBe(`/review-samples/${sampleId}/items/1`);
    });

    await step('review-item-page', people, async () => {
      expect(await heading(page)).toBe('Item 1 of 10');
      // The first answer has the focus as the page loads: the reviewer can answer at once.
      expect(await focused(page)).toBe('#agree-0');
      expect(await page.locator('#item-output').innerText()).toMatch(/^(yes, you can|no, I am afraid not)$/);
      expect(await page.locator('main').innerText()).toContain('The judge’s reasoning');
      await accessible(page);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'review-item.png'), fullPage: true });
      expect(await focused(page)).toBe('#agree-0');
    });

    await step('review-agree-with-a', people, async () => {
      await loads(page, () => page.keyboard.press('a'));
      reviewed.push(1);
      expect(path(page)).toBe(`/review-samples/${sampleId}/items/2`);
      expect(await heading(page)).toBe('Item 2 of 10');
    });

    await step('review-back-and-forth', people, async () => {
      // k: back to item 1, which shows the reviewer's own review; j: on to item 2 again.
      await loads(page, () => page.keyboard.press('k'));
      expect(position(page)).toBe(1);
      expect(await page.locator('#your-review').innerText()).toMatch(
        /^You reviewed this on .* saving again supersedes it/,
      );
      expect(await page.locator('#agree-0').isChecked()).toBe(true);
      await loads(page, () => page.keyboard.press('j'));
      expect(position(page)).toBe(2);
      expect(await page.locator('#your-review').count()).toBe(0);
    });

    await step('review-disagree-keyboard', people, async () => {
      // d: "Disagree" with the first scorer; Tab to its corrections and choose the verdict it did not give
      // (Space on "Pass", or an arrow key down to "Fail").
      const said = await page.locator('.gh-review-scorer').first().locator('.govuk-tag').innerText();
      expect(['Pass', 'Fail']).toContain(said);
      await page.keyboard.press('d');
      expect(await focused(page)).toBe('#agree-0-2');
      expect(await page.locator('#agree-0-2').isChecked()).toBe(true);
      await tabTo(page, '#passed-0', 2);
      if (said === 'Fail') {
        await page.keyboard.press('Space');
      } else {
        await page.keyboard.press('ArrowDown');
      }
      const corrected = said === 'Fail' ? '#passed-0' : '#passed-0-2';
      expect(await focused(page)).toBe(corrected);
      expect(await page.locator(corrected).isChecked()).toBe(true);
      // On to the judge's question: agree with it (Space), then Enter saves.
      await tabTo(page, '#agree-1', 3);
      await page.keyboard.press('Space');
      expect(await page.locator('#agree-1').isChecked()).toBe(true);
      await loads(page, () => page.keyboard.press('Enter'));
      reviewed.push(2);
      expect(position(page)).toBe(3);
      const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/2`).expect(200);
      expect(stored.body.yourReview.verdicts).toEqual({
        correct: { agree: false, correctedPassed: said === 'Fail' },
        quality: { agree: true },
      });
    });

    await step('review-note-typing', people, async () => {
      // n: the note. Typing a, d, j or k there types them; no shortcut fires.
      await page.keyboard.press('n');
      expect(await focused(page)).toBe('#note');
      await page.keyboard.type('a judge and a kind answer');
      expect(position(page)).toBe(3);
      expect(await page.locator('#note').inputValue()).toBe('a judge and a kind answer');
      // Back out of the note (Shift+Tab, past the corrected score, to an answer), then a: agree with both
      // and save, note and all.
      await page.keyboard.press('Shift+Tab');
      expect(await focused(page)).toBe('#value-1');
      await page.keyboard.press('Shift+Tab');
      expect(await focused(page)).toMatch(/^#passed-1/);
      await loads(page, () => page.keyboard.press('a'));
      reviewed.push(3);
      expect(position(page)).toBe(4);
      const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/3`).expect(200);
      expect(stored.body.yourReview).toMatchObject({ note: 'a judge and a kind answer' });
    });

    await step('review-the-rest', people, async () => {
      for (let n = 4; n <= 10; n++) {
        expect(await heading(page)).toBe(`Item ${n} of 10`);
        expect(await focused(page)).toBe('#agree-0');
        await loads(page, () => page.keyboard.press('a'));
        reviewed.push(n);
      }
      expect(reviewed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    await step('review-done', people, async () => {
      expect(path(page)).toBe(`/review-samples/${sampleId}?done=reviewed`);
      const main = await page.locator('main').innerText();
      expect(main).toContain('You have reviewed every item in this sample.');
      expect(main).toContain('You have reviewed 10 of 10 items');
      expect(main).toContain('10 of 10 items reviewed by 1 person.');
      const rows = page.locator('table.gh-review-statistics').first().locator('tbody tr');
      expect(await rows.count()).toBe(2);
      // One disagreement of ten with the first scorer; none with the judge.
      expect(await rows.nth(0).innerText()).toMatch(/^correct\s+10 \(10 reviews\)\s+90\.0% \(/);
      expect(await rows.nth(1).innerText()).toMatch(
        /^quality \(model judge\)\s+10 \(10 reviews\)\s+\d+\.\d% \(/,
      );
      await accessible(page);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.screenshot({ path: join(SCREENSHOTS, 'review-sample.png'), fullPage: true });
    });

    await step('review-import-file', people, async () => {
      // With JavaScript on, a chosen file's lines go into the import box to be checked before importing.
      const line = '{"position":1,"reviewer":"Elsewhere","verdicts":{"correct":{"agree":true}}}';
      await page.locator('#jsonl-file').setInputFiles({
        name: 'reviews.jsonl',
        mimeType: 'application/x-ndjson',
        buffer: Buffer.from(`${line}\n`),
      });
      await page.waitForFunction(
        () => (document.querySelector('#jsonl') as HTMLTextAreaElement).value !== '',
      );
      expect(await page.locator('#jsonl').inputValue()).toBe(`${line}\n`);
      expect(await focused(page)).toBe('#jsonl');
      await loads(page, () => page.getByRole('button', { name: 'Import reviews' }).click());
      expect(path(page)).toBe(`/review-samples/${sampleId}?imported=1`);
      expect(await page.locator('main').innerText()).toContain('1 review imported.');
    });
    expect(person.problems).toEqual([]);
    await person.context.close();
  }, 240_000);
});
