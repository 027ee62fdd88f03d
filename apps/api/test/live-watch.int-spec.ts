import { AttestationService, WatchService } from '@gatehouse/application';
import {
  AiUseCaseEntity,
  AuditEventEntity,
  LiveFeedbackEntity,
  LiveInteractionEntity,
  LiveScoreEntity,
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
import {
  givenApproved,
  givenCompletedRun,
  givenPassingEvaluation,
  givenPromoted,
  type UseCaseGiven,
  suitePassedPolicy,
} from './support/givens';
import { givenUseCaseOnOneRun } from './support/live';
import { TestApi, type TestUser } from './support/test-api';

jest.setTimeout(180_000);

const DAY = 86_400_000;
const hash = () => randomBytes(32).toString('hex');

describeIntegration('the watch over live use: attestation, retention, drift, re-approval', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let uow: UnitOfWork;
  let attestation: AttestationService;
  let watch: WatchService;
  let sam: TestUser;
  let eve: TestUser;
  let rita: TestUser;

  const given = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita] },
    suite: 'yes-no@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });
  const useCaseAt = (stage: 'test' | 'learn') => givenUseCaseOnOneRun(api, stage, given());
  const useCase = async (id: string) =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${id}`).expect(200)).body;
  const alerts = async (id: string) =>
    (await api.as(sam.token).get(`/v1/ai-use-cases/${id}/watch-alerts`).expect(200)).body.items as {
      id: string;
      kind: string;
      status: string;
      summary: string;
      details: Record<string, unknown>;
      resolvedBy: string | null;
    }[];
  const count = (entity: typeof NotificationEventEntity | typeof AuditEventEntity, where: object) =>
    uow.read((tx) => managerOf(tx).countBy(entity, where as never));

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    api = await TestApi.start({ OPENAI_API_KEY: 'sk-stub', GATEHOUSE_INGEST_TOKEN_CACHE_MS: '0' });
    uow = api.app.get(UnitOfWork);
    attestation = api.app.get(AttestationService);
    watch = api.app.get(WatchService);
    await api.connection('stub', stub.url);
    sam = await api.user('Sam', ['service_team'], 'Benefits');
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    rita = await api.user('Rita', ['reviewer'], 'Assurance');
    await api
      .as(eve.token)
      .upload('/v1/datasets?name=watch-questions', jsonl(questionItems(30)), 'application/x-ndjson')
      .expect(201);
    await api
      .as(eve.token)
      .upload(
        '/v1/suites',
        stubSuiteYaml({ name: 'yes-no', dataset: 'watch-questions@1', concurrency: 6 }),
        'application/yaml',
      )
      .expect(201);
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('yes-no')).expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await stub?.close();
  });

  describe('attestation', () => {
    it('a matching hash records nothing; a mismatch at learn marks under change once, with one alert and one notification after 1,000 reports', async () => {
      const id = await useCaseAt('learn');
      await api
        .as(sam.token)
        .patch(`/v1/ai-use-cases/${id}`, {
          changes: { operations: { killSwitch: 'Caseworkers switch to the manual form within the hour' } },
        })
        .expect(200);
      const approved = (await useCase(id)).target.hash as string;
      const alertsBefore = await count(NotificationEventEntity, { aiUseCaseId: id });

      await attestation.attest(id, [approved], 'heartbeat');
      expect((await useCase(id)).underChangeSince).toBeNull();
      expect(await alerts(id)).toEqual([]);

      const other = hash();
      for (let i = 0; i < 1000; i++) {
        await attestation.attest(id, [other], i % 2 ? 'trace' : 'heartbeat');
      }
      const marked = await useCase(id);
      expect(marked.underChangeSince).not.toBeNull();
      const [alert, ...more] = await alerts(id);
      expect(more).toEqual([]);
      expect(alert).toMatchObject({
        kind: 'config_mismatch',
        status: 'open',
        details: expect.objectContaining({ hashes: [other], distinct: 1, approvedHash: approved }),
      });
      expect(alert?.summary).toContain('under change at learn');
      expect(alert?.summary).toContain('Kill switch: Caseworkers switch to the manual form');
      expect(
        await count(NotificationEventEntity, { aiUseCaseId: id, type: 'use_case.config_mismatch' }),
      ).toBe(1);
      expect(await count(NotificationEventEntity, { aiUseCaseId: id })).toBe(alertsBefore + 1);
      expect(await count(AuditEventEntity, { subjectId: id, action: 'ai_use_case.config_mismatch' })).toBe(1);

      // The use case offers a re-approval of its stage, as after a target change.
      const reapproval = await api
        .as(sam.token)
        .post(`/v1/ai-use-cases/${id}/gate-evaluations`, { to: 'learn' })
        .expect(201);
      expect(reapproval.body.kind).toBe('reapproval');
    });

    it('after a new target is registered, the approved configuration still matches and the unapproved new one does not', async () => {
      const id = await useCaseAt('learn');
      const approved = (await useCase(id)).target.hash as string;
      const changed = await api
        .as(eve.token)
        .put(`/v1/ai-use-cases/${id}/target`, {
          target: { type: 'openai', model: 'stub-model-2', connection: 'stub' },
        })
        .expect(200);
      const registered = changed.body.target.hash as string;
      expect(registered).not.toBe(approved);
      expect(changed.body.underChangeSince).not.toBeNull();

      // The service still runs what the reviewers approved: nothing to say.
      await attestation.attest(id, [approved], 'heartbeat');
      expect(await alerts(id)).toEqual([]);
      // It deploys the registered target before the change is re-approved: that is not what was approved.
      await attestation.attest(id, [registered], 'heartbeat');
      const [alert] = await alerts(id);
      expect(alert).toMatchObject({
        kind: 'config_mismatch',
        details: expect.objectContaining({ hashes: [registered], approvedHash: approved }),
      });
    });

    it('concurrent reports of one mismatch open one alert', async () => {
      const id = await useCaseAt('learn');
      const other = hash();
      await Promise.all(Array.from({ length: 20 }, () => attestation.attest(id, [other], 'trace')));
      expect(await alerts(id)).toHaveLength(1);
      expect(
        await count(NotificationEventEntity, { aiUseCaseId: id, type: 'use_case.config_mismatch' }),
      ).toBe(1);
    });

    it('at test the mismatch is recorded, not marked', async () => {
      const id = await useCaseAt('test');
      await attestation.attest(id, [hash()], 'heartbeat');
      expect((await useCase(id)).underChangeSince).toBeNull();
      const [alert] = await alerts(id);
      expect(alert).toMatchObject({
        kind: 'config_mismatch',
        details: expect.objectContaining({ underChange: false }),
      });
      expect(alert?.summary).toContain('recorded, not marked');
    });

    it('an approved re-evaluation clears under change, the pass resolves the alert, and a mismatch still reported marks afresh', async () => {
      const id = await useCaseAt('learn');
      const other = hash();
      await attestation.attest(id, [other], 'heartbeat');
      expect((await useCase(id)).underChangeSince).not.toBeNull();

      await givenCompletedRun(api, id, given());
      const evaluation = await givenPassingEvaluation(api, id, 'learn', given());
      await givenApproved(api, evaluation, given());
      await givenPromoted(api, id, evaluation, given());
      expect((await useCase(id)).underChangeSince).toBeNull();

      const report = await watch.pass(new Date());
      expect(report.alertsResolved).toBeGreaterThanOrEqual(1);
      const [resolved] = await alerts(id);
      expect(resolved).toMatchObject({ kind: 'config_mismatch', status: 'resolved', resolvedBy: 'system' });

      await attestation.attest(id, [other], 'heartbeat');
      expect((await useCase(id)).underChangeSince).not.toBeNull();
      const after = await alerts(id);
      expect(after.map((a) => a.status)).toEqual(['open', 'resolved']);
      expect(
        await count(NotificationEventEntity, { aiUseCaseId: id, type: 'use_case.config_mismatch' }),
      ).toBe(2);
    });
  });

  describe('retention', () => {
    it('deletes captured text past its expiry and feedback notes older than the retention; keeps the rest', async () => {
      const id = await useCaseAt('learn');
      const now = new Date();
      const interaction = (textExpiresAt: Date): LiveInteractionEntity =>
        Object.assign(new LiveInteractionEntity(), {
          id: randomUUID(),
          aiUseCaseId: id,
          traceId: randomBytes(16).toString('hex'),
          spanId: randomBytes(8).toString('hex'),
          batchId: randomUUID(),
          source: 'json',
          startedAt: now,
          receivedAt: now,
          durationMs: 10,
          operation: 'chat',
          model: 'stub-model',
          inputTokens: 3,
          outputTokens: 1,
          costUsd: null,
          configHash: null,
          errored: false,
          inputChars: 10,
          outputChars: 3,
          piiFound: null,
          inputText: 'question 1',
          outputText: 'yes',
          textExpiresAt,
          sampled: false,
          scoredAt: null,
        });
      const expired = interaction(new Date(now.getTime() - 1000));
      const kept = interaction(new Date(now.getTime() + DAY));
      const note = (receivedAt: Date): LiveFeedbackEntity =>
        Object.assign(new LiveFeedbackEntity(), {
          id: randomUUID(),
          aiUseCaseId: id,
          eventKey: randomUUID(),
          traceId: null,
          kind: 'complaint',
          occurredAt: receivedAt,
          receivedAt,
          note: 'The answer was wrong',
        });
      const oldNote = note(new Date(now.getTime() - 31 * DAY)); // default retention: 30 days
      const newNote = note(new Date(now.getTime() - DAY));
      await uow.write(async (tx) => {
        await managerOf(tx).insert(LiveInteractionEntity, [expired, kept] as never);
        await managerOf(tx).insert(LiveFeedbackEntity, [oldNote, newNote] as never);
      });

      const report = await watch.pass(now);
      expect(report.textsPurged).toBeGreaterThanOrEqual(1);
      expect(report.notesPurged).toBeGreaterThanOrEqual(1);
      const rows = await uow.read(async (tx) => ({
        expired: await managerOf(tx).findOneByOrFail(LiveInteractionEntity, { id: expired.id }),
        kept: await managerOf(tx).findOneByOrFail(LiveInteractionEntity, { id: kept.id }),
        oldNote: await managerOf(tx).findOneByOrFail(LiveFeedbackEntity, { id: oldNote.id }),
        newNote: await managerOf(tx).findOneByOrFail(LiveFeedbackEntity, { id: newNote.id }),
      }));
      expect(rows.expired).toMatchObject({
        inputText: null,
        outputText: null,
        textExpiresAt: null,
        inputChars: 10,
      });
      expect(rows.kept).toMatchObject({ inputText: 'question 1', outputText: 'yes' });
      expect(rows.oldNote.note).toBeNull();
      expect(rows.newNote.note).toBe('The answer was wrong');
    });
  });

  describe('drift', () => {
    it('alerts when a live failure rate and the input length move past the policy, with the numbers, once', async () => {
      const id = await useCaseAt('learn');
      const now = new Date();
      const interactions: LiveInteractionEntity[] = [];
      const scores: LiveScoreEntity[] = [];
      for (let i = 0; i < 200; i++) {
        const at = new Date(now.getTime() - (i + 1) * 60_000);
        const interaction = Object.assign(new LiveInteractionEntity(), {
          id: randomUUID(),
          aiUseCaseId: id,
          traceId: randomBytes(16).toString('hex'),
          spanId: randomBytes(8).toString('hex'),
          batchId: randomUUID(),
          source: 'json',
          startedAt: at,
          receivedAt: at,
          durationMs: 10,
          operation: 'chat',
          model: 'stub-model',
          inputTokens: 100,
          outputTokens: 1,
          costUsd: null,
          configHash: null,
          errored: false,
          inputChars: 400,
          outputChars: 3,
          piiFound: null,
          inputText: null,
          outputText: null,
          textExpiresAt: null,
          sampled: true,
          scoredAt: at,
        });
        interactions.push(interaction);
        scores.push(
          Object.assign(new LiveScoreEntity(), {
            interactionId: interaction.id,
            scorer: 'correct',
            aiUseCaseId: id,
            scorerType: 'equals',
            startedAt: at,
            passed: i % 5 !== 0, // 40 of 200 fail; the approved run failed none
            value: null,
            explanation: null,
            scoredAt: at,
          }),
        );
      }
      await uow.write(async (tx) => {
        await managerOf(tx).insert(LiveInteractionEntity, interactions as never);
        await managerOf(tx).insert(LiveScoreEntity, scores as never);
      });

      const report = await watch.pass(now);
      expect(report.driftAlerts).toBe(2);
      const drift = (await alerts(id)).filter((a) => a.kind === 'drift');
      expect(drift).toHaveLength(2);
      const rate = drift.find((a) => a.details.metric === 'correct');
      expect(rate?.details).toMatchObject({ failures: 40, n: 200, liveRate: 0.2, baselineRate: 0 });
      expect(rate?.details.lower95).toBeGreaterThan(0.14);
      expect(rate?.summary).toContain('40 of 200');
      const length = drift.find((a) => a.details.metric === 'input_length');
      expect(length?.details).toMatchObject({ liveMedian: 400, n: 200 });
      expect(length?.details.baselineMedian).toBeLessThan(12);
      expect((await useCase(id)).underReviewSince).not.toBeNull();
      expect(await count(NotificationEventEntity, { aiUseCaseId: id, type: 'watch.alert_opened' })).toBe(2);

      // The next pass finds the same drift open: nothing new.
      expect((await watch.pass(now)).driftAlerts).toBe(0);
      expect(await count(NotificationEventEntity, { aiUseCaseId: id, type: 'watch.alert_opened' })).toBe(2);

      // The team resolves the rate alert (it may, for drift); it is not re-opened within the window.
      await api
        .as(sam.token)
        .post(`/v1/watch-alerts/${rate?.id}/resolve`, { note: 'A known spike from a training cohort' })
        .expect(200);
      expect((await watch.pass(now)).driftAlerts).toBe(0);
      expect(await count(AuditEventEntity, { subjectId: rate?.id, action: 'watch_alert.resolved' })).toBe(1);
    });

    it('says nothing with fewer scored cases than the policy needs', async () => {
      const id = await useCaseAt('learn');
      const now = new Date();
      await uow.write(async (tx) => {
        for (let i = 0; i < 20; i++) {
          const interactionId = randomUUID();
          await managerOf(tx).insert(LiveInteractionEntity, {
            id: interactionId,
            aiUseCaseId: id,
            traceId: randomBytes(16).toString('hex'),
            spanId: randomBytes(8).toString('hex'),
            batchId: randomUUID(),
            source: 'json',
            startedAt: now,
            receivedAt: now,
            durationMs: null,
            operation: null,
            model: null,
            inputTokens: null,
            outputTokens: null,
            costUsd: null,
            configHash: null,
            errored: false,
            inputChars: 4000,
            outputChars: 3,
            piiFound: null,
            inputText: null,
            outputText: null,
            textExpiresAt: null,
            sampled: true,
            scoredAt: now,
          } as never);
          await managerOf(tx).insert(LiveScoreEntity, {
            interactionId,
            scorer: 'correct',
            aiUseCaseId: id,
            scorerType: 'equals',
            startedAt: now,
            passed: false,
            value: null,
            explanation: null,
            scoredAt: now,
          } as never);
        }
      });
      await watch.pass(now);
      expect((await alerts(id)).filter((a) => a.kind === 'drift')).toEqual([]);
      expect(
        (await uow.read((tx) => managerOf(tx).findOneByOrFail(AiUseCaseEntity, { id }))).underReviewSince,
      ).toBeNull();
    });
  });

  describe('expiring evidence', () => {
    it('puts a use case whose evidence goes stale within a week under review, once per approval, without a second notice', async () => {
      const id = await useCaseAt('learn');
      const later = new Date(Date.now() + 25 * DAY); // the run is 30 days good: 5 days left
      const before = await count(NotificationEventEntity, { aiUseCaseId: id, type: 'watch.alert_opened' });
      await watch.markExpiringEvidence(later);
      await watch.markExpiringEvidence(later);
      const expiring = (await alerts(id)).filter((a) => a.kind === 'evidence_expiring');
      expect(expiring).toHaveLength(1);
      expect(expiring[0]?.summary).toContain('goes stale on');
      expect((await useCase(id)).underReviewSince).not.toBeNull();
      expect(await count(NotificationEventEntity, { aiUseCaseId: id, type: 'watch.alert_opened' })).toBe(
        before,
      );

      // Resolved by the team, the same approval's evidence does not alert again.
      await api
        .as(eve.token)
        .post(`/v1/watch-alerts/${expiring[0]?.id}/resolve`, { note: 'Runs scheduled for Monday' })
        .expect(200);
      await watch.markExpiringEvidence(later);
      expect((await alerts(id)).filter((a) => a.kind === 'evidence_expiring')).toHaveLength(1);
    });
  });

  it('keeps alerts bounded: open alerts are unique per use case and key', async () => {
    const rows = await uow.read((tx) => managerOf(tx).find(WatchAlertEntity, { where: { status: 'open' } }));
    const keys = rows.map((r) => `${r.aiUseCaseId}/${r.openKey}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
