import { describeIntegration } from '@gatehouse/testing';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';

describeIntegration('bad input and authentication', () => {
  let api: TestApi;
  let sam: TestUser;

  beforeAll(async () => {
    api = await TestApi.start({ GATEHOUSE_MAX_BODY_BYTES: String(64 * 1024) });
    sam = await api.user('Sam', ['service_team'], 'Benefits');
  }, 60_000);

  afterAll(() => api?.close());

  /** The audit chain grows with every state change, so an unchanged length proves nothing was written. */
  const auditLength = async () =>
    (await api.admin.get('/v1/audit-events?limit=1').expect(200)).body.total as number;

  const register = (body: string | object, contentType = 'application/json') =>
    api.http
      .post('/v1/ai-use-cases')
      .set('Authorization', `Bearer ${sam.token}`)
      .set('Content-Type', contentType)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  it.each<[string, string | object, number, string[]]>([
    ['malformed JSON', '{"record": {"name": "x",', 400, ['(body)']],
    ['an empty body', '', 400, ['record']],
    ['a JSON array', '[1,2]', 400, ['(body)']],
    ['an unknown top-level field', { record: lowRiskRecord(), colour: 'blue' }, 400, ['colour']],
    [
      'an unknown nested field',
      { record: { ...lowRiskRecord(), decision: { ...lowRiskRecord().decision, vibe: 1 } } },
      400,
      ['record.decision.vibe'],
    ],
    [
      'a wrong type',
      { record: { ...lowRiskRecord(), people: { ...lowRiskRecord().people, children: 'no' } } },
      400,
      ['record.people.children'],
    ],
    ['a bad enum value', { record: { ...lowRiskRecord(), domain: 'space' } }, 400, ['record.domain']],
    ['an over-long string', { record: { ...lowRiskRecord(), name: 'n'.repeat(201) } }, 400, ['record.name']],
    ['a blank string', { record: { ...lowRiskRecord(), summary: '   ' } }, 400, ['record.summary']],
    [
      'a missing required field',
      { record: { ...lowRiskRecord(), ownership: {} } },
      400,
      ['record.ownership.seniorResponsibleOwner'],
    ],
    ['a bad team id', { record: lowRiskRecord(), ownerTeamId: 'team-1' }, 400, ['ownerTeamId']],
    [
      'too many list entries',
      { record: { ...lowRiskRecord(), tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } },
      400,
      ['record.tags'],
    ],
    [
      'an oversized body',
      { record: { ...lowRiskRecord(), summary: 'x'.repeat(70 * 1024) } },
      413,
      ['(body)'],
    ],
  ])('%s → %i naming %p, nothing written', async (_name, body, status, fields) => {
    const before = await auditLength();
    const response = await register(body).expect(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(fields),
    );
    expect(response.body.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    expect(await auditLength()).toBe(before);
  });

  it('names every problem at once', async () => {
    const response = await register({
      record: { ...lowRiskRecord(), name: '', domain: 'space', extra: 1 },
    }).expect(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'record.domain',
      'record.extra',
      'record.name',
    ]);
  });

  it('answers 401 without a token, with a malformed header, a made-up token or a revoked one', async () => {
    await api.http.get('/v1/users/me').expect(401);
    await api.http
      .get('/v1/users/me')
      .set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`)
      .expect(401);
    await api.http
      .get('/v1/users/me')
      .set('Authorization', 'Bearer ghk_made-up-token-that-does-not-exist')
      .expect(401);
    const issued = await api.as(sam.token).post(`/v1/users/${sam.id}/tokens`, { name: 'ci' }).expect(201);
    await api.as(issued.body.token).get('/v1/users/me').expect(200);
    await api
      .as(sam.token)
      .post(`/v1/tokens/${issued.body.id}/revoke`, { reason: 'Leaked in a screenshot' })
      .expect(200);
    const revoked = await api.as(issued.body.token).get('/v1/users/me').expect(401);
    expect(revoked.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    const tokens = await api.as(sam.token).get(`/v1/users/${sam.id}/tokens`).expect(200);
    expect(tokens.body.find((t: { id: string }) => t.id === issued.body.id)).toMatchObject({
      status: 'revoked',
    });
    expect(JSON.stringify(tokens.body)).not.toContain(issued.body.token);
  });

  it('locks out a disabled user, and refuses to disable the last admin', async () => {
    const temp = await api.user('Temp', ['engineer'], 'Benefits');
    await api.as(temp.token).get('/v1/users/me').expect(200);
    await api.admin.patch(`/v1/users/${temp.id}`, { disabled: true, reason: 'Left the team' }).expect(200);
    await api.as(temp.token).get('/v1/users/me').expect(401);
    const me = await api.admin.get('/v1/users/me').expect(200);
    const last = await api.admin.patch(`/v1/users/${me.body.id}`, { disabled: true }).expect(409);
    expect(last.body).toMatchObject({ code: 'conflict', rule: 'keep_one_admin' });
  });

  it('never writes a token into the logs or the audit log', async () => {
    const created = await api.admin.post('/v1/users', { name: 'Logged', roles: ['reviewer'] }).expect(201);
    const enrolment = created.body.enrolment.token as string;
    const token = await api.enrol(enrolment);
    await api.as(token).get('/v1/users/me').expect(200);
    await api.http.get('/v1/users/me').set('Authorization', `Bearer ${token}x`).expect(401);
    const events = await api.admin.get('/v1/audit-events?limit=200').expect(200);
    const everything = JSON.stringify(events.body) + api.logs.join('\n');
    expect(api.logs.length).toBeGreaterThan(0);
    for (const secret of [token, enrolment, ADMIN_TOKEN, sam.token]) {
      expect(everything).not.toContain(secret);
    }
    expect(events.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['api_token.issued', 'user.created', 'enrolment.issued', 'enrolment.exchanged']),
    );
  });
});
