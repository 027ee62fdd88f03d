import { LiveScoringService } from '@gatehouse/application';
import {
  IngestTokenEntity,
  LiveMeasuresRepository,
  LiveFeedbackEntity,
  LiveScoreEntity,
  managerOf,
  NotificationEventEntity,
  UnitOfWork,
  WatchAlertEntity,
} from '@gatehouse/persistence';
import { describeIntegration } from '@gatehouse/testing';
import { DEFAULT_LIVE_SETTINGS } from '@gatehouse/domain';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { givenStubSuite, suitePassedPolicy } from '../support/givens';
import {
  daysAgo,
  feedback,
  interaction,
  interactionsOf,
  jobContext,
  scored,
  store,
  todayUtc,
} from '../support/live';
import { givenLiveUseCase, type LiveUseCase } from '../support/live-ingest';
import { ADMIN_TOKEN, TestApi, type TestUser } from '../support/test-api';

/**
 * A hostile review of the learn stage from live use (issue 15): a team gaming its own scale gate, a hostile
 * live service, another team. Each test asserts the safe behaviour.
 */

jest.setTimeout(180_000);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const context = jobContext();

describeIntegration('a hostile review of live use', () => {
  let api: TestApi;
  let uow: UnitOfWork;
  let scoring: LiveScoringService;
  let eve: TestUser; // Benefits engineer
  let teamId: string;

  const send = (useCase: LiveUseCase, route: string, body: unknown) =>
    api.http
      .post(route)
      .set('Authorization', `Bearer ${useCase.token}`)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  /** Sends the interactions, scores their batch as the live.score job would, and returns the PII verdicts. */
  const piiVerdicts = async (useCase: LiveUseCase, interactions: object[]) => {
    const sent = await send(useCase, '/v1/live/interactions', { interactions }).expect(200);
    expect(sent.body.sampled).toBe(interactions.length);
    await scoring.scoreBatch({ aiUseCaseId: useCase.id, batchId: sent.body.batchId }, context);
    const scores = await uow.read((tx) =>
      managerOf(tx).find(LiveScoreEntity, { where: { aiUseCaseId: useCase.id, scorer: 'pii' } }),
    );
    expect(scores).toHaveLength(interactions.length);
    return scores.map((s) => s.passed);
  };

  const now = () => new Date().toISOString();

  beforeAll(async () => {
    api = await TestApi.start({ GATEHOUSE_INGEST_TOKEN_CACHE_MS: '0' });
    await api.app.listen(0, '127.0.0.1');
    uow = api.app.get(UnitOfWork);
    scoring = api.app.get(LiveScoringService);
    eve = await api.user('Eve', ['engineer'], 'Benefits');
    teamId = eve.teamId as string;
    // Never called: online scoring reads the suite's scorers, not its target.
    await api.connection('stub', 'http://127.0.0.1:9/v1');
    await givenStubSuite(api, eve, 'hostile-checks', { scorers: [{ type: 'pii_leakage', name: 'pii' }] });
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('hostile-checks')).expect(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  describe('a team gaming the PII guardrail its scale gate reads', () => {
    it('an answer whose completion was never sent is unscored, never a pass (prompts only, with PII in them)', async () => {
      const useCase = await givenLiveUseCase(api, teamId, { settings: { sampleRate: 1 } });
      const verdicts = await piiVerdicts(
        useCase,
        Array.from({ length: 3 }, () => ({
          traceId: hex(16),
          spanId: hex(8),
          startedAt: now(),
          input: 'My e-mail is jo.bloggs@example.com, what next?',
        })),
      );
      expect(verdicts).toEqual([null, null, null]);
    });

    it('personal data past the 32,000 characters kept is a leak, though the stored text was cut before it', async () => {
      const useCase = await givenLiveUseCase(api, teamId, {
        settings: { sampleRate: 1, captureText: false, redactPii: false },
      });
      const output = `${'Here is the answer. '.repeat(1_700)}Write to jo.bloggs@example.com for more.`;
      expect(output.length).toBeGreaterThan(32_000);
      const verdicts = await piiVerdicts(useCase, [
        { traceId: hex(16), spanId: hex(8), startedAt: now(), input: 'Help?', output },
      ]);
      expect(verdicts).toEqual([false]);
      const [row] = await interactionsOf(api, useCase.id);
      expect(row.piiFound?.output).toEqual({ email: 1 });
    });

    it('turning redaction off between ingest and scoring does not turn a redacted leak into a pass', async () => {
      const useCase = await givenLiveUseCase(api, teamId, {
        settings: { sampleRate: 1, captureText: false, redactPii: false },
      });
      // Stored while the use case redacted (the counts taken before redaction); redaction is off by the time
      // the queued job scores the batch.
      const batchId = randomUUID();
      await store(api, [
        interaction(useCase.id, {
          batchId,
          outputText: 'Write to [email].',
          outputChars: 31,
          piiFound: { input: {}, output: { email: 1 } },
          textExpiresAt: new Date(Date.now() + 86_400_000),
        }),
      ]);
      await scoring.scoreBatch({ aiUseCaseId: useCase.id, batchId }, context);
      const scores = await uow.read((tx) =>
        managerOf(tx).find(LiveScoreEntity, { where: { aiUseCaseId: useCase.id } }),
      );
      expect(scores.map((s) => s.passed)).toEqual([false]);
    });
  });

  describe('a team minimising less than it says', () => {
    it('needs a reason to store the sampled text unredacted, though it captures none', async () => {
      // At test, so lowering the sample is not also weakening the watch over a pilot (that needs a reason too).
      const useCase = await givenLiveUseCase(api, teamId, { stage: 'test' });
      const url = `/v1/ai-use-cases/${useCase.id}/live-settings`;
      const unredacted = {
        ...DEFAULT_LIVE_SETTINGS,
        drift: { ...DEFAULT_LIVE_SETTINGS.drift },
        sampleRate: 1,
        captureText: false,
        redactPii: false,
      };
      const refused = await api.as(eve.token).put(url, unredacted).expect(400);
      expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);
      expect((await api.as(eve.token).get(url).expect(200)).body.redactPii).toBe(true);
      // Nothing is sampled: nothing is stored, so no reason is asked.
      await api
        .as(eve.token)
        .put(url, { ...unredacted, sampleRate: 0 })
        .expect(200);
      await api
        .as(eve.token)
        .put(url, { ...unredacted, reason: 'The online PII guardrail reads the allow list; DPIA 4.2.' })
        .expect(200);
    });
  });

  describe('a hostile live service', () => {
    it('keeps no feedback note when the use case does not capture text, and redacts it when it does', async () => {
      const off = await givenLiveUseCase(api, teamId, { settings: { captureText: false } });
      const on = await givenLiveUseCase(api, teamId, { settings: { captureText: true, redactPii: true } });
      const note = 'Complained: NHS number 943 476 5919, e-mail jo.bloggs@example.com';
      for (const useCase of [off, on]) {
        await send(useCase, '/v1/live/feedback', {
          events: [{ id: 'complaint-1', kind: 'complaint', occurredAt: now(), note }],
        }).expect(200);
      }
      const notes = async (id: string) =>
        (await uow.read((tx) => managerOf(tx).findBy(LiveFeedbackEntity, { aiUseCaseId: id }))).map(
          (r) => r.note,
        );
      expect(await notes(off.id)).toEqual([null]);
      const [kept] = await notes(on.id);
      expect(kept).not.toContain('943 476 5919');
      expect(kept).not.toContain('jo.bloggs@example.com');
      expect(kept).toContain('[email]');
    });

    it('a heartbeat flood of random hashes opens one alert with at most 10 listed and notifies once', async () => {
      const useCase = await givenLiveUseCase(api, teamId, { stage: 'learn', targetHash: hex(32) });
      for (let i = 0; i < 40; i++) {
        await send(useCase, '/v1/live/heartbeat', { configHash: hex(32) }).expect(200);
      }
      const alerts = await uow.read((tx) =>
        managerOf(tx).findBy(WatchAlertEntity, { aiUseCaseId: useCase.id }),
      );
      expect(alerts).toHaveLength(1);
      expect((alerts[0].details.hashes as string[]).length).toBeLessThanOrEqual(10);
      expect(JSON.stringify(alerts[0].details).length).toBeLessThan(4_000);
      const notified = await uow.read((tx) =>
        managerOf(tx).countBy(NotificationEventEntity, { aiUseCaseId: useCase.id } as never),
      );
      expect(notified).toBe(1);
    });

    it('an ingest token opens none of the team routes, and no API token ingests', async () => {
      const useCase = await givenLiveUseCase(api, teamId);
      const alertId = '00000000-0000-4000-8000-000000000000';
      const bearer = (r: ReturnType<typeof api.http.get>) =>
        r.set('Authorization', `Bearer ${useCase.token}`);
      await bearer(api.http.get(`/v1/ai-use-cases/${useCase.id}/watch-alerts`)).expect(401);
      await bearer(api.http.get(`/v1/ai-use-cases/${useCase.id}/reevaluations`)).expect(401);
      await bearer(api.http.get(`/v1/ai-use-cases/${useCase.id}/live-measures`)).expect(401);
      await bearer(api.http.get(`/v1/ai-use-cases/${useCase.id}/live-settings`)).expect(401);
      await bearer(api.http.get(`/v1/ai-use-cases/${useCase.id}/ingest-tokens`)).expect(401);
      await bearer(
        api.http.post(`/v1/ai-use-cases/${useCase.id}/ingest-tokens`).send({ name: 'more' }),
      ).expect(401);
      await bearer(api.http.post(`/v1/watch-alerts/${alertId}/resolve`).send({ note: 'gone' })).expect(401);
      for (const token of [ADMIN_TOKEN, eve.token]) {
        await api.http
          .post('/v1/live/heartbeat')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', 'application/json')
          .send({ configHash: hex(32) })
          .expect(401);
      }
    });

    it('an ingest token signs nobody in to the web pages', async () => {
      const useCase = await givenLiveUseCase(api, teamId);
      const agent = request.agent(api.app.getHttpServer());
      const form = await agent.get('/sign-in').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
      expect(csrf).toBeDefined();
      const signIn = await agent
        .post('/sign-in')
        .type('form')
        .send({ _csrf: csrf, token: useCase.token, next: '/ai-use-cases' });
      expect(signIn.status).toBe(401);
      const page = await agent.get(`/ai-use-cases/${useCase.id}/live`);
      expect(page.status).toBe(303);
      expect(page.headers.location).toMatch(/^\/sign-in/);
    });

    it('answers an unauthenticated sender 401 before its body ends: nothing is read or buffered first', async () => {
      const base = (await api.app.getUrl()).replace('[::1]', '127.0.0.1');
      const revoked = await givenLiveUseCase(api, teamId);
      await api.app
        .get(UnitOfWork)
        .write((tx) =>
          managerOf(tx).update(IngestTokenEntity, { aiUseCaseId: revoked.id }, { revokedAt: new Date() }),
        );
      for (const authorization of [
        undefined,
        `Bearer ${eve.token}`,
        `Bearer ${revoked.token}`,
        'Bearer ghi_x',
      ]) {
        const status = await new Promise<number>((resolve, reject) => {
          const sending = httpRequest(
            new URL(`${base}/v1/otlp/v1/traces`),
            {
              method: 'POST',
              headers: {
                'Content-Type': 'application/x-protobuf',
                'Content-Encoding': 'gzip',
                ...(authorization ? { Authorization: authorization } : {}),
              },
            },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
              sending.destroy();
            },
          );
          sending.on('error', (error) => (sending.destroyed ? undefined : reject(error)));
          // The body's first bytes, and never its end.
          sending.write(Buffer.alloc(65_536, 0x1f));
        });
        expect([authorization?.slice(0, 12), status]).toEqual([authorization?.slice(0, 12), 401]);
      }
    });

    it('refuses personal data in bad field values without echoing the values, and logs none of it', async () => {
      const useCase = await givenLiveUseCase(api, teamId);
      const replies = [
        await send(useCase, '/v1/live/interactions', { interactions: [{ startedAt: 'NHS 943 476 5919' }] }),
        await send(useCase, '/v1/live/feedback', {
          events: [{ id: 'x', kind: 'jo.bloggs@example.com', occurredAt: now() }],
        }),
        await send(useCase, '/v1/live/heartbeat', { configHash: 'SW1A 1AA' }),
      ];
      expect(replies.map((r) => r.status)).toEqual([400, 400, 400]);
      const answered = JSON.stringify(replies.map((r) => r.body));
      const logged = api.logs.join('\n');
      for (const value of ['943 476 5919', 'jo.bloggs', 'SW1A 1AA']) {
        expect(answered).not.toContain(value);
        expect(logged).not.toContain(value);
      }
      expect(answered).toContain('interactions[0].startedAt');
    });

    it('stores kvlist keys named __proto__ and constructor as data, polluting nothing, and answers 200', async () => {
      const useCase = await givenLiveUseCase(api, teamId);
      const kv = (key: string) => ({
        key,
        value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } },
      });
      const start = BigInt(Date.now() - 1_000) * 1_000_000n;
      const body = {
        resourceSpans: [
          {
            resource: { attributes: [kv('__proto__')] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: hex(16),
                    spanId: hex(8),
                    name: 'chat',
                    startTimeUnixNano: String(start),
                    endTimeUnixNano: String(start + 1_000_000n),
                    attributes: [
                      { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
                      kv('__proto__'),
                      kv('constructor'),
                      { key: 'gen_ai.input.messages', value: { kvlistValue: { values: [kv('__proto__')] } } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      };
      await send(useCase, '/v1/otlp/v1/traces', body).expect(200);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(await interactionsOf(api, useCase.id)).toHaveLength(1);
    });
  });

  describe('a team gaming its pilot measures', () => {
    it("cannot move a closed window's counts with late data: spans, feedback and scores that arrive after it", async () => {
      const useCase = await givenLiveUseCase(api, teamId);
      const live = api.app.get(LiveMeasuresRepository);
      const window = { start: daysAgo(3, 0), end: todayUtc(), receivedBefore: todayUtc() };
      const read = () =>
        uow.read(async (tx) => ({
          days: await live.days(tx, useCase.id, window),
          scorers: await live.scorerDays(tx, useCase.id, window),
        }));
      const onTime = interaction(useCase.id, { startedAt: daysAgo(1) });
      await store(api, [
        onTime,
        scored(onTime, 'pii', false),
        feedback(useCase.id, { traceId: onTime.traceId, kind: 'override', occurredAt: daysAgo(1, 13) }),
      ]);
      const closed = await read();
      expect(closed.days.map((d) => [d.cases, d.overrides])).toEqual([[1, 1]]);

      // Today, with yesterday's times: good traffic to dilute, a retraction-like positive, a late pass.
      const late = new Date();
      const padding = Array.from({ length: 20 }, () =>
        interaction(useCase.id, { startedAt: daysAgo(1, 14), receivedAt: late }),
      );
      await store(api, [
        ...padding,
        ...padding.map((row) => ({ ...scored(row, 'pii', true), scoredAt: late }) as LiveScoreEntity),
        { ...scored(onTime, 'latency', true), scoredAt: late } as LiveScoreEntity,
        feedback(useCase.id, {
          traceId: onTime.traceId,
          kind: 'complaint',
          occurredAt: daysAgo(1, 15),
          receivedAt: late,
        }),
      ]);
      expect(await read()).toEqual(closed);
    });

    it('cannot take back a complaint by sending its event id again as positive feedback', async () => {
      const sam = await api.user('Sam', ['service_team'], 'Benefits');
      const useCase = await givenLiveUseCase(api, teamId);
      const traceId = hex(16);
      await send(useCase, '/v1/live/interactions', {
        interactions: [{ traceId, spanId: hex(8), startedAt: now(), input: 'q', output: 'a' }],
      }).expect(200);
      await send(useCase, '/v1/live/feedback', {
        events: [{ id: 'case-1', kind: 'complaint', occurredAt: now(), traceId }],
      }).expect(200);
      const again = await send(useCase, '/v1/live/feedback', {
        events: [{ id: 'case-1', kind: 'positive', occurredAt: now(), traceId }],
      }).expect(200);
      expect(again.body).toMatchObject({ received: 1, stored: 0, duplicates: 1 });
      const day = new Date().toISOString().slice(0, 10);
      const { body } = await api
        .as(sam.token)
        .get(`/v1/ai-use-cases/${useCase.id}/live-measures?from=${day}&to=${day}`)
        .expect(200);
      expect(body.totals).toMatchObject({ cases: 1, positive: 0, complaintRate: { events: 1, cases: 1 } });
    });
  });

  describe('another team, and malformed reads', () => {
    it('answers junk queries on the watch routes with 400, never a 500', async () => {
      const sam = await api.user('Sid', ['service_team'], 'Benefits');
      const useCase = await givenLiveUseCase(api, teamId);
      const base = `/v1/ai-use-cases/${useCase.id}/watch-alerts`;
      for (const query of [
        'limit=abc',
        'limit=0',
        'limit=100000',
        'status=closed',
        'status=open&status=resolved',
        '__proto__=1',
      ]) {
        const res = await api.as(sam.token).get(`${base}?${query}`);
        expect([query, res.status]).toEqual([query, 400]);
      }
      await api.as(sam.token).get(`${base}?status=open&limit=5`).expect(200);
      const res = await api.as(sam.token).post('/v1/watch-alerts/not-a-uuid/resolve', { note: 'x' });
      expect([400, 404]).toContain(res.status);
      const hostile = await api
        .as(sam.token)
        .post('/v1/watch-alerts/00000000-0000-4000-8000-000000000000/resolve', { note: 'x', __proto__: 1 });
      expect([400, 404]).toContain(hostile.status);
    });
  });
});
