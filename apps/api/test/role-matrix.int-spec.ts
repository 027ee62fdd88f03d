import { DEFAULT_GATE_POLICY, DEFAULT_LIVE_SETTINGS } from '@gatehouse/domain';
import { describeIntegration, type OpenAiStub, startOpenAiStub } from '@gatehouse/testing';
import { buildOpenApiDocument } from '../src/openapi/openapi';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';

type Who = 'anonymous' | 'service_team' | 'engineer' | 'reviewer' | 'admin';
const WHO: Who[] = ['anonymous', 'service_team', 'engineer', 'reviewer', 'admin'];

interface Fixtures {
  sam: TestUser;
  useCaseId: string;
  runId: string;
  evaluationId: string;
  unique: () => string;
}

interface RouteCase {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** The path as the OpenAPI document names it. */
  path: string;
  url: (f: Fixtures) => string;
  body?: (f: Fixtures) => object;
  /** A text body (JSONL, YAML) and its media type, for the upload routes. */
  upload?: { type: string; text: (f: Fixtures) => string };
  /** What the case needs done first, through the API, so it holds when it runs alone (`-t`). */
  given?: (api: TestApi, f: Fixtures, who: Who) => Promise<unknown> | undefined;
  expected: Record<Who, number>;
}

const all = (status: number): Record<Who, number> => ({
  anonymous: 401,
  service_team: status,
  engineer: status,
  reviewer: status,
  admin: status,
});
const only = (allowed: Partial<Record<Who, number>>): Record<Who, number> => ({
  anonymous: 401,
  service_team: 403,
  engineer: 403,
  reviewer: 403,
  admin: 403,
  ...allowed,
});

/**
 * Who may call what. The service-team member owns the use case; the engineer is in the same team; the
 * reviewer is in an assurance team; the admin is in the platform team. Every documented route must be here.
 */
/** The endpoint the last `givenWebhookEndpoint` made (each case gets a fresh one, so it holds alone). */
let webhookEndpointId = '';
const givenWebhookEndpoint = async (api: TestApi) => {
  const made = await api.admin
    .post('/v1/webhook-endpoints', { name: 'bridge', url: 'http://127.0.0.1:9/hook', events: ['run.failed'] })
    .expect(201);
  webhookEndpointId = made.body.id;
};

/**
 * A review sample of the fixture run, drawn by the owning team's member the first time a case asks for one
 * and read back after (a run holds at most 20 samples, fewer than the cases that need one).
 */
let reviewSampleId = '';
let importedRaters = 0;
const givenReviewSample = async (api: TestApi, f: Fixtures) => {
  const listed = await api.as(f.sam.token).get(`/v1/runs/${f.runId}/review-samples`).expect(200);
  const existing = (listed.body.items as { id: string }[])[0];
  if (existing) {
    reviewSampleId = existing.id;
    return;
  }
  const drawn = await api
    .as(f.sam.token)
    .post(`/v1/runs/${f.runId}/review-samples`, { size: 1, seed: 1 })
    .expect(201);
  reviewSampleId = drawn.body.id;
};

const MATRIX: RouteCase[] = [
  // First: the reviewer decides before anything changes the use case (a change voids the evaluation).
  {
    method: 'get',
    path: '/v1/gate-evaluations/{id}',
    url: (f) => `/v1/gate-evaluations/${f.evaluationId}`,
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/gate-evaluations/{id}/verification',
    url: (f) => `/v1/gate-evaluations/${f.evaluationId}/verification`,
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/gate-evaluations/{id}/approvals',
    url: (f) => `/v1/gate-evaluations/${f.evaluationId}/approvals`,
    body: () => ({ decision: 'reject', reason: 'No target is registered yet.' }),
    expected: only({ reviewer: 201 }),
  },
  { method: 'get', path: '/v1/users/me', url: () => '/v1/users/me', expected: all(200) },
  // What waits for the caller: everyone signed in gets their own list (it filters, it never refuses).
  { method: 'get', path: '/v1/me/work', url: () => '/v1/me/work', expected: all(200) },
  { method: 'get', path: '/v1/teams', url: () => '/v1/teams', expected: all(200) },
  // Provider connections: everyone sees those their team may use; only admins change them.
  { method: 'get', path: '/v1/connections', url: () => '/v1/connections', expected: all(200) },
  { method: 'get', path: '/v1/connections/{name}', url: () => '/v1/connections/stub', expected: all(200) },
  { method: 'get', path: '/v1/langchain-modules', url: () => '/v1/langchain-modules', expected: all(200) },
  // Webhooks and notification deliveries: admins only.
  {
    method: 'get',
    path: '/v1/webhook-endpoints',
    url: () => '/v1/webhook-endpoints',
    expected: only({ admin: 200 }),
  },
  {
    method: 'post',
    path: '/v1/webhook-endpoints',
    url: () => '/v1/webhook-endpoints',
    body: () => ({ name: 'bridge', url: 'http://127.0.0.1:9/hook', events: ['use_case.promoted'] }),
    expected: only({ admin: 201 }),
  },
  {
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    url: () => `/v1/webhook-endpoints/${webhookEndpointId}`,
    given: givenWebhookEndpoint,
    expected: only({ admin: 200 }),
  },
  {
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    url: () => `/v1/webhook-endpoints/${webhookEndpointId}/rotate-secret`,
    given: givenWebhookEndpoint,
    expected: only({ admin: 200 }),
  },
  {
    method: 'get',
    path: '/v1/webhook-deliveries',
    url: () => '/v1/webhook-deliveries?status=failed&limit=10',
    expected: only({ admin: 200 }),
  },
  {
    method: 'post',
    path: '/v1/webhook-deliveries/{id}/replay',
    url: () => '/v1/webhook-deliveries/00000000-0000-4000-8000-000000000000/replay',
    expected: only({ admin: 404 }),
  },
  {
    method: 'post',
    path: '/v1/connections',
    url: () => '/v1/connections',
    body: (f) => ({ name: f.unique(), kind: 'openai', baseUrl: 'http://10.0.0.1/v1', teams: ['*'] }),
    // The admin reaches the egress check, which refuses a private address nobody allow-listed.
    expected: only({ admin: 400 }),
  },
  {
    method: 'patch',
    path: '/v1/connections/{name}',
    url: () => '/v1/connections/stub',
    body: () => ({ description: 'the tests’ model stub' }),
    expected: only({ admin: 200 }),
  },
  {
    method: 'delete',
    path: '/v1/connections/{name}',
    url: () => '/v1/connections/unknown-connection',
    expected: only({ admin: 404 }),
  },
  {
    method: 'post',
    path: '/v1/teams',
    url: () => '/v1/teams',
    body: (f) => ({ name: f.unique() }),
    expected: only({ admin: 201 }),
  },
  { method: 'get', path: '/v1/users', url: () => '/v1/users', expected: only({ admin: 200 }) },
  {
    method: 'post',
    path: '/v1/users',
    url: () => '/v1/users',
    body: (f) => ({ name: f.unique(), roles: ['reviewer'] }),
    expected: only({ admin: 201 }),
  },
  {
    method: 'get',
    path: '/v1/users/{id}',
    url: (f) => `/v1/users/${f.sam.id}`,
    expected: only({ service_team: 200, admin: 200 }),
  },
  {
    method: 'patch',
    path: '/v1/users/{id}',
    url: (f) => `/v1/users/${f.sam.id}`,
    body: () => ({ name: 'Sam' }),
    expected: only({ admin: 200 }),
  },
  {
    method: 'get',
    path: '/v1/users/{id}/tokens',
    url: (f) => `/v1/users/${f.sam.id}/tokens`,
    expected: only({ service_team: 200, admin: 200 }),
  },
  {
    method: 'post',
    path: '/v1/users/{id}/tokens',
    url: (f) => `/v1/users/${f.sam.id}/tokens`,
    body: (f) => ({ name: f.unique() }),
    expected: only({ service_team: 201 }), // only for yourself: admins cannot mint tokens for others
  },
  {
    method: 'post',
    path: '/v1/users/me/tokens',
    url: () => '/v1/users/me/tokens',
    body: (f) => ({ name: f.unique() }),
    expected: all(201),
  },
  {
    method: 'post',
    path: '/v1/users/{id}/enrolment',
    url: () => '/v1/users/00000000-0000-4000-8000-000000000000/enrolment',
    body: () => ({}),
    expected: only({ admin: 404 }),
  },
  {
    method: 'post',
    path: '/v1/enrolments',
    url: () => '/v1/enrolments',
    body: () => ({ token: 'ghe_not-an-enrolment-token-at-all' }),
    expected: all(401), // public: the enrolment token is the credential
  },
  {
    method: 'post',
    path: '/v1/tokens/{id}/revoke',
    url: () => '/v1/tokens/00000000-0000-4000-8000-000000000000/revoke',
    body: () => ({}),
    expected: all(404),
  },
  {
    method: 'post',
    path: '/v1/ai-use-cases',
    url: () => '/v1/ai-use-cases',
    body: () => ({ record: lowRiskRecord() }),
    expected: only({ service_team: 201 }),
  },
  { method: 'get', path: '/v1/ai-use-cases', url: () => '/v1/ai-use-cases', expected: all(200) },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}`,
    expected: all(200),
  },
  {
    method: 'patch',
    path: '/v1/ai-use-cases/{id}',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}`,
    body: (f) => ({ changes: { summary: f.unique() } }),
    expected: only({ service_team: 200 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/revisions',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/revisions`,
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/ai-use-cases/{id}/risk-tier-override',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/risk-tier-override`,
    body: () => ({ tier: 'medium', reason: 'A reviewer judged the impact to be limited.' }),
    expected: only({ reviewer: 200 }),
  },
  {
    method: 'get',
    path: '/v1/audit-events',
    url: () => '/v1/audit-events',
    expected: only({ reviewer: 200, admin: 200 }),
  },
  {
    method: 'get',
    path: '/v1/audit-events/verify',
    url: () => '/v1/audit-events/verify',
    expected: only({ reviewer: 200, admin: 200 }),
  },
  {
    method: 'post',
    path: '/v1/datasets',
    url: (f) => `/v1/datasets?name=${f.unique()}`,
    upload: { type: 'application/x-ndjson', text: () => '{"id":"a","input":"hello"}' },
    expected: only({ engineer: 201 }),
  },
  { method: 'get', path: '/v1/datasets', url: () => '/v1/datasets', expected: all(200) },
  {
    method: 'get',
    path: '/v1/datasets/{name}/versions/{version}',
    url: () => '/v1/datasets/matrix-items/versions/1',
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/datasets/{name}/versions/{version}/items',
    url: () => '/v1/datasets/matrix-items/versions/1/items',
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/suites',
    url: () => '/v1/suites',
    upload: { type: 'application/yaml', text: (f) => matrixSuite(f.unique()) },
    expected: only({ engineer: 201 }),
  },
  { method: 'get', path: '/v1/suites', url: () => '/v1/suites', expected: all(200) },
  {
    method: 'get',
    path: '/v1/suites/{name}/versions/{version}',
    url: () => '/v1/suites/matrix-suite/versions/1',
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/cassettes',
    url: (f) => `/v1/cassettes?name=${f.unique()}`,
    upload: { type: 'application/x-ndjson', text: () => '{"key":"k1","response":{"output":"hello"}}' },
    expected: only({ engineer: 201 }),
  },
  { method: 'get', path: '/v1/cassettes', url: () => '/v1/cassettes', expected: all(200) },
  {
    method: 'post',
    path: '/v1/runs',
    url: () => '/v1/runs',
    body: () => ({ suite: 'matrix-suite@1' }),
    expected: only({ engineer: 202, service_team: 202 }),
  },
  { method: 'get', path: '/v1/runs', url: () => '/v1/runs', expected: all(200) },
  { method: 'get', path: '/v1/runs/{id}', url: (f) => `/v1/runs/${f.runId}`, expected: all(200) },
  {
    method: 'get',
    path: '/v1/runs/{id}/results',
    url: (f) => `/v1/runs/${f.runId}/results`,
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/events',
    url: (f) => `/v1/runs/${f.runId}/events`,
    expected: all(200),
  },
  {
    // Who may cancel which run is tested with the runs; here only that a token is needed.
    method: 'post',
    path: '/v1/runs/{id}/cancel',
    url: () => '/v1/runs/00000000-0000-4000-8000-000000000000/cancel',
    body: () => ({}),
    expected: all(404),
  },
  {
    method: 'get',
    path: '/v1/runs/{a}/compare/{b}',
    url: (f) => `/v1/runs/${f.runId}/compare/${f.runId}`,
    expected: all(200),
  },
  // Human review: reviewers, or engineers and service teams of the owning team, draw and review; admin alone
  // may only read. Each case that needs a sample draws a fresh one first (so it holds alone).
  {
    method: 'post',
    path: '/v1/runs/{id}/review-samples',
    url: (f) => `/v1/runs/${f.runId}/review-samples`,
    body: () => ({ size: 1, seed: 1 }),
    expected: only({ service_team: 201, engineer: 201, reviewer: 201 }),
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/review-samples',
    url: (f) => `/v1/runs/${f.runId}/review-samples`,
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/review-samples/{id}',
    url: () => `/v1/review-samples/${reviewSampleId}`,
    given: givenReviewSample,
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/review-samples/{id}/items/{position}',
    url: () => `/v1/review-samples/${reviewSampleId}/items/1`,
    given: givenReviewSample,
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/review-samples/{id}/items/{position}/reviews',
    url: () => `/v1/review-samples/${reviewSampleId}/items/1/reviews`,
    given: givenReviewSample,
    body: () => ({ verdicts: { includes: { agree: true } } }),
    expected: only({ service_team: 201, engineer: 201, reviewer: 201 }),
  },
  {
    method: 'get',
    path: '/v1/review-samples/{id}/reviews.jsonl',
    url: () => `/v1/review-samples/${reviewSampleId}/reviews.jsonl`,
    given: givenReviewSample,
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/review-samples/{id}/reviews.jsonl',
    url: () => `/v1/review-samples/${reviewSampleId}/reviews.jsonl`,
    given: givenReviewSample,
    upload: {
      type: 'application/x-ndjson',
      // A rater of the case's own: the cases share one sample, and a rater already counted there is refused.
      text: () =>
        `{"position":1,"reviewer":"Kim ${(importedRaters += 1)}","verdicts":{"includes":{"agree":true}}}`,
    },
    expected: only({ service_team: 201, engineer: 201, reviewer: 201 }),
  },
  // Stage gates; the new policy version comes last (it voids every open evaluation).
  {
    method: 'put',
    path: '/v1/ai-use-cases/{id}/target',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/target`,
    body: (f) => ({ target: { type: 'openai', model: f.unique(), connection: 'stub' } }),
    expected: only({ service_team: 200, engineer: 200 }),
  },
  {
    method: 'post',
    path: '/v1/ai-use-cases/{id}/gate-evaluations',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/gate-evaluations`,
    body: () => ({ to: 'test' }),
    // The service team asks after a record change, so it gets a new evaluation; nothing changes before the
    // other two ask, so they get the standing one (that one, or the fixtures' when asked alone).
    given: (api, f, who) =>
      who === 'service_team'
        ? api
            .as(f.sam.token)
            .patch(`/v1/ai-use-cases/${f.useCaseId}`, { changes: { summary: f.unique() } })
            .expect(200)
        : undefined,
    expected: only({ service_team: 201, engineer: 200, admin: 200 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/gate-evaluations',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/gate-evaluations`,
    expected: all(200),
  },
  {
    // Allowed callers reach the check of the evaluation id.
    method: 'post',
    path: '/v1/ai-use-cases/{id}/promotions',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/promotions`,
    body: () => ({ evaluationId: '00000000-0000-4000-8000-000000000000' }),
    expected: only({ service_team: 400, admin: 400 }),
  },
  {
    // Allowed callers reach the stage rule: proposed → test is not a step back.
    method: 'post',
    path: '/v1/ai-use-cases/{id}/stage-changes',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/stage-changes`,
    body: () => ({ to: 'test', reason: 'matrix probe' }),
    expected: only({ service_team: 409, reviewer: 409, admin: 409 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/stage-changes',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/stage-changes`,
    expected: all(200),
  },
  {
    // The owning team reaches the stage rule: pilots are recorded at learn.
    method: 'post',
    path: '/v1/ai-use-cases/{id}/pilot-observations',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/pilot-observations`,
    body: () => ({
      periodStart: '2026-10-01',
      periodEnd: '2026-10-31',
      cases: 10,
      overrides: 1,
      undone: 0,
      complaints: 0,
      incidents: 0,
    }),
    expected: only({ service_team: 409, engineer: 409 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/pilot-observations',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/pilot-observations`,
    expected: all(200),
  },
  // Live use (issue 15): the owning team reaches the stage rule (tokens from test on); everyone signed in
  // here may read (the reviewer and admin are assurance and platform; another team would get 403).
  {
    method: 'post',
    path: '/v1/ai-use-cases/{id}/ingest-tokens',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/ingest-tokens`,
    body: () => ({ name: 'matrix' }),
    expected: only({ service_team: 409, engineer: 409 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/ingest-tokens',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/ingest-tokens`,
    expected: all(200),
  },
  {
    // Admins may revoke (an emergency brake); the owning team and the admin reach "no such token".
    method: 'delete',
    path: '/v1/ai-use-cases/{id}/ingest-tokens/{tokenId}',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/ingest-tokens/00000000-0000-4000-8000-000000000000`,
    expected: only({ service_team: 404, engineer: 404, admin: 404 }),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/live-settings',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/live-settings`,
    expected: all(200),
  },
  {
    method: 'put',
    path: '/v1/ai-use-cases/{id}/live-settings',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/live-settings`,
    body: () => DEFAULT_LIVE_SETTINGS,
    expected: only({ service_team: 200, engineer: 200 }),
  },
  {
    // The derived pilot measures: whoever may see the use case reads them.
    method: 'get',
    path: '/v1/ai-use-cases/{id}/live-measures',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/live-measures?from=2026-11-01&to=2026-11-30`,
    expected: all(200),
  },
  {
    // Live data in: the use case's ingest token is the credential, so no user's API token opens these.
    method: 'post',
    path: '/v1/otlp/v1/traces',
    url: () => '/v1/otlp/v1/traces',
    body: () => ({}),
    expected: all(401),
  },
  {
    method: 'post',
    path: '/v1/live/interactions',
    url: () => '/v1/live/interactions',
    body: () => ({}),
    expected: all(401),
  },
  {
    method: 'post',
    path: '/v1/live/feedback',
    url: () => '/v1/live/feedback',
    body: () => ({}),
    expected: all(401),
  },
  {
    method: 'post',
    path: '/v1/live/heartbeat',
    url: () => '/v1/live/heartbeat',
    body: () => ({}),
    expected: all(401),
  },
  // The watch: whoever may see the use case reads its alerts and re-evaluations; who may resolve an alert
  // depends on its kind (the domain decides), so every caller reaches "no such alert".
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/watch-alerts',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/watch-alerts`,
    expected: all(200),
  },
  {
    method: 'get',
    path: '/v1/ai-use-cases/{id}/reevaluations',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/reevaluations`,
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/watch-alerts/{id}/resolve',
    url: () => '/v1/watch-alerts/00000000-0000-4000-8000-000000000000/resolve',
    body: () => ({ note: 'matrix probe' }),
    expected: all(404),
  },
  {
    method: 'post',
    path: '/v1/ai-use-cases/{id}/transparency-record',
    url: (f) => `/v1/ai-use-cases/${f.useCaseId}/transparency-record`,
    body: () => ({}),
    expected: only({ service_team: 201, admin: 201 }),
  },
  {
    method: 'get',
    path: '/public/transparency-records',
    url: () => '/public/transparency-records',
    expected: { ...all(200), anonymous: 200 },
  },
  {
    method: 'get',
    path: '/public/transparency-records/{id}',
    url: (f) => `/public/transparency-records/${f.useCaseId}`,
    expected: { ...all(200), anonymous: 200 },
  },
  { method: 'get', path: '/v1/gate-policies', url: () => '/v1/gate-policies', expected: all(200) },
  {
    method: 'get',
    path: '/v1/gate-policies/{version}',
    url: () => '/v1/gate-policies/1',
    expected: all(200),
  },
  {
    method: 'post',
    path: '/v1/gate-policies',
    url: () => '/v1/gate-policies',
    body: () => DEFAULT_GATE_POLICY,
    expected: only({ admin: 201 }),
  },
];

const matrixSuite = (name: string) =>
  `name: ${name}\nversion: 1\ndataset: matrix-items@1\ntarget: { type: openai, model: stub, connection: stub }\nscorers:\n  - { type: includes, values: [hello] }\n`;

const PUBLIC_ROUTES = ['/health/live', '/health/ready', '/metrics'];

describeIntegration('role × route matrix', () => {
  let api: TestApi;
  let fixtures: Fixtures;
  let stub: OpenAiStub;
  const tokens = {} as Record<Who, string | null>;

  beforeAll(async () => {
    stub = await startOpenAiStub();
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub' });
    await api.connection('stub', stub.url);
    const sam = await api.user('Sam', ['service_team'], 'Benefits');
    const eve = await api.user('Eve', ['engineer'], 'Benefits');
    const rita = await api.user('Rita', ['reviewer'], 'Assurance');
    const created = await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201);
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=matrix-items', '{"id":"a","input":"hello"}', 'application/x-ndjson')
      .expect(201);
    await api.as(eve.token).upload('/v1/suites', matrixSuite('matrix-suite'), 'application/yaml').expect(201);
    const run = await api.as(eve.token).post('/v1/runs', { suite: 'matrix-suite@1' }).expect(202);
    const { status } = await api.waitForRun(run.body.id, eve.token);
    if (status !== 'completed') {
      throw new Error(`the fixture run ended ${status}, not completed`);
    }
    const evaluation = await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${created.body.id}/gate-evaluations`, { to: 'test' })
      .expect(201);
    let counter = 0;
    fixtures = {
      sam,
      useCaseId: created.body.id,
      runId: run.body.id,
      evaluationId: evaluation.body.id,
      unique: () => `unique-${++counter}`,
    };
    Object.assign(tokens, {
      anonymous: null,
      service_team: sam.token,
      engineer: eve.token,
      reviewer: rita.token,
      admin: ADMIN_TOKEN,
    });
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('covers every documented route', () => {
    const documented = Object.entries(buildOpenApiDocument(api.app).paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(MATRIX.map((c) => `${c.method} ${c.path}`).sort()).toEqual(documented.sort());
  });

  const cases = MATRIX.flatMap((route) =>
    WHO.map((who) => [`${route.method.toUpperCase()} ${route.path}`, who, route] as const),
  );

  it.each(cases)('%s as %s', async (_name, who, route) => {
    await route.given?.(api, fixtures, who);
    let call = api.http[route.method](route.url(fixtures));
    const token = tokens[who];
    if (token) {
      call = call.set('Authorization', `Bearer ${token}`);
    }
    if (route.upload) {
      call = call.set('Content-Type', route.upload.type).send(route.upload.text(fixtures));
    }
    const response = await (route.body ? call.send(route.body(fixtures)) : call);
    const isProblem = /^application\/problem\+json/.test(response.headers['content-type'] ?? '');
    expect({ status: response.status, problemJsonWhenFailed: response.status < 400 || isProblem }).toEqual({
      status: route.expected[who],
      problemJsonWhenFailed: true,
    });
  });

  it.each(PUBLIC_ROUTES)('%s needs no token', async (url) => {
    await api.http.get(url).expect(200);
  });
});
