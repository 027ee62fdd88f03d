import { NotificationEventEntity, managerOf, UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  type NotifyServer,
  type OpenAiStub,
  type ReceivedEmail,
  startNotifyServer,
  startOpenAiStub,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@gatehouse/testing';
import { givenStubSuite, givenUseCaseAt, suitePassedPolicy, type UseCaseGiven } from './support/givens';
import { givenLiveUseCase } from './support/live-ingest';
import { lowRiskRecord } from './support/records';
import { TestApi, type TestUser } from './support/test-api';

const WEAKENED_TEMPLATE = 'c0000000-0000-4000-8000-000000000001';
const TYPE = 'live_settings.weakened';

interface Delivery {
  eventId: string;
  channel: string;
  recipientUserId: string | null;
  endpointId: string | null;
  status: string;
}

interface Settings {
  sampleRate: number;
  captureText: boolean;
  redactPii: boolean;
  retentionDays: number;
  judgeCallsPerDay: number;
  reevaluateEveryDays: number | null;
  drift: { windowDays: number; minCases: number; rateMargin: number; lengthRatio: number };
}

/**
 * A team that weakens the watch over its own pilot (or wider use), or turns off redaction of stored text,
 * tells the use case's reviewers: an e-mail through the local GOV.UK Notify server and a signed webhook, with
 * who changed what (before and after) and why, recorded with the change (a refused change tells nobody).
 */
describeIntegration('live settings: reviewers are told when a team weakens its own watch', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let notify: NotifyServer;
  /** Subscribed to the event about every team (an assurance board's bridge). */
  let board: WebhookReceiver;
  /** Subscribed to the event about Housing only. */
  let housingBridge: WebhookReceiver;
  let sam: TestUser; // service team, Benefits (owns the pilot)
  let rita: TestUser; // reviewer, Assurance: approved the Benefits pilot
  let rob: TestUser; // reviewer, Assurance: approved Housing's use case only
  let pilotId: string; // Benefits, at learn, approved by Rita
  let benefitsTeamId: string;
  const emails = new Map<string, string>();

  const settingsUrl = (id: string) => `/v1/ai-use-cases/${id}/live-settings`;
  const current = async (id: string): Promise<Settings> => {
    const { body } = await api.as(sam.token).get(settingsUrl(id)).expect(200);
    const { aiUseCaseId: _id, stored: _s, updatedBy: _b, updatedAt: _a, ...settings } = body;
    return settings as Settings;
  };
  const events = (aiUseCaseId: string) =>
    api.app.get(UnitOfWork).read((tx) =>
      managerOf(tx).find(NotificationEventEntity, {
        where: { aiUseCaseId, type: TYPE },
        order: { createdAt: 'ASC' },
      }),
    );
  const to = (sent: ReceivedEmail[]) => sent.map((e) => emails.get(e.emailAddress)).sort();
  /** The event's deliveries once every one is delivered or failed (20 s at most). */
  const settled = async (eventId: string) => {
    for (let i = 0; i < 200; i++) {
      const { body } = await api.admin.get('/v1/webhook-deliveries?limit=200').expect(200);
      const mine = (body.items as Delivery[]).filter((d) => d.eventId === eventId);
      if (mine.length > 0 && mine.every((d) => d.status === 'delivered' || d.status === 'failed')) {
        return mine;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the deliveries of ${eventId} never settled`);
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    notify = await startNotifyServer({ templates: [WEAKENED_TEMPLATE] });
    [board, housingBridge] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
      GATEHOUSE_NOTIFY_BASE_URL: notify.url,
      GATEHOUSE_NOTIFY_TEMPLATE_WATCH_WEAKENED: WEAKENED_TEMPLATE,
      GATEHOUSE_NOTIFY_BACKOFF_MS: '50',
      GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.gov.uk',
      GATEHOUSE_RECONCILE_EVERY_MS: '3600000',
    });
    await api.connection('stub', stub.url);
    const person = async (name: string, roles: Parameters<TestApi['user']>[1], team: string) => {
      const user = await api.user(name, roles, team);
      const email = `${name.toLowerCase()}@example.gov.uk`;
      await api.admin.patch(`/v1/users/${user.id}`, { email }).expect(200);
      emails.set(email, name);
      return user;
    };
    sam = await person('Sam', ['service_team'], 'Benefits');
    const eve = await person('Eve', ['engineer'], 'Benefits');
    await person('Rex', ['reviewer'], 'Benefits'); // a reviewer inside the owning team: never told
    rita = await person('Rita', ['reviewer'], 'Assurance');
    rob = await person('Rob', ['reviewer'], 'Assurance');
    const hank = await person('Hank', ['service_team'], 'Housing');
    const hal = await person('Hal', ['engineer'], 'Housing');
    benefitsTeamId = await api.team('Benefits');
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('notices')).expect(201);
    const suite = await givenStubSuite(api, eve, 'notices', { items: 3 });
    const target = { type: 'openai', model: 'stub-model', connection: 'stub' };
    const benefits: UseCaseGiven = {
      cast: { owner: sam, engineer: eve, reviewers: [rita] },
      suite,
      target,
      record: { ...lowRiskRecord(), name: 'Benefits letters' },
    };
    const housing: UseCaseGiven = {
      cast: { owner: hank, engineer: hal, reviewers: [rob] },
      suite,
      target,
      record: { ...lowRiskRecord(), name: 'Housing repairs triage' },
    };
    [pilotId] = await Promise.all([
      givenUseCaseAt(api, 'learn', benefits),
      givenUseCaseAt(api, 'test', housing),
    ]);
    const subscribe = async (receiver: WebhookReceiver, teamId: string | null) => {
      const created = await api.admin
        .post('/v1/webhook-endpoints', { name: 'bridge', url: receiver.url, events: [TYPE], teamId })
        .expect(201);
      receiver.setSecret(created.body.secret);
    };
    await subscribe(board, null);
    await subscribe(housingBridge, await api.team('Housing'));
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await Promise.all([stub?.close(), notify?.close(), board?.close(), housingBridge?.close()]);
  });

  it("weakening the pilot's watch tells its reviewer, not the team, its own reviewer nor another team's reviewer: who, what before and after, why", async () => {
    const before = await current(pilotId);
    const reason = 'Judge budget is cut for December; we sample less until January';
    await api
      .as(sam.token)
      .put(settingsUrl(pilotId), {
        ...before,
        sampleRate: 0.02,
        drift: { ...before.drift, minCases: 400 },
        reason,
      })
      .expect(200);

    const [event, ...more] = await events(pilotId);
    expect(more).toEqual([]);
    const deliveries = await settled(String(event?.id));
    expect(deliveries.filter((d) => d.channel === 'email').map((d) => d.recipientUserId)).toEqual([rita.id]);
    expect(deliveries.filter((d) => d.channel === 'webhook')).toHaveLength(1);
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    expect(to(notify.emails)).toEqual(['Rita']);
    const [email] = notify.emails;
    const webhooks = await board.waitFor(1, 20_000);
    expect(email?.templateId).toBe(WEAKENED_TEMPLATE);
    expect(email?.personalisation).toMatchObject({
      event_type: TYPE,
      title: 'Benefits letters: Sam weakened the watch at learn',
      recipient_name: 'Rita',
      use_case_name: 'Benefits letters',
      use_case_stage: 'learn',
      changed_by: 'Sam',
      setting_changes:
        'Share of traces scored online: from 10% to 2%; Scored cases needed before drift can alert: from 100 to 400',
      reason,
      link: `https://gatehouse.example.gov.uk/ai-use-cases/${pilotId}/live`,
    });
    expect(email?.sanitised).toEqual(expect.arrayContaining(['setting_changes', 'changed_by', 'reason']));

    expect(webhooks.map((w) => w.id)).toEqual([event?.id]);
    expect(webhooks[0]?.body).toMatchObject({
      type: TYPE,
      data: {
        aiUseCase: { id: pilotId, name: 'Benefits letters', stage: 'learn' },
        settingsChange: {
          changedBy: { id: sam.id, name: 'Sam' },
          changes: [
            { setting: 'sampleRate', before: '10%', after: '2%' },
            { setting: 'drift.minCases', before: '100', after: '400' },
          ],
        },
        reason,
        link: `https://gatehouse.example.gov.uk/ai-use-cases/${pilotId}/live`,
      },
    });
    expect(housingBridge.received).toEqual([]);
    expect(JSON.stringify(webhooks[0]?.body)).not.toContain('@example.gov.uk');
  });

  it('turning redaction off at learn tells the reviewer too; strengthening the watch or keeping it tells nobody', async () => {
    const sentBefore = notify.emails.length;
    const before = await current(pilotId);
    // Strengthening: more sampled, tighter drift. Then the same settings again.
    const stronger = { ...before, sampleRate: 0.5, drift: { ...before.drift, minCases: 50 } };
    await api.as(sam.token).put(settingsUrl(pilotId), stronger).expect(200);
    await api.as(sam.token).put(settingsUrl(pilotId), stronger).expect(200);
    expect(await events(pilotId)).toHaveLength(1);

    const reason = 'Caseworkers need the full text to check answers; DPIA section 4 covers it';
    await api
      .as(sam.token)
      .put(settingsUrl(pilotId), { ...stronger, captureText: true, redactPii: false, reason })
      .expect(200);
    const [, redaction] = await events(pilotId);
    expect(redaction).toBeDefined();
    await settled(String(redaction?.id));
    const sent = notify.emails.slice(sentBefore);
    expect(to(sent)).toEqual(['Rita']);
    expect(sent[0]?.personalisation).toMatchObject({
      title: 'Benefits letters: Sam turned off redaction of personal data at learn',
      setting_changes:
        'Redact personal data from stored text: from on to off; Keep prompts and completions: from off to on',
      reason,
    });
    // Back to redacting: a strengthening again, nobody told.
    await api.as(sam.token).put(settingsUrl(pilotId), stronger).expect(200);
    expect(await events(pilotId)).toHaveLength(2);
  });

  it('a refused weakening (no reason) and a weakening at test tell nobody', async () => {
    const before = await current(pilotId);
    const refused = await api
      .as(sam.token)
      .put(settingsUrl(pilotId), { ...before, sampleRate: 0, reevaluateEveryDays: null })
      .expect(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'reason', code: 'required' })]);
    expect((await current(pilotId)).sampleRate).toBe(before.sampleRate);

    const trial = await givenLiveUseCase(api, benefitsTeamId, { stage: 'test' });
    const atTest = await current(trial.id);
    await api
      .as(sam.token)
      .put(settingsUrl(trial.id), { ...atTest, sampleRate: 0, redactPii: false, reason: 'Trial only' })
      .expect(200);
    expect(await events(trial.id)).toEqual([]);
    expect(await events(pilotId)).toHaveLength(2);
  });

  it('a use case at scale with no approving reviewer on record tells every reviewer outside the team', async () => {
    const sentBefore = notify.emails.length;
    const unreviewed = await givenLiveUseCase(api, benefitsTeamId, { stage: 'scale' });
    const before = await current(unreviewed.id);
    await api
      .as(sam.token)
      .put(settingsUrl(unreviewed.id), {
        ...before,
        drift: { ...before.drift, lengthRatio: 5 },
        reason: 'Forms got longer after the redesign',
      })
      .expect(200);
    const [event, ...more] = await events(unreviewed.id);
    expect(more).toEqual([]);
    await settled(String(event?.id));
    const sent = notify.emails.slice(sentBefore);
    expect(to(sent)).toEqual(['Rita', 'Rob']);
    expect(sent[0]?.personalisation).toMatchObject({
      setting_changes: 'Change in input length that alerts: from 2 times to 5 times',
    });
  });
});
