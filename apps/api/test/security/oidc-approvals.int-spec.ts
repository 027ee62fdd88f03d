import {
  describeIntegration,
  reservePort,
  jsonl,
  type OpenAiStub,
  questionItems,
  signInThroughProvider,
  startOpenAiStub,
  startTestOidcProvider,
  stubSuiteYaml,
  type TestOidcProvider,
} from '@gatehouse/testing';
import { givenEvidenceFor, givenPassingEvaluation, type UseCaseGiven } from '../support/givens';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';
import { signIn } from '../support/web';

const CLIENT_ID = 'gatehouse-approvals';
const CLIENT_SECRET = 'approvals-client-secret-0123';

/** Every gate as the gates test has it, with approvals that count only from identity-provider sessions. */
function viaOidcPolicy() {
  const suite = [{ kind: 'suite_passed', suite: 'yes-no', maxAgeDays: 30 }];
  const approvals = (count: number) => ({ kind: 'approvals', count, role: 'reviewer', via: 'oidc' });
  const gates = (['low', 'medium', 'high'] as const).flatMap((tier) => [
    {
      tier,
      to: 'test',
      rules: [...suite, { kind: 'evidence', requirement: 'risks_recorded' }, approvals(1)],
    },
    { tier, to: 'learn', rules: [...suite, approvals(1)] },
    { tier, to: 'scale', rules: [...suite, approvals(1)] },
  ]);
  return { description: 'approvals in identity-provider sessions only', gates };
}

describeIntegration('a gate that counts only approvals made in identity-provider sessions', () => {
  let provider: TestOidcProvider;
  let stub: OpenAiStub;
  let api: TestApi;
  let gatehouseUrl: string;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;
  let evaluation: { id: string; hash: string };

  beforeAll(async () => {
    const reserved = await reservePort();
    const { port } = reserved;
    gatehouseUrl = `http://127.0.0.1:${port}`;
    provider = await startTestOidcProvider({
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${gatehouseUrl}/sign-in/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
    });
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_PUBLIC_URL: gatehouseUrl,
      GATEHOUSE_OIDC_ISSUER: provider.issuer,
      GATEHOUSE_OIDC_CLIENT_ID: CLIENT_ID,
      GATEHOUSE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GATEHOUSE_OIDC_ALLOW_HTTP: 'true',
      GATEHOUSE_OIDC_ROLE_MAP: 'ai-assurance=reviewer',
    });
    await reserved.listen(api.app.getHttpServer());
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=gate-questions', jsonl(questionItems(20)), 'application/x-ndjson')
      .expect(201);
    const suite = stubSuiteYaml({
      name: 'yes-no',
      dataset: 'gate-questions@1',
      concurrency: 4,
      thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.5 }],
    });
    await api.as(eve.token).upload('/v1/suites', suite, 'application/yaml').expect(201);
    await api.admin.post('/v1/gate-policies', viaOidcPolicy()).expect(201);
    const given: UseCaseGiven = {
      cast: { owner: sam, engineer: eve, reviewers: [rita] },
      suite: 'yes-no@1',
      target: { type: 'openai', model: 'stub-model', connection: 'stub' },
    };
    const created = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    await givenEvidenceFor(api, created.body.id, 'test', given);
    evaluation = await givenPassingEvaluation(api, created.body.id, 'test', given);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
    await provider?.close();
  });

  it('refuses a reviewer approving with an API token, and on a page opened with one', async () => {
    const refused = await api
      .as(rita.token)
      .post(`/v1/gate-evaluations/${evaluation.id}/approvals`, {
        decision: 'approve',
        reason: 'Evidence checked',
        evaluationHash: evaluation.hash,
      })
      .expect(403);
    expect(refused.body.title).toMatch(/separation of duties/i);
    expect(JSON.stringify(refused.body)).toContain('approver_not_signed_in_via_oidc');

    const web = await signIn(api, rita.token);
    const page = await web.get(`/gate-evaluations/${evaluation.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('signed in with an API token');
    const posted = await web.post(`/gate-evaluations/${evaluation.id}/decisions`, {
      decision: 'approve',
      reason: 'Evidence checked',
      evaluationHash: evaluation.hash,
    });
    expect(posted.status).toBe(403);
    const decisions = (await api.as(sam.token).get(`/v1/gate-evaluations/${evaluation.id}`).expect(200)).body
      .approvals.decisions;
    expect(decisions).toEqual([]);
  });

  it('lets a reviewer signed in through the identity provider approve, and records how', async () => {
    await provider.setAccount('olu-sub', { name: 'Olu Reviewer', groups: ['ai-assurance'] });
    const { sessionCookie } = await signInThroughProvider({ gatehouseUrl, login: 'olu-sub' });
    expect(sessionCookie).toBeDefined();
    const cookie = `gh_session=${sessionCookie as string}`;
    const page = await api.http.get(`/gate-evaluations/${evaluation.id}`).set('Cookie', cookie).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect(page.text).toContain('name="evaluationHash"');
    const decided = await api.http
      .post(`/gate-evaluations/${evaluation.id}/decisions`)
      .set('Cookie', cookie)
      .type('form')
      .send({
        _csrf: csrf,
        decision: 'approve',
        reason: 'Evidence checked',
        evaluationHash: evaluation.hash,
      });
    expect(decided.status).toBe(303);
    const view = (await api.as(sam.token).get(`/v1/gate-evaluations/${evaluation.id}`).expect(200)).body;
    expect(view.approvals.state).toBe('approved');
    expect(view.approvals.decisions).toEqual([
      expect.objectContaining({ approverName: 'Olu Reviewer', decision: 'approve', via: 'oidc' }),
    ]);
    const shown = await api.http.get(`/gate-evaluations/${evaluation.id}`).set('Cookie', cookie).expect(200);
    expect(shown.text).toContain('signed in through the identity provider');
    const approved = (await api.admin.get('/v1/audit-events?action=gate.approved&limit=10').expect(200)).body
      .items;
    expect(approved[0].after).toMatchObject({ via: 'oidc' });
  });
});
