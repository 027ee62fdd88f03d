import { AttestationService } from '@gatehouse/application';
import {
  AuditEventEntity,
  managerOf,
  NotificationEventEntity,
  UnitOfWork,
  WatchAlertEntity,
} from '@gatehouse/persistence';
import {
  describeIntegration,
  jsonl,
  type OpenAiStub,
  questionItems,
  startOpenAiStub,
  stubSuiteYaml,
} from '@gatehouse/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { givenUseCaseAt, type UseCaseGiven, suitePassedPolicy } from '../support/givens';
import { lowRiskRecord } from '../support/records';
import { TestApi, type TestUser } from '../support/test-api';

jest.setTimeout(180_000);

const hash = () => randomBytes(32).toString('hex');

describeIntegration('attacks on the watch', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let uow: UnitOfWork;
  let attestation: AttestationService;
  let sam: TestUser; // Benefits service team
  let eve: TestUser; // Benefits engineer
  let rex: TestUser; // reviewer inside Benefits
  let rita: TestUser; // independent reviewer
  let olly: TestUser; // another team's service team
  let ada: TestUser; // admin
  /** A Benefits use case at learn, and another team's at learn. */
  let ours: string;
  let theirs: string;

  const given = (owner: TestUser, engineer: TestUser): UseCaseGiven => ({
    cast: { owner, engineer, reviewers: [rita] },
    suite: 'yes-no@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });
  const count = (
    entity: typeof NotificationEventEntity | typeof AuditEventEntity | typeof WatchAlertEntity,
    where: object,
  ) => uow.read((tx) => managerOf(tx).countBy(entity, where as never));
  const openAlerts = (id: string) =>
    uow.read((tx) => managerOf(tx).findBy(WatchAlertEntity, { aiUseCaseId: id, status: 'open' }));
  const useCase = async (id: string) =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${id}`).expect(200)).body;
  /** An open alert of `kind` stored for the use case, as the watch would have opened it. */
  const alertOf = async (aiUseCaseId: string, kind: string): Promise<string> => {
    const id = randomUUID();
    const key = `${kind}:${id}`;
    await uow.write((tx) =>
      managerOf(tx).insert(WatchAlertEntity, {
        id,
        aiUseCaseId,
        kind,
        dedupeKey: key,
        openKey: key,
        status: 'open',
        summary: `a ${kind} alert`,
        details: {},
        openedAt: new Date(),
        resolvedAt: null,
        resolvedBy: null,
      } as never),
    );
    return id;
  };
  const resolve = (token: string, alertId: string, body: object = { note: 'Looked at it' }) =>
    api.as(token).post(`/v1/watch-alerts/${alertId}/resolve`, body);

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_INGEST_TOKEN_CACHE_MS: '0' });
    uow = api.app.get(UnitOfWork);
    attestation = api.app.get(AttestationService);
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rex = await api.user('Rex', ['reviewer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    olly = await api.user('Olly', ['service_team'], 'Parking');
    const otto = await api.user('Otto', ['engineer'], 'Parking');
    ada = await api.user('Ada', ['admin'], null);
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=attack-questions', jsonl(questionItems(20)), 'application/x-ndjson')
      .expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        stubSuiteYaml({ name: 'yes-no', dataset: 'attack-questions@1' }),
        'application/yaml',
      )
      .expect(201);
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('yes-no')).expect(201);
    ours = await givenUseCaseAt(api, 'learn', given(sam, eve));
    theirs = await givenUseCaseAt(api, 'learn', given(olly, otto));
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  it('a service cycling random (and malformed) hashes opens one alert, lists at most 10, and notifies once', async () => {
    const id = await givenUseCaseAt(api, 'learn', given(sam, eve));
    for (let i = 0; i < 300; i++) {
      await attestation.attest(id, [hash(), hash(), 'zz', 'A'.repeat(64), `${hash()}00`], 'heartbeat');
    }
    // One call with a flood of hashes reads at most 50 of them.
    await attestation.attest(id, Array.from({ length: 10_000 }, hash), 'trace');
    const open = await openAlerts(id);
    expect(open).toHaveLength(1);
    expect(open[0]?.kind).toBe('config_mismatch');
    expect((open[0]?.details.hashes as string[]).length).toBe(10);
    expect(open[0]?.details).toMatchObject({ distinct: 11, more: true });
    expect(await count(WatchAlertEntity, { aiUseCaseId: id })).toBe(1);
    expect(await count(NotificationEventEntity, { aiUseCaseId: id, type: 'use_case.config_mismatch' })).toBe(
      1,
    );
    // Audited once when opened; hashes past the list's cap write nothing more.
    expect(await count(AuditEventEntity, { subjectId: id, action: 'ai_use_case.config_mismatch' })).toBe(1);
  });

  it("another team's ingest token reports against its own use case only: ours is never marked", async () => {
    const minted = await api
      .as(olly.token)
      .post(`/v1/ai-use-cases/${theirs}/ingest-tokens`, { name: 'parking heartbeat' })
      .expect(201);
    await api.http
      .post('/v1/live/heartbeat')
      .set('Authorization', `Bearer ${minted.body.token}`)
      .set('Content-Type', 'application/json')
      .send({ configHash: hash(), aiUseCaseId: ours })
      .expect((res) => expect([200, 201, 400]).toContain(res.status));
    await api.http
      .post('/v1/live/heartbeat')
      .set('Authorization', `Bearer ${minted.body.token}`)
      .set('Content-Type', 'application/json')
      .send({ configHash: hash() })
      .expect((res) => expect([200, 201, 202]).toContain(res.status));
    expect((await useCase(ours)).underChangeSince).toBeNull();
    expect(await openAlerts(ours)).toEqual([]);
    expect(
      (await api.as(olly.token).get(`/v1/ai-use-cases/${theirs}`).expect(200)).body.underChangeSince,
    ).not.toBeNull();
    // Our own team cannot mint a token for their use case either.
    await api
      .as(sam.token)
      .post(`/v1/ai-use-cases/${theirs}/ingest-tokens`, { name: 'borrowed' })
      .expect((res) => expect([403, 404]).toContain(res.status));
  });

  it('a configuration mismatch is resolved by nobody by hand: not the team, not a reviewer, not an admin', async () => {
    await attestation.attest(ours, [hash()], 'heartbeat');
    const [mismatch] = await openAlerts(ours);
    expect(mismatch?.kind).toBe('config_mismatch');
    for (const who of [sam, eve, rita]) {
      const refused = await resolve(who.token, mismatch?.id as string).expect(409);
      expect(refused.body.rule).toBe('config_mismatch_resolved_by_reapproval');
    }
    const byAdmin = await resolve(ada.token, mismatch?.id as string);
    expect([403, 409]).toContain(byAdmin.status);
    expect((await openAlerts(ours)).map((a) => a.id)).toContain(mismatch?.id);
    expect((await useCase(ours)).underChangeSince).not.toBeNull();
  });

  it('a regression needs an independent reviewer; the team and a reviewer inside it are refused', async () => {
    const alert = await alertOf(ours, 'regression');
    expect((await resolve(sam.token, alert).expect(403)).body.rule).toBe(
      'watch_alert_resolved_by_reviewer_or_team',
    );
    expect((await resolve(rex.token, alert).expect(403)).body.rule).toBe(
      'watch_alert_resolved_by_reviewer_or_team',
    );
    expect((await resolve(ada.token, alert).expect(403)).body.rule).toBe(
      'watch_alert_resolved_by_reviewer_or_team',
    );
    const resolved = await resolve(rita.token, alert, {
      note: 'Known flaky item set; re-run scheduled',
    }).expect(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedBy: rita.id });
    expect(await count(AuditEventEntity, { subjectId: alert, action: 'watch_alert.resolved' })).toBe(1);
    // Resolving twice is refused, and changes nothing.
    expect((await resolve(rita.token, alert).expect(409)).body.rule).toBe('watch_alert_open');
  });

  it("another team can neither resolve our drift alert nor see a draft's alerts", async () => {
    const alert = await alertOf(ours, 'drift');
    expect((await resolve(olly.token, alert).expect(403)).body.rule).toBe(
      'watch_alert_resolved_by_reviewer_or_team',
    );
    const draft = (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201))
      .body.id;
    const draftAlert = await alertOf(draft, 'drift');
    await api.as(olly.token).get(`/v1/ai-use-cases/${draft}/watch-alerts`).expect(404);
    await resolve(olly.token, draftAlert).expect(404);
    // The team may resolve its own drift; resolving does not lift the mark a re-approval lifts.
    await resolve(sam.token, alert).expect(200);
  });

  it('refuses a missing note, an unknown alert and a malformed id', async () => {
    const alert = await alertOf(ours, 'drift');
    const empty = await resolve(sam.token, alert, { note: '   ' }).expect(400);
    expect(empty.body.errors).toEqual([expect.objectContaining({ field: 'note' })]);
    await resolve(sam.token, alert, { note: 'ok', extra: true }).expect(400);
    await resolve(sam.token, randomUUID()).expect(404);
    await resolve(sam.token, 'not-a-uuid').expect(400);
    expect((await openAlerts(ours)).map((a) => a.id)).toContain(alert);
  });
});
