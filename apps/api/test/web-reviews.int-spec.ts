import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  type StubRequestBody,
} from '@gatehouse/testing';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

jest.setTimeout(120_000);

/** Every output and every judge's reasoning carries markup: the pages must show it as text. */
const OUTPUT_MARKUP = '<script>alert("output")</script>';
const REASONING_MARKUP = '<img src=x onerror=alert(1)>';

/** The target answers "yes" to all but every fourth question; the judge fails the "no" answers. */
function reply(body: StubRequestBody): string {
  const system = body.messages[0]?.content ?? '';
  const user = body.messages.at(-1)?.content ?? '';
  if (system.startsWith('You are an impartial assessor')) {
    const good = /Answer to grade:\n<<<BEGIN ANSWER \w+>>>\nyes/.test(user);
    return JSON.stringify({ score: good ? 5 : 1, reasoning: `Graded ${REASONING_MARKUP} on the answer.` });
  }
  const k = Number(/question (\d+)/.exec(user)?.[1]);
  return `${k % 4 === 0 ? 'no' : 'yes'} ${OUTPUT_MARKUP}`;
}

const SUITE_YAML = [
  'name: web-reviewed',
  'version: 1',
  'dataset: web-reviewed-questions@1',
  'target: { type: openai, model: stub-model, connection: stub }',
  'scorers:',
  '  - { type: starts_with, name: correct }',
  '  - type: rubric_judge',
  '    name: quality',
  '    rubric: The answer is right.',
  '    judge: { model: judge-model, connection: stub }',
  'groupBy: [band]',
  'minGroupSize: 2',
  'concurrency: 4',
].join('\n');

const ITEMS = questionItems(16, {
  idPrefix: 'wr-',
  metadata: (k) => ({ band: k <= 8 ? 'under-65' : '65+' }),
});

/** The form of an item that agrees with both scorers. */
const agreeBoth = { 'agree-0': 'agree', 'agree-1': 'agree' };

describeIntegration('the review pages', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let eve: TestUser;
  let rita: TestUser;
  let raj: TestUser;
  let olu: TestUser;
  let ritaWeb: WebClient;
  let rajWeb: WebClient;
  let runId: string;
  let sampleId: string;

  const sample = (path = '') => `/review-samples/${sampleId}${path}`;
  const item = (position: number) => sample(`/items/${position}`);
  const location = (response: { headers: Record<string, string> }) => response.headers['location'];

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: reply });
    api = await TestApi.start({ GATEHOUSE_ITEM_CONCURRENCY: '4' });
    await api.connection('stub', stub.url);
    const sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    raj = await api.user('Raj', ['reviewer'], 'Assurance');
    olu = await api.user('Olu', ['engineer'], 'Tax');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=web-reviewed-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', SUITE_YAML, 'application/yaml').expect(201);
    // A draft use case of Benefits: Tax cannot see its runs.
    const useCase = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    const useCaseId = useCase.body.id as string;
    runId = (
      await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'web-reviewed@1', aiUseCaseId: useCaseId })
        .expect(202)
    ).body.id as string;
    const run = await api.waitForRun(runId, eve.token, (r) => r.status !== 'queued' && r.report !== null);
    if (run.status !== 'completed') {
      throw new Error(`the run did not complete: ${JSON.stringify(run.error)}`);
    }
    ritaWeb = await signIn(api, rita.token);
    rajWeb = await signIn(api, raj.token);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('offers the draw form on the run page, refuses a bad design with the values kept, then draws', async () => {
    const runPage = await ritaWeb.get(`/runs/${runId}`);
    expect(runPage.status).toBe(200);
    expect(runPage.text).toContain('id="human-review"');
    expect(runPage.text).toContain('No sample of this run has been drawn yet.');
    expect(runPage.text).toMatch(/<option value="band"\s*>band<\/option>/);
    expect(runPage.text).toContain(`action="/runs/${runId}/review-samples"`);

    // Without the session's CSRF token nothing is drawn.
    const forged = await ritaWeb.agent.post(`/runs/${runId}/review-samples`).type('form').send({ size: '8' });
    expect(forged.status).toBe(403);
    expect(
      (await api.as(rita.token).get(`/v1/runs/${runId}/review-samples`).expect(200)).body.items,
    ).toHaveLength(0);

    const bad = await ritaWeb.post(`/runs/${runId}/review-samples`, {
      size: 'lots',
      seed: '42',
      groupKey: 'band',
      failureWeight: '99',
      judgedWeight: '2',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('govuk-error-summary');
    expect(bad.text).toContain('href="#size"');
    expect(bad.text).toMatch(/id="size" name="size" type="text"[^>]* value="lots"/);
    expect(bad.text).toMatch(/id="seed" name="seed" type="text"[^>]* value="42"/);
    // The service's own refusal (a weight over 20) is named on its field too.
    const heavy = await ritaWeb.post(`/runs/${runId}/review-samples`, { size: '8', failureWeight: '99' });
    expect(heavy.status).toBe(400);
    expect(heavy.text).toContain('href="#failureWeight"');
    expect(heavy.text).toContain('Weight of failures must be at most 20');

    const drawn = await ritaWeb.post(`/runs/${runId}/review-samples`, {
      size: '8',
      seed: '42',
      groupKey: 'band',
      failureWeight: '3',
      judgedWeight: '2',
    });
    expect(drawn.status).toBe(303);
    sampleId = /^\/review-samples\/([0-9a-f-]{36})$/.exec(location(drawn))?.[1] ?? '';
    expect(sampleId).not.toBe('');

    const page = await ritaWeb.get(sample());
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      /8 items drawn from 16, stratified by verdict(, [^,]+)? and band, failures weighted ×3, .*seed 42/,
    );
    expect(page.text).toMatch(/<span class="gh-hash" id="sample-hash">[0-9a-f]{64}<\/span>/);
    expect(page.text).toMatch(/<span class="gh-hash" id="independent-reviews-hash">[0-9a-f]{64}<\/span>/);
    expect(page.text).toContain('You have reviewed 0 of 8 items');
    expect(page.text).toMatch(
      new RegExp(`href="${item(1)}"[^>]*id="start-reviewing"|id="start-reviewing"[^>]*href="${item(1)}"`),
    );
    expect(page.text).toContain('Start reviewing');
    expect(page.text).toContain(`href="${sample('/reviews.jsonl')}"`);
    expect(page.text).toContain('No item has been reviewed yet.');
  });

  it('shows one item with the scorers, escapes markup, and saves a review on to the next item', async () => {
    const page = await ritaWeb.get(item(1));
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain('Item 1 of 8');
    expect(html).toMatch(/<pre class="gh-pre" id="item-input">question \d+<\/pre>/);
    // Markup in the output and in the judge's reasoning is text, never markup.
    expect(html).not.toContain(OUTPUT_MARKUP);
    expect(html).toContain('&lt;script&gt;alert(&quot;output&quot;)&lt;/script&gt;');
    expect(html).not.toContain(REASONING_MARKUP);
    expect(html).toContain('Graded &lt;img src=x onerror=alert(1)&gt; on the answer.');
    expect(html).toContain('The judge’s reasoning');
    expect(html).toContain('Do you agree with correct’s verdict?');
    expect(html).toContain('Do you agree with quality’s verdict?');
    // The first answer has the focus on load; the corrected score is asked for the judge only.
    expect(html).toMatch(/id="agree-0" name="agree-0" type="radio" value="agree" autofocus/);
    expect(html).toContain('id="value-1"');
    expect(html).not.toContain('id="value-0"');
    expect(html).toContain('src="/assets/review-pages.mjs"');
    expect(html).toContain('Keyboard shortcuts');

    const saved = await ritaWeb.post(item(1), { ...agreeBoth, note: 'Fine <b>really</b>' });
    expect(saved.status).toBe(303);
    expect(location(saved)).toBe(item(2));

    const again = await ritaWeb.get(item(1));
    expect(again.text).toMatch(
      /You reviewed this on \d+ \w+ \d{4} at \d\d:\d\d UTC; saving again supersedes it \(nothing is edited\)\./,
    );
    expect(again.text).toMatch(/id="agree-0" name="agree-0" type="radio" value="agree" checked/);
    expect(again.text).toContain('Fine &lt;b&gt;really&lt;/b&gt;</textarea>');
    expect(again.text).not.toContain('<b>really</b>');
    const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/1`).expect(200);
    expect(stored.body.yourReview).toMatchObject({
      verdicts: { correct: { agree: true }, quality: { agree: true } },
      note: 'Fine <b>really</b>',
      source: 'web',
      revision: 1,
    });
  });

  it('re-renders a refused review with an error summary linking to each field, keeping what was typed', async () => {
    const typed = {
      'agree-1': 'disagree',
      'passed-1': 'fail',
      'value-1': '7',
      note: 'Half-typed <em>note</em>',
    };
    const refused = await ritaWeb.post(item(2), typed);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('govuk-error-summary');
    expect(refused.text).toContain('href="#agree-0"');
    expect(refused.text).toContain('Select whether you agree with correct’s verdict');
    expect(refused.text).toContain('href="#value-1"');
    expect(refused.text).toContain('Enter the corrected score for quality as a number from 0 to 1');
    expect(refused.text).toMatch(/id="agree-1-2" name="agree-1" type="radio" value="disagree" checked/);
    expect(refused.text).toMatch(/name="passed-1" type="radio" value="fail" checked/);
    expect(refused.text).toMatch(/id="value-1" name="value-1" type="text"[^>]* value="7"/);
    expect(refused.text).toContain('Half-typed &lt;em&gt;note&lt;/em&gt;</textarea>');
    // No autofocus fights the error summary for the focus.
    expect(refused.text).not.toContain('autofocus');
    expect(
      (await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/2`)).body.yourReview,
    ).toBeNull();

    // The service's limits are named on the field too: a note over 4,000 characters.
    const long = await ritaWeb.post(item(2), { ...agreeBoth, note: 'x'.repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('href="#note"');
    expect(long.text).toContain('The note must be at most 4000 characters');

    // Prototype-named and unknown fields are ignored; the review is of the scorers on the page.
    const odd = await ritaWeb.post(item(2), {
      ...agreeBoth,
      'agree-2': 'agree',
      __proto__: 'x',
      'verdicts[__proto__][agree]': 'true',
    } as Record<string, string>);
    expect(odd.status).toBe(303);
    const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/2`).expect(200);
    expect(Object.keys(stored.body.yourReview.verdicts).sort()).toEqual(['correct', 'quality']);
  });

  it('records a disagreement with a corrected verdict and score; a forged form records nothing', async () => {
    const forged = await ritaWeb.agent
      .post(item(3))
      .type('form')
      .send({ ...agreeBoth, _csrf: 'not-the-token' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form has expired or did not come from Gatehouse');
    expect(
      (await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/3`)).body.yourReview,
    ).toBeNull();

    const saved = await ritaWeb.post(item(3), {
      'agree-0': 'agree',
      'agree-1': 'disagree',
      'passed-1': 'fail',
      'value-1': '0.25',
      note: 'RITA-SECRET-NOTE',
    });
    expect(saved.status).toBe(303);
    expect(location(saved)).toBe(item(4));
    const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/3`).expect(200);
    expect(stored.body.yourReview.verdicts).toEqual({
      correct: { agree: true },
      quality: { agree: false, correctedPassed: false, correctedValue: 0.25 },
    });
  });

  it('tells the reviewer when another tab saved first, keeps their answers, and saves over it on the next try', async () => {
    const page = await ritaWeb.get(item(3));
    const seen = /name="supersedesId" value="([0-9a-f-]{36})"/.exec(page.text)?.[1];
    expect(seen).toBeDefined();
    // Another tab (here: the API) records a new revision meanwhile.
    await api
      .as(rita.token)
      .post(`/v1/review-samples/${sampleId}/items/3/reviews`, {
        verdicts: { correct: { agree: true } },
        note: 'other tab',
      })
      .expect(201);
    const stale = {
      'agree-0': 'disagree',
      'agree-1': 'agree',
      note: 'from this tab',
      supersedesId: seen ?? '',
    };
    const conflict = await ritaWeb.post(item(3), stale);
    expect(conflict.status).toBe(409);
    expect(conflict.text).toContain('You saved a review of this item in another tab or window');
    expect(conflict.text).toContain('from this tab</textarea>');
    expect(conflict.text).toMatch(/id="agree-0-2" name="agree-0" type="radio" value="disagree" checked/);
    const current = /name="supersedesId" value="([0-9a-f-]{36})"/.exec(conflict.text)?.[1];
    expect(current).not.toBe(seen);
    const saved = await ritaWeb.post(item(3), { ...stale, supersedesId: current ?? '' });
    expect(saved.status).toBe(303);
    const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/3`).expect(200);
    expect(stored.body.yourReview).toMatchObject({ note: 'from this tab', revision: 3 });
    // Put back what the blind test below looks for.
    const restored = await ritaWeb.post(item(3), {
      'agree-0': 'agree',
      'agree-1': 'disagree',
      'passed-1': 'fail',
      'value-1': '0.25',
      note: 'RITA-SECRET-NOTE',
      supersedesId: stored.body.yourReview.id,
    });
    expect(restored.status).toBe(303);
  });

  it('is blind: another reviewer sees no trace of the first one’s verdict or note', async () => {
    const theirs = await rajWeb.get(item(3));
    expect(theirs.status).toBe(200);
    expect(theirs.text).not.toContain('RITA-SECRET-NOTE');
    expect(theirs.text).not.toContain('You reviewed this on');
    expect(theirs.text).not.toContain('checked');
    expect(theirs.text).not.toContain('value="0.25"');
    const samplePage = await rajWeb.get(sample());
    expect(samplePage.text).toContain('You have reviewed 0 of 8 items');
    expect(samplePage.text).not.toContain('RITA-SECRET-NOTE');
    const exported = await rajWeb.get(sample('/reviews.jsonl'));
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain('RITA-SECRET-NOTE');
  });

  it('shows nothing of a sample to another team, and 404s for ids and positions that do not exist', async () => {
    const oluWeb = await signIn(api, olu.token);
    for (const path of [sample(), item(1), sample('/reviews.jsonl')]) {
      const hidden = await oluWeb.get(path);
      expect([path, hidden.status]).toEqual([path, 404]);
      expect(hidden.text).not.toContain('web-reviewed');
    }
    const posted = await oluWeb.post(item(1), agreeBoth);
    expect(posted.status).toBe(404);
    const drawn = await oluWeb.post(`/runs/${runId}/review-samples`, { size: '2' });
    expect(drawn.status).toBe(404);
    for (const path of [
      '/review-samples/not-a-sample',
      `/review-samples/${sampleId}/items/0`,
      `/review-samples/${sampleId}/items/abc`,
      `/review-samples/${sampleId}/items/99`,
      '/review-samples/00000000-0000-4000-8000-000000000000',
    ]) {
      const missing = await ritaWeb.get(path);
      expect([path, missing.status]).toEqual([path, 404]);
      expect(missing.text).toContain('Page not found');
      expect(missing.text).not.toMatch(/at \w+ \(|node_modules/);
    }
  });

  it('renders the service’s refusal for an admin who is not a reviewer as a clear page', async () => {
    const admin = await signIn(api, ADMIN_TOKEN);
    const refused = await admin.post(item(4), agreeBoth);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('You cannot do this');
    expect(refused.text).toContain('Reviewing an item needs the');
    expect(refused.text).not.toMatch(/at \w+ \(|node_modules/);
  });

  it('imports reviews from JSONL, naming the bad line; exports them', async () => {
    const bad = await ritaWeb.post(sample('/import'), {
      jsonl: `{"position":1,"reviewer":"Ext","verdicts":{"correct":{"agree":true}}}\n{"position":2,"reviewer":"Ext","verdicts":{"nope":{"agree":true}}}`,
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('govuk-error-summary');
    expect(bad.text).toMatch(/Line 2: verdicts\.nope is not a metric of the run/);
    expect(bad.text).toContain('href="#jsonl"');
    expect(bad.text).toContain('&quot;reviewer&quot;:&quot;Ext&quot;');

    const good = await ritaWeb.post(sample('/import'), {
      jsonl:
        '{"position":5,"reviewer":"External <b>rater</b>","verdicts":{"correct":{"agree":true},"quality":{"agree":false}}}',
    });
    expect(good.status).toBe(303);
    expect(location(good)).toBe(sample('?imported=1'));
    const page = await ritaWeb.get(location(good));
    expect(page.text).toContain('1 review imported.');
    // Rita has reviewed items 1 to 3: the button goes on to item 4.
    expect(page.text).toMatch(/>\s*Continue\s*</);
    expect(page.text).toContain(`href="${item(4)}"`);

    const exported = await ritaWeb.get(sample('/reviews.jsonl'));
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(exported.headers['content-disposition']).toBe(`attachment; filename="reviews-${sampleId}.jsonl"`);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { position: number; note: string | null });
    expect(lines.find((l) => l.position === 3)?.note).toBe('RITA-SECRET-NOTE');
  });

  it("refuses a form body over the pages' limit with a page, not a stack trace, and records nothing", async () => {
    const huge = await ritaWeb.post(sample('/import'), { jsonl: 'x'.repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.text).not.toMatch(/at \w+ \(|node_modules|PayloadTooLarge/);
    expect(huge.text).toContain('larger than the limit');
    const note = await ritaWeb.post(item(6), { ...agreeBoth, note: 'y'.repeat(300 * 1024) });
    expect(note.status).toBe(413);
    const stored = await api.as(rita.token).get(`/v1/review-samples/${sampleId}/items/6`).expect(200);
    expect(stored.body.yourReview).toBeNull();
  });

  it('ends on the sample page with a success banner and the statistics, also on the run page', async () => {
    let next = item(4);
    for (let i = 0; i < 10 && next.includes('/items/'); i++) {
      const saved = await ritaWeb.post(next, agreeBoth);
      expect(saved.status).toBe(303);
      next = location(saved);
    }
    expect(next).toBe(sample('?done=reviewed'));
    const done = await ritaWeb.get(next);
    expect(done.text).toContain('You have reviewed every item in this sample.');
    expect(done.text).toContain('You have reviewed 8 of 8 items');
    expect(done.text).not.toContain('id="start-reviewing"');
    expect(done.text).toContain('Agreement with the scorer (95% Wilson interval)');
    expect(done.text).toMatch(/quality \(model judge\)/);
    // Raw agreement with its interval, kappa with its interval, and the corrected failure rate.
    expect(done.text).toMatch(/\d+\.\d% \(\d+\.\d–\d+\.\d%\)/);
    expect(done.text).toContain('Independent reviewers only');

    const runPage = await ritaWeb.get(`/runs/${runId}`);
    expect(runPage.text).toContain(`href="/review-samples/${sampleId}"`);
    expect(runPage.text).toMatch(/8 of 8 items reviewed; 8 by you\./);
    expect(runPage.text).toMatch(/8 items drawn from 16/);
    expect(runPage.text).toContain('Review sample 1: agreement and corrected failure rate, all reviewers');
  });
});
