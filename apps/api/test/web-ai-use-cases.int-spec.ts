import { AuditEventEntity } from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import { DataSource } from 'typeorm';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';
import { signIn, type WebClient } from './support/web';

const ITEMS = questionItems(5, { idWidth: 1 });

const suiteYaml = () => stubSuiteYaml({ name: 'web-yes-no', dataset: 'web-questions@1' });

/** A complete, valid register form (low risk apart from the protected characteristics: medium). */
const goodForm = (): Record<string, string | string[]> => ({
  name: 'Housing repairs triage',
  summary: 'Sorts repair requests by urgency so urgent ones reach a surveyor first.',
  domain: 'housing',
  sroName: 'Jo Patel',
  sroRole: 'Head of Repairs',
  problemStatement: 'Urgent repairs wait behind routine ones for days.',
  inScope: 'Repair requests\r\nSurveyor queues\r\n',
  outOfScope: 'Rent arrears',
  benefitsExpected: 'Urgent repairs seen within a day.',
  decisionRole: 'recommends',
  humanInvolvement: 'A surveyor confirms every urgency rating.',
  aboutIndividuals: 'no',
  significantDecision: 'no',
  solelyAutomated: 'no',
  userGroups: 'Surveyors',
  affectedGroups: 'Tenants',
  protectedCharacteristics: ['age', 'disability'],
  publicFacing: 'no',
  vulnerableUsers: 'no',
  children: 'no',
  aiType: 'machine_learning',
  modelName: 'triage-v1',
  modelProvider: 'In house',
  personalData: 'no',
  specialCategoryData: 'no',
});

/** The ids the error summary links to, and the summary's texts. */
const summaryLinks = (html: string) => {
  const summary = /<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/<a href="#([^"]+)">\s*([^<]*?)\s*<\/a>/g)].map((m) => [m[1], m[2]]);
};
const inlineError = (html: string, id: string) =>
  new RegExp(`<p id="${id}-error" class="govuk-error-message">[\\s\\S]*?</p>`).exec(html)?.[0] ?? '';
const total = async (api: TestApi) =>
  (await api.admin.get('/v1/ai-use-cases?limit=1').expect(200)).body.total;

describeIntegration('the AI use case pages', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser; // service team, Benefits
  let eve: TestUser; // engineer, Benefits
  let rita: TestUser; // reviewer, Assurance
  let olly: TestUser; // service team, Housing
  let samWeb: WebClient;
  let useCaseId: string;
  let ollysDraft: string;
  let runId: string;

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    olly = await api.user('Olly', ['service_team'], 'Housing');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=web-questions', jsonl(ITEMS), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', suiteYaml(), 'application/yaml').expect(201);
    useCaseId = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
      .body.id;
    await api
      .as(sam.token)
      .patch(`/v1/ai-use-cases/${useCaseId}`, {
        changes: { summary: 'Drafts one-page summaries of <b>published</b> papers.' },
        reason: 'Clearer summary',
      })
      .expect(200);
    const started = await api
      .as(eve.token)
      .post('/v1/runs', { suite: 'web-yes-no@1', aiUseCaseId: useCaseId })
      .expect(202);
    runId = started.body.id;
    await api.waitForRun(runId, eve.token);
    ollysDraft = (
      await api
        .as(olly.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: 'Olly’s secret draft' } })
        .expect(201)
    ).body.id;
    samWeb = await signIn(api, sam.token);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('sends a signed-out browser to sign in, and back afterwards', async () => {
    for (const url of ['/ai-use-cases', `/ai-use-cases/${useCaseId}`, `/ai-use-cases/${useCaseId}/audit`]) {
      const response = await api.http.get(url).expect(303);
      expect(response.headers.location).toBe(`/sign-in?next=${encodeURIComponent(url)}`);
    }
    const post = await api.http.post('/ai-use-cases').type('form').send({ name: 'x' }).expect(303);
    expect(post.headers.location).toMatch(/^\/sign-in/);
  });

  it('lists what the user may see, with filters as a GET form and pages', async () => {
    const all = await samWeb.get('/ai-use-cases');
    expect(all.status).toBe(200);
    expect(all.text).toContain(
      `<a class="govuk-link" href="/ai-use-cases/${useCaseId}">Policy briefing summariser</a>`,
    );
    expect(all.text).not.toContain('Olly’s secret draft'); // another team's draft
    expect(all.text).toContain('href="/ai-use-cases/new"');
    expect(all.text).toMatch(/<form method="get" action="\/ai-use-cases"/);
    expect(all.text).toMatch(/<strong class="govuk-tag govuk-tag--grey">\s*Proposed\s*<\/strong>/);

    const reviewer = await signIn(api, rita.token);
    const both = await reviewer.get('/ai-use-cases');
    expect(both.text).toContain('Olly’s secret draft');
    expect(both.text).not.toContain('href="/ai-use-cases/new"'); // reviewers do not register
    const housing = await api.team('Housing');
    const filtered = await reviewer.get(`/ai-use-cases?stage=proposed&riskTier=low&teamId=${housing}`);
    expect(filtered.text).toContain('Olly’s secret draft');
    expect(filtered.text).not.toContain('Policy briefing summariser');
    expect(filtered.text).toContain('Showing 1 to 1 of 1 AI use case matching the filters.');
    expect(filtered.text).toMatch(/<option value="proposed" selected>/);
    const none = await reviewer.get('/ai-use-cases?riskTier=high');
    expect(none.text).toContain('No AI use cases match these filters.');
    // Nonsense filters are ignored rather than failing.
    expect((await reviewer.get('/ai-use-cases?stage=moon&teamId=x&page=-3')).status).toBe(200);

    // 21 drafts of one team: two pages, the filter kept in the page links.
    const tax = await api.user('Tia', ['service_team'], 'Tax');
    for (let i = 0; i < 21; i++) {
      await api
        .as(tax.token)
        .post('/v1/ai-use-cases', { record: { ...lowRiskRecord(), name: `Tax helper ${i}` } })
        .expect(201);
    }
    const taxTeam = await api.team('Tax');
    const first = await reviewer.get(`/ai-use-cases?teamId=${taxTeam}`);
    expect(first.text).toContain('Showing 1 to 20 of 21 AI use cases matching the filters.');
    expect(first.text).toContain('govuk-pagination');
    expect(first.text).toContain(`href="/ai-use-cases?teamId=${taxTeam}&amp;page=2"`);
    const second = await reviewer.get(`/ai-use-cases?teamId=${taxTeam}&page=2`);
    expect(second.text).toContain('Showing 21 to 21 of 21');
    expect(second.text.match(/<tr class="govuk-table__row">/g)).toHaveLength(2); // header + one
  });

  it('re-shows the register form with an error summary and inline errors, storing nothing, then registers', async () => {
    const form = await samWeb.get('/ai-use-cases/new');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<label class="govuk-label" for="name">');
    expect(form.text).toContain('name="decisionRole"');
    const before = await total(api);

    const bad = await samWeb.post('/ai-use-cases', {
      ...goodForm(),
      name: '  ',
      decisionRole: '',
      aboutIndividuals: '',
      modelProvider: '',
      summary: 'x'.repeat(501),
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<title>Error: Register an AI use case');
    expect(summaryLinks(bad.text)).toEqual([
      ['name', 'Enter the name of the AI use case'],
      ['summary', 'Summary must be at most 500 characters'],
      ['decisionRole', 'Select what role the tool plays in decisions'],
      ['aboutIndividuals', 'Select yes if the output feeds a decision about a particular person'],
      ['modelProvider', 'Enter the model’s provider, or leave both model fields empty'],
    ]);
    expect(inlineError(bad.text, 'decisionRole')).toContain('Select what role the tool plays in decisions');
    expect(bad.text).toContain('id="decisionRole" name="decisionRole" type="radio" value="assistive"');
    // What was typed is kept.
    expect(bad.text).toContain('value="Jo Patel"');
    expect(bad.text).toContain('Repair requests\r\nSurveyor queues');
    expect(bad.text).toMatch(/value="disability" checked/);
    expect(bad.text).toMatch(/name="publicFacing" type="radio" value="no" checked/);
    expect(await total(api)).toBe(before);

    // Valid field by field, inconsistent across fields: the service's rules, mapped to the inputs.
    const inconsistent = await samWeb.post('/ai-use-cases', {
      ...goodForm(),
      specialCategoryData: 'yes',
      solelyAutomated: 'yes',
    });
    expect(inconsistent.status).toBe(400);
    expect(summaryLinks(inconsistent.text).map(([id]) => id)).toEqual([
      'decisionRole',
      'personalData',
      'specialCategoryCondition',
    ]);
    expect(inlineError(inconsistent.text, 'personalData')).toContain(
      'Personal data must be true when special category data is processed',
    );
    expect(await total(api)).toBe(before);

    const good = await samWeb.post('/ai-use-cases', goodForm());
    expect(good.status).toBe(303);
    const [, id] = /^\/ai-use-cases\/([0-9a-f-]{36})$/.exec(good.headers.location) ?? [];
    expect(id).toBeDefined();
    expect(await total(api)).toBe(before + 1);
    const detail = await samWeb.get(good.headers.location);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('<h1 class="govuk-heading-l">Housing repairs triage</h1>');
    expect(detail.text).toContain('<li>Surveyor queues</li>');
    expect(detail.text).toContain('<li>Disability</li>');
    expect(detail.text).toContain('Protected characteristics are in scope');
    expect(detail.text).toMatch(/Risk tier: medium/);
    const stored = (await api.as(sam.token).get(`/v1/ai-use-cases/${id}`).expect(200)).body;
    expect(stored.record.purpose.inScope).toEqual(['Repair requests', 'Surveyor queues']);
    expect(stored.record.technology.models).toEqual([{ name: 'triage-v1', provider: 'In house' }]);
    expect(stored.ownerTeam.id).toBe(sam.teamId);

    // Only service teams get the form.
    const reviewer = await signIn(api, rita.token);
    expect((await reviewer.get('/ai-use-cases/new')).status).toBe(403);
  });

  it('shows the detail page: stage steps, revisions, runs, and a gate checked from the page', async () => {
    const check = await samWeb.post(`/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' });
    expect(check.status).toBe(303);
    const [, evaluationId] = /^\/gate-evaluations\/([0-9a-f-]{36})$/.exec(check.headers.location) ?? [];
    expect(evaluationId).toBeDefined();
    // Checking again with nothing changed shows the same evaluation, and says why.
    const again = await samWeb.post(`/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(`/gate-evaluations/${evaluationId}?unchanged=1`);
    const unchanged = await samWeb.get(again.headers.location);
    expect(unchanged.status).toBe(200);
    expect(unchanged.text).toContain(
      'Nothing the gate reads has changed since this evaluation, so it still stands',
    );

    const page = await samWeb.get(`/ai-use-cases/${useCaseId}`);
    expect(page.status).toBe(200);
    const html = page.text;
    // The stage as an ordered list of steps, the current one marked for assistive technology and in words.
    expect(html).toMatch(
      /<li class="gh-stages__step gh-stages__step--current" aria-current="step">\s*<span class="gh-stages__name">Proposed<\/span>\s*<span class="gh-stages__status">Current stage<\/span>/,
    );
    expect(html.match(/aria-current="step"/g)).toHaveLength(1);
    // Output is escaped.
    expect(html).toContain('Drafts one-page summaries of &lt;b&gt;published&lt;/b&gt; papers.');
    // Revisions, newest first, with who and why.
    expect(html).toMatch(
      />2<\/td>\s*<td class="govuk-table__cell gh-wrap">summary<\/td>\s*<td class="govuk-table__cell">Clearer summary<\/td>\s*<td class="govuk-table__cell">Sam<\/td>/,
    );
    expect(html).toMatch(
      />1<\/td>\s*<td[^>]*>[^<]*benefits, data, decision[^<]*<\/td>\s*<td class="govuk-table__cell">Registered<\/td>/,
    );
    // The run, linked to its report.
    expect(html).toContain(`<a class="govuk-link" href="/runs/${runId}">web-yes-no@1</a>`);
    expect(html).toMatch(/Completed/);
    // The gate evaluation, linked, with its verdict, approvals and standing.
    expect(html).toContain(
      `<a class="govuk-link" href="/gate-evaluations/${evaluationId}">proposed to test</a>`,
    );
    expect(html).toMatch(/govuk-tag--red">\s*Fail\s*</); // no target registered, no risks recorded
    expect(html).toMatch(/Pending \(0 of 1 approved\)/);
    expect(html).toMatch(/<td class="govuk-table__cell">\s*Current\s*<\/td>/);
    expect(html).toContain('Check the gate to test');
    expect(html).toContain(`href="/ai-use-cases/${useCaseId}/audit"`);

    // The reviewer reads the same page but cannot ask for a gate check (that is the team's to ask).
    const reviewer = await signIn(api, rita.token);
    const seen = await reviewer.get(`/ai-use-cases/${useCaseId}`);
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain('Check the gate to test');
    const refused = await reviewer.post(`/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Only the team that owns the AI use case can ask for a gate evaluation.');
    const skipped = await samWeb.post(`/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'scale' });
    expect(skipped.status).toBe(409);
    expect(skipped.text).toContain('stage_order');
  });

  it('refuses a gate check to a stage that does not exist, names the stages, and audits the attempt', async () => {
    const refusals = async () =>
      (
        await api.admin
          .get(`/v1/audit-events?action=gate.refused&subjectId=${useCaseId}&limit=200`)
          .expect(200)
      ).body.total as number;
    const before = await refusals();
    const bad = await samWeb.post(`/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'production' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('must be one of test, learn, scale');
    expect(await refusals()).toBe(before + 1);
  });

  it('answers another team’s draft, and ids that are not ids, with the not-found page', async () => {
    for (const url of [
      `/ai-use-cases/${ollysDraft}`,
      `/ai-use-cases/${ollysDraft}/audit`,
      '/ai-use-cases/not-a-uuid',
      '/ai-use-cases/00000000-0000-4000-8000-000000000000',
    ]) {
      const response = await samWeb.get(url);
      expect(response.status).toBe(404);
      expect(response.text).toContain('Page not found');
      expect(response.text).not.toContain('Olly’s secret draft');
    }
    const gate = await samWeb.post(`/ai-use-cases/${ollysDraft}/gate-evaluations`, { to: 'test' });
    expect(gate.status).toBe(404);
  });

  it('refuses a form posted without the session’s CSRF token', async () => {
    const before = await total(api);
    const forged = await samWeb.agent.post('/ai-use-cases').type('form').send(goodForm());
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form has expired or did not come from Gatehouse');
    const wrong = await samWeb.agent
      .post(`/ai-use-cases/${useCaseId}/gate-evaluations`)
      .type('form')
      .send({ _csrf: 'forged', to: 'test' });
    expect(wrong.status).toBe(403);
    expect(await total(api)).toBe(before);
  });

  it('shows the audit trail with the chain’s status to the owning team and reviewers', async () => {
    // Given a gate check (201), or the standing one the detail page test made (200).
    const checked = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${useCaseId}/gate-evaluations`, { to: 'test' });
    expect([200, 201]).toContain(checked.status);
    const page = await samWeb.get(`/ai-use-cases/${useCaseId}/audit`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/The audit chain is intact \((\d+) events checked\)/);
    expect(Number(/intact \((\d+) events/.exec(page.text)?.[1])).toBeGreaterThan(5);
    expect(page.text).toContain('Registered the AI use case');
    expect(page.text).toContain('Changed the record: summary');
    expect(page.text).toContain('Checked a gate to test: failed');
    expect(page.text).toContain('Clearer summary');
    // Newest first.
    expect(page.text.indexOf('Checked a gate')).toBeLessThan(page.text.indexOf('Registered the AI use case'));
    expect(page.text).not.toContain('Olly’s secret draft');

    const engineer = await signIn(api, eve.token); // same team, another role
    expect((await engineer.get(`/ai-use-cases/${useCaseId}/audit`)).status).toBe(200);
    const reviewer = await signIn(api, rita.token);
    expect((await reviewer.get(`/ai-use-cases/${useCaseId}/audit`)).status).toBe(200);
    // An event edited in the database: the page names the first broken one, in words and not by colour alone.
    const events = api.app.get(DataSource).getRepository(AuditEventEntity);
    const target = await events.findOneByOrFail({ seq: 3 });
    await events.update({ seq: 3 }, { reason: 'quietly edited' });
    try {
      const broken = await reviewer.get(`/ai-use-cases/${useCaseId}/audit`);
      expect(broken.status).toBe(200);
      expect(broken.text).not.toContain('The audit chain is intact');
      expect(broken.text).toContain('gh-chain--broken');
      expect(broken.text).toMatch(/The audit chain is broken at event 3:/);
      expect(broken.text).toContain(target.id);
    } finally {
      await events.update({ seq: 3 }, { reason: target.reason });
    }
    expect((await reviewer.get(`/ai-use-cases/${useCaseId}/audit`)).text).toContain(
      'The audit chain is intact',
    );

    const outsider = await signIn(api, olly.token);
    expect((await outsider.get(`/ai-use-cases/${useCaseId}/audit`)).status).toBe(404); // a draft they cannot see
  });
});
