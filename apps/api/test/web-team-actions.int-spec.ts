import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';
import { signIn } from './support/web';

const suiteYaml = () =>
  stubSuiteYaml({ name: 'team-yes-no', dataset: 'team-questions@1', model: 'team-model' });

describeIntegration('the team’s actions on the use case page', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let useCaseId: string;

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub' });
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=team-questions', jsonl(questionItems(6)), 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', suiteYaml(), 'application/yaml').expect(201);
    useCaseId = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
      .body.id;
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('lets the engineer register a suite’s target and start a run from the page', async () => {
    const web = await signIn(api, eve.token);
    const page = await web.get(`/ai-use-cases/${useCaseId}`);
    expect(page.text).toContain('Use the target of suite');
    expect(page.text).toContain('<option value="team-yes-no@1">team-yes-no@1</option>');
    // Engineers handle evidence; the record (risks, publishing) is the service team's.
    expect(page.text).not.toContain('Record a risk');

    const missing = await web.post(`/ai-use-cases/${useCaseId}/target`, { suite: '' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('govuk-error-summary');
    expect(missing.text).toContain('href="#suite"');

    const registered = await web.post(`/ai-use-cases/${useCaseId}/target`, { suite: 'team-yes-no@1' });
    expect(registered.status).toBe(303);
    const view = await api.as(eve.token).get(`/v1/ai-use-cases/${useCaseId}`).expect(200);
    expect(view.body.target.config).toMatchObject({ type: 'openai', model: 'team-model' });
    expect((await web.get(registered.headers.location)).text).toContain('The target is registered.');

    const started = await web.post(`/ai-use-cases/${useCaseId}/runs`, { suite: 'team-yes-no@1' });
    expect(started.status).toBe(303);
    expect(started.headers.location).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
    const runs = await api.as(eve.token).get(`/v1/runs?aiUseCaseId=${useCaseId}`).expect(200);
    expect(runs.body.items).toHaveLength(1);
    expect(runs.body.items[0].createdBy).toBe(eve.id);
  });

  it('lets the service team record a risk (with inline errors) and publish the record', async () => {
    const web = await signIn(api, sam.token);
    const bad = await web.post(`/ai-use-cases/${useCaseId}/risks`, {
      riskDescription: 'Wrong route',
      riskMitigation: '',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Select how likely it is');
    expect(bad.text).toContain('Describe how the risk is reduced');
    expect(bad.text).toContain('Wrong route'); // what was typed stays
    expect((await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}`)).body.record.risks).toEqual([]);

    const added = await web.post(`/ai-use-cases/${useCaseId}/risks`, {
      riskDescription: 'A reply goes to the wrong team',
      riskLikelihood: 'low',
      riskImpact: 'medium',
      riskMitigation: 'Staff confirm each route',
    });
    expect(added.status).toBe(303);
    const record = (await api.as(sam.token).get(`/v1/ai-use-cases/${useCaseId}`)).body.record;
    expect(record.risks).toEqual([
      {
        description: 'A reply goes to the wrong team',
        likelihood: 'low',
        impact: 'medium',
        mitigation: 'Staff confirm each route',
      },
    ]);

    const published = await web.post(`/ai-use-cases/${useCaseId}/transparency-record`);
    expect(published.status).toBe(303);
    expect(published.headers.location).toBe(`/public/transparency-records/${useCaseId}`);
    await api.http.get(`/public/transparency-records/${useCaseId}`).expect(200);
  });

  it('shows a reviewer none of the team’s forms, and refuses their forged posts', async () => {
    const web = await signIn(api, rita.token);
    const page = await web.get(`/ai-use-cases/${useCaseId}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Start run');
    expect(page.text).not.toContain('Record a risk');
    const forged = await web.post(`/ai-use-cases/${useCaseId}/runs`, { suite: 'team-yes-no@1' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('role_engineer_or_service_team');
    const noCsrf = await web.agent
      .post(`/ai-use-cases/${useCaseId}/transparency-record`)
      .type('form')
      .send({});
    expect(noCsrf.status).toBe(403);
  });
});
