import {
  EvidenceExpiryNotices,
  NotificationSweepService,
  NotificationsService,
  useCasePromoted,
} from '@gatehouse/application';
import { UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  type NotifyServer,
  type OpenAiStub,
  startNotifyServer,
  startOpenAiStub,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@gatehouse/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EvaluationView,
  givenApproved,
  givenEvidenceFor,
  givenPassingEvaluation,
  givenPromoted,
  givenStubSuite,
  suitePassedPolicy,
  type UseCaseGiven,
} from './support/givens';
import { lowRiskRecord } from './support/records';
import { ADMIN_TOKEN, TestApi, type TestUser } from './support/test-api';

const TEMPLATES = {
  approval: 'a0000000-0000-4000-8000-000000000001',
  rejected: 'a0000000-0000-4000-8000-000000000002',
  promoted: 'a0000000-0000-4000-8000-000000000003',
  runFailed: 'a0000000-0000-4000-8000-000000000004',
  expiring: 'a0000000-0000-4000-8000-000000000005',
};
const MAX_ATTEMPTS = 3;

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  channel: string;
  endpointId: string | null;
  recipientUserId: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
}

/**
 * Notifications end to end: the API (embedded mode, in-process queue) records events in the transactions
 * of the changes, and delivers them to a local GOV.UK Notify server through the official client and to
 * Standard Webhooks receivers that verify every signature.
 */
describeIntegration('notifications: GOV.UK Notify e-mails and signed webhooks', () => {
  let api: TestApi;
  let stub: OpenAiStub;
  let notify: NotifyServer;
  /** Subscribed to everything, about every team. */
  let board: WebhookReceiver;
  let boardEndpointId: string;
  let sam: TestUser; // service team, owner (Benefits)
  let eve: TestUser; // engineer (Benefits)
  let rita: TestUser; // reviewer (Assurance)
  let rob: TestUser; // reviewer (Assurance)
  let otto: TestUser; // service team of another team
  const emails = new Map<string, string>();

  const cast = (): UseCaseGiven => ({
    cast: { owner: sam, engineer: eve, reviewers: [rita] },
    suite: 'notify-qs@1',
    target: { type: 'openai', model: 'stub-model', connection: 'stub' },
  });

  const adminDelete = (url: string) => api.http.delete(url).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  const deliveries = async (query = ''): Promise<Delivery[]> =>
    (await api.admin.get(`/v1/webhook-deliveries?limit=200${query}`).expect(200)).body.items;

  /** Reads the deliveries until `until` holds for them (30 s at most). */
  const waitForDeliveries = async (until: (all: Delivery[]) => boolean): Promise<Delivery[]> => {
    for (let i = 0; i < 300; i++) {
      const all = await deliveries();
      if (until(all)) {
        return all;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`deliveries never reached the state: ${JSON.stringify(await deliveries())}`);
  };
  const settledFor = (eventId: string) => (all: Delivery[]) => {
    const mine = all.filter((d) => d.eventId === eventId);
    return mine.length > 0 && mine.every((d) => d.status === 'delivered' || d.status === 'failed');
  };

  const endpoint = async (receiver: WebhookReceiver, body: Record<string, unknown> = {}) => {
    const created = await api.admin
      .post('/v1/webhook-endpoints', {
        name: 'Assurance board bridge',
        url: receiver.url,
        events: [
          'evaluation.awaiting_approval',
          'evaluation.rejected',
          'use_case.promoted',
          'run.failed',
          'evidence.expiring',
        ],
        ...body,
      })
      .expect(201);
    receiver.setSecret(created.body.secret);
    return created.body as { id: string; secret: string };
  };

  const useCase = async (): Promise<string> =>
    (await api.as(sam.token).post('/v1/ai-use-cases', { record: lowRiskRecord() }).expect(201)).body.id;

  /** A use case with a passing evaluation to `test`, waiting for approval. */
  const waiting = async (): Promise<{ useCaseId: string; evaluation: EvaluationView }> => {
    const useCaseId = await useCase();
    await givenEvidenceFor(api, useCaseId, 'test', cast());
    return { useCaseId, evaluation: await givenPassingEvaluation(api, useCaseId, 'test', cast()) };
  };

  beforeAll(async () => {
    stub = await startOpenAiStub({ respond: () => 'yes' });
    notify = await startNotifyServer({ templates: Object.values(TEMPLATES) });
    board = await startWebhookReceiver();
    api = await TestApi.start({
      OPENAI_API_KEY: 'sk-stub',
      GATEHOUSE_ITEM_CONCURRENCY: '8',
      GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
      GATEHOUSE_NOTIFY_BASE_URL: notify.url,
      GATEHOUSE_NOTIFY_TEMPLATE_APPROVAL_NEEDED: TEMPLATES.approval,
      GATEHOUSE_NOTIFY_TEMPLATE_REJECTED: TEMPLATES.rejected,
      GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED: TEMPLATES.promoted,
      GATEHOUSE_NOTIFY_TEMPLATE_RUN_FAILED: TEMPLATES.runFailed,
      GATEHOUSE_NOTIFY_TEMPLATE_EVIDENCE_EXPIRING: TEMPLATES.expiring,
      // The suite's runs count for 30 days: warning 30 days ahead makes a fresh approval's evidence "expiring".
      GATEHOUSE_EVIDENCE_WARN_DAYS: '30',
      GATEHOUSE_NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      GATEHOUSE_NOTIFY_BACKOFF_MS: '50',
      GATEHOUSE_WEBHOOK_TIMEOUT_MS: '5000',
      GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.gov.uk',
      // The sweep runs when a test calls it (and once at start), not on a timer that could race the test.
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
    eve = await person('Eve', ['engineer'], 'Benefits');
    await person('Rex', ['reviewer'], 'Benefits'); // a reviewer inside the owning team: never eligible
    rita = await person('Rita', ['reviewer'], 'Assurance');
    rob = await person('Rob', ['reviewer'], 'Assurance');
    otto = await person('Otto', ['service_team'], 'Pensions');
    // Reviewers who would be eligible but get no e-mail: one without an address, one disabled.
    await api.user('Nia', ['reviewer'], 'Assurance');
    const dan = await person('Dan', ['reviewer'], 'Assurance');
    await api.admin
      .patch(`/v1/users/${dan.id}`, { disabled: true, reason: 'left the department' })
      .expect(200);
    // One policy for every tier: a passing run of the suite and one reviewer's approval at each gate.
    await api.admin.post('/v1/gate-policies', suitePassedPolicy('notify-qs')).expect(201);
    await givenStubSuite(api, eve, 'notify-qs', {
      items: 20,
      concurrency: 8,
      thresholds: [{ metric: 'correct', stat: 'value', op: '>=', value: 0.5 }],
    });
    boardEndpointId = (await endpoint(board)).id;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await Promise.all([stub?.close(), notify?.close(), board?.close()]);
  });

  it('asks only the eligible reviewers to approve (not the team, not its own reviewer, not the disabled or address-less), by e-mail and signed webhook', async () => {
    const before = notify.emails.length;
    const { useCaseId, evaluation } = await waiting();
    const eventId = `evaluation.awaiting_approval:${evaluation.id}`;
    await waitForDeliveries(settledFor(eventId));

    const sent = notify.emails.slice(before).filter((e) => e.templateId === TEMPLATES.approval);
    expect(sent.map((e) => emails.get(e.emailAddress)).sort()).toEqual(['Rita', 'Rob']);
    const toRita = sent.find((e) => e.emailAddress === 'rita@example.gov.uk');
    expect(toRita?.personalisation).toMatchObject({
      event_type: 'evaluation.awaiting_approval',
      recipient_name: 'Rita',
      use_case_name: lowRiskRecord().name,
      use_case_stage: 'proposed',
      evaluation_to: 'test',
      approvals_needed: '1',
      link: `https://gatehouse.example.gov.uk/gate-evaluations/${evaluation.id}`,
    });
    // Every value is a flat string, as Notify's personalisation takes them; all but the link are sanitised
    // by Notify (Markdown escaped, URLs removed): names and reasons are what people typed.
    expect(Object.values(toRita?.personalisation ?? {}).every((v) => typeof v === 'string')).toBe(true);
    expect(toRita?.sanitised).toEqual(
      expect.arrayContaining(['title', 'use_case_name', 'reason', 'run_reason', 'recipient_name']),
    );
    expect(toRita?.sanitised).not.toContain('link');
    const mine = (await deliveries()).filter((d) => d.eventId === eventId);
    expect(
      mine
        .filter((d) => d.channel === 'email')
        .map((d) => d.recipientUserId)
        .sort(),
    ).toEqual([rita.id, rob.id].sort());
    expect(sent.map((e) => e.reference).sort()).toEqual(
      mine
        .filter((d) => d.channel === 'email')
        .map((d) => d.id)
        .sort(),
    );

    const [call] = (await board.waitFor(1)).filter((c) => c.id === eventId);
    expect(call.body).toMatchObject({
      type: 'evaluation.awaiting_approval',
      data: {
        aiUseCase: { id: useCaseId, stage: 'proposed' },
        evaluation: { id: evaluation.id, to: 'test', approvals: { have: 0, need: 1 } },
        link: `https://gatehouse.example.gov.uk/gate-evaluations/${evaluation.id}`,
      },
    });
    expect(call.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('tells the team of a promotion and of a rejection, with the reviewer’s reason; no payload holds an address or secret', async () => {
    const { useCaseId, evaluation } = await waiting();
    await givenApproved(api, evaluation, cast());
    await givenPromoted(api, useCaseId, evaluation, cast());
    await givenEvidenceFor(api, useCaseId, 'learn', cast());
    const toLearn = await givenPassingEvaluation(api, useCaseId, 'learn', cast());
    await api
      .as(rob.token)
      .post(`/v1/gate-evaluations/${toLearn.id}/approvals`, {
        decision: 'reject',
        reason: 'The pilot plan has no rollback',
        evaluationHash: toLearn.hash,
      })
      .expect(201);
    const rejectedId = `evaluation.rejected:${toLearn.id}`;
    const all = await waitForDeliveries(
      (d) =>
        settledFor(rejectedId)(d) &&
        d.some((x) => x.type === 'use_case.promoted' && x.status === 'delivered' && x.channel === 'webhook'),
    );

    const promoted = notify.emails.filter(
      (e) =>
        e.templateId === TEMPLATES.promoted &&
        e.personalisation['link'] === `https://gatehouse.example.gov.uk/ai-use-cases/${useCaseId}`,
    );
    expect(promoted.map((e) => emails.get(e.emailAddress)).sort()).toEqual(['Eve', 'Rex', 'Sam']);
    expect(promoted[0].personalisation).toMatchObject({ stage_from: 'proposed', stage_to: 'test' });
    const rejected = notify.emails.filter(
      (e) => e.templateId === TEMPLATES.rejected && e.personalisation['evaluation_to'] === 'learn',
    );
    expect(rejected.map((e) => emails.get(e.emailAddress)).sort()).toEqual(['Eve', 'Rex', 'Sam']);
    expect(rejected[0].personalisation['reason']).toBe('The pilot plan has no rollback');
    expect(all.filter((d) => d.eventId === rejectedId && d.channel === 'webhook')).toHaveLength(1);

    // Nothing a recipient may not see: no one's e-mail address, no secret, in any webhook or e-mail.
    const everything = JSON.stringify([
      board.received.map((c) => c.raw),
      notify.emails.map((e) => e.personalisation),
    ]);
    expect(everything).not.toMatch(/@example\.gov\.uk/);
    expect(everything).not.toMatch(/whsec_|sk-stub/);
    expect(JSON.stringify(all)).not.toMatch(/@example\.gov\.uk/);
  });

  it('retries a webhook that answers 500 with backoff, then delivers it once', async () => {
    const flaky = await startWebhookReceiver();
    try {
      const { id } = await endpoint(flaky, { events: ['evaluation.awaiting_approval'] });
      flaky.failNext(2, 500);
      const { evaluation } = await waiting();
      const eventId = `evaluation.awaiting_approval:${evaluation.id}`;
      const all = await waitForDeliveries(settledFor(eventId));
      const delivery = all.find((d) => d.eventId === eventId && d.endpointId === id);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
      expect(flaky.failed).toBe(2);
      expect(flaky.received.map((c) => c.id)).toEqual([eventId]);
      const metrics = (await api.http.get('/metrics').expect(200)).text;
      expect(metrics).toMatch(
        /gatehouse_notification_attempts_total\{channel="webhook",outcome="retrying"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /gatehouse_notification_attempts_total\{channel="webhook",outcome="delivered"\} [1-9]/,
      );
      await adminDelete(`/v1/webhook-endpoints/${id}`).expect(200);
    } finally {
      await flaky.close();
    }
  });

  it('fails a delivery after its attempts, shows it to admins, and a replay delivers it once with the same webhook-id', async () => {
    const broken = await startWebhookReceiver();
    try {
      const { id } = await endpoint(broken, { events: ['evaluation.awaiting_approval'] });
      broken.failNext(1000, 503);
      const { evaluation } = await waiting();
      const eventId = `evaluation.awaiting_approval:${evaluation.id}`;
      await waitForDeliveries(settledFor(eventId));
      const failed = (await deliveries('&status=failed')).find((d) => d.endpointId === id);
      const failedId = failed?.id as string;
      expect(failed).toMatchObject({
        eventId,
        type: 'evaluation.awaiting_approval',
        channel: 'webhook',
        status: 'failed',
        attempts: MAX_ATTEMPTS,
        lastError: 'http 503',
      });
      expect(broken.failed).toBe(MAX_ATTEMPTS);

      broken.failNext(0, 503);
      const replayed = await api.admin.post(`/v1/webhook-deliveries/${failedId}/replay`).expect(202);
      expect(replayed.body).toMatchObject({ status: 'pending', attempts: 0 });
      const [call] = await broken.waitFor(1);
      expect(call.id).toBe(eventId);
      const after = await waitForDeliveries((all) =>
        all.some((d) => d.id === failedId && d.status === 'delivered'),
      );
      expect(after.find((d) => d.id === failedId)?.attempts).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(broken.received).toHaveLength(1);
      const audit = await api.admin.get('/v1/audit-events?action=notification_delivery.replayed').expect(200);
      expect(audit.body.items.map((e: { subjectId: string }) => e.subjectId)).toContain(failedId);
      // A delivered one replayed again would send again on purpose; one in flight is refused.
      await adminDelete(`/v1/webhook-endpoints/${id}`).expect(200);
    } finally {
      await broken.close();
    }
  });

  it('records the same event once however often it is recorded, and delivers it once', async () => {
    const service = api.app.get(NotificationsService);
    const changeId = randomUUID();
    const event = useCasePromoted(
      { id: randomUUID(), name: 'Replayed record', stage: 'test', ownerTeamId: otto.teamId as string },
      { id: changeId, fromStage: 'proposed', toStage: 'test' },
    );
    const first = await service.write((tx) => service.record(tx, event));
    const second = await service.write((tx) => service.record(tx, event));
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(0);
    const eventId = `use_case.promoted:${changeId}`;
    await waitForDeliveries(settledFor(eventId));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(board.received.filter((c) => c.id === eventId)).toHaveLength(1);
    expect(
      notify.emails
        .filter((e) => e.personalisation['use_case_name'] === 'Replayed record')
        .map((e) => e.emailAddress),
    ).toEqual(['otto@example.gov.uk']);
  });

  it('sends what a crash between commit and enqueue left pending when the sweep runs', async () => {
    const service = api.app.get(NotificationsService);
    const change = randomUUID();
    // Recorded in a transaction not opened by NotificationsService.write: nothing is enqueued after it.
    await api.app.get(UnitOfWork).write((tx) =>
      service.record(
        tx,
        useCasePromoted(
          {
            id: randomUUID(),
            name: 'Left in the outbox',
            stage: 'test',
            ownerTeamId: otto.teamId as string,
          },
          { id: change, fromStage: 'proposed', toStage: 'test' },
        ),
      ),
    );
    const eventId = `use_case.promoted:${change}`;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await deliveries()).filter((d) => d.eventId === eventId).map((d) => d.status)).toEqual([
      'pending',
      'pending',
    ]);
    // Still being sent (pending): a replay is refused until it is delivered or failed.
    const pending = (await deliveries()).find((d) => d.eventId === eventId) as Delivery;
    const refused = await api.admin.post(`/v1/webhook-deliveries/${pending.id}/replay`).expect(409);
    expect(refused.body.rule).toBe('delivery_settled');
    await api.app.get(NotificationSweepService).sweep();
    await waitForDeliveries(
      (all) => all.filter((d) => d.eventId === eventId && d.status === 'delivered').length === 2,
    );
    expect(board.received.filter((c) => c.id === eventId)).toHaveLength(1);
  });

  it('warns the owning team once when the evidence of its stage goes stale soon', async () => {
    const { useCaseId, evaluation } = await waiting();
    await givenApproved(api, evaluation, cast());
    await givenPromoted(api, useCaseId, evaluation, cast());
    const notices = api.app.get(EvidenceExpiryNotices);
    expect(await notices.scan()).toBeGreaterThan(0);
    const eventId = `evidence.expiring:${useCaseId}:${evaluation.id}`;
    await waitForDeliveries(settledFor(eventId));
    const sent = notify.emails.filter(
      (e) =>
        e.templateId === TEMPLATES.expiring &&
        e.personalisation['link'] === `https://gatehouse.example.gov.uk/ai-use-cases/${useCaseId}`,
    );
    expect(sent.map((e) => emails.get(e.emailAddress)).sort()).toEqual(['Eve', 'Rex', 'Sam']);
    expect(String(sent[0].personalisation['expires_on'])).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const [call] = board.received.filter((c) => c.id === eventId);
    expect(call.body.data).toMatchObject({ aiUseCase: { id: useCaseId, stage: 'test' } });
    expect(Date.parse(String(call.body.data['expiresAt']))).toBeGreaterThan(Date.now());
    // Scanning again warns nobody twice.
    expect(await notices.scan()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(board.received.filter((c) => c.id === eventId)).toHaveLength(1);
  });

  it('sends nothing to a disabled endpoint nor to a team-scoped endpoint about another team', async () => {
    const disabled = await startWebhookReceiver();
    const pensionsOnly = await startWebhookReceiver();
    const benefitsOnly = await startWebhookReceiver();
    try {
      const off = await endpoint(disabled);
      const disabledView = await adminDelete(`/v1/webhook-endpoints/${off.id}`).expect(200);
      expect(disabledView.body.disabledAt).not.toBeNull();
      await endpoint(pensionsOnly, { teamId: otto.teamId });
      const benefits = await endpoint(benefitsOnly, { teamId: sam.teamId });
      const { evaluation } = await waiting();
      const eventId = `evaluation.awaiting_approval:${evaluation.id}`;
      await benefitsOnly.waitFor(1);
      await waitForDeliveries(settledFor(eventId));
      expect(benefitsOnly.received.map((c) => c.id)).toEqual([eventId]);
      expect(disabled.received).toHaveLength(0);
      expect(pensionsOnly.received).toHaveLength(0);
      const listed = await api.admin.get('/v1/webhook-endpoints').expect(200);
      expect(JSON.stringify(listed.body)).not.toMatch(/whsec_/);
      expect(listed.body.items.find((e: { id: string }) => e.id === benefits.id)).toMatchObject({
        teamId: sam.teamId,
        disabledAt: null,
      });
    } finally {
      await Promise.all([disabled.close(), pensionsOnly.close(), benefitsOnly.close()]);
    }
  });

  it('e-mails the starter’s team when a run fails', async () => {
    const useCaseId = await useCase();
    await api
      .as(eve.token)
      .put(`/v1/ai-use-cases/${useCaseId}/target`, { target: cast().target })
      .expect(200);
    stub.setOptions({ apiKey: 'sk-not-the-one-sent' });
    try {
      const started = await api
        .as(eve.token)
        .post('/v1/runs', { suite: 'notify-qs@1', aiUseCaseId: useCaseId })
        .expect(202);
      const run = await api.waitForRun(started.body.id, eve.token);
      expect(run.status).toBe('failed');
      const eventId = `run.failed:${run.id}`;
      await waitForDeliveries(settledFor(eventId));
      const sent = notify.emails.filter((e) => e.templateId === TEMPLATES.runFailed);
      expect(sent.map((e) => emails.get(e.emailAddress)).sort()).toEqual(['Eve', 'Rex', 'Sam']);
      expect(sent[0].personalisation).toMatchObject({
        run_suite: 'notify-qs@1',
        link: `https://gatehouse.example.gov.uk/runs/${run.id}`,
      });
      expect(String(sent[0].personalisation['run_reason'])).toMatch(/401/);
      expect(board.received.some((c) => c.id === eventId)).toBe(true);
    } finally {
      stub.reset();
    }
  });

  it('retries an e-mail Notify answers 500 or 429 to, then delivers it', async () => {
    const before = notify.answered.length;
    notify.failNext(2, 500);
    const { evaluation } = await waiting();
    const eventId = `evaluation.awaiting_approval:${evaluation.id}`;
    const all = await waitForDeliveries(settledFor(eventId));
    const mails = all.filter((d) => d.eventId === eventId && d.channel === 'email');
    expect(mails.every((d) => d.status === 'delivered')).toBe(true);
    expect(mails.reduce((sum, d) => sum + d.attempts, 0)).toBe(mails.length + 2);
    expect(notify.answered.slice(before).filter((s) => s === 500)).toHaveLength(2);
  });

  describe('webhook endpoints: who may manage them and what they may point at', () => {
    it('refuses a URL to a private, metadata or non-https address, naming `url`', async () => {
      for (const url of [
        'http://10.1.2.3/hook',
        'https://169.254.169.254/latest/meta-data',
        'https://192.168.0.10/hook',
        'ftp://example.gov.uk/hook',
        'https://user:pass@hooks.example/x',
        'not a url',
      ]) {
        const refused = await api.admin
          .post('/v1/webhook-endpoints', { name: 'x', url, events: ['run.failed'] })
          .expect(400);
        expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['url']);
        expect(JSON.stringify(refused.body)).not.toMatch(/stack|at \//);
      }
      const before = (await api.admin.get('/v1/webhook-endpoints').expect(200)).body.items.length;
      const bad = await api.admin
        .post('/v1/webhook-endpoints', {
          name: 'x',
          url: board.url,
          events: ['run.failed', 'run.exploded'],
          teamId: randomUUID(),
        })
        .expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('events[1]');
      const unknownTeam = await api.admin
        .post('/v1/webhook-endpoints', {
          name: 'x',
          url: board.url,
          events: ['run.failed'],
          teamId: randomUUID(),
        })
        .expect(400);
      expect(unknownTeam.body.errors.map((e: { field: string }) => e.field)).toEqual(['teamId']);
      const extra = await api.admin
        .post('/v1/webhook-endpoints', { name: 'x', url: board.url, events: ['run.failed'], secret: 'mine' })
        .expect(400);
      expect(extra.body.errors.map((e: { field: string }) => e.field)).toEqual(['secret']);
      expect((await api.admin.get('/v1/webhook-endpoints').expect(200)).body.items).toHaveLength(before);
    });

    it('refuses to make an endpoint on a PostgreSQL server with no secrets key, saying so (embedded mode keeps one)', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keyless-'));
      const keyless = await TestApi.start({ GATEHOUSE_SECRETS_KEY: '', GATEHOUSE_DATA_DIR: dataDir });
      try {
        const response = await keyless.admin.post('/v1/webhook-endpoints', {
          name: 'bridge',
          url: board.url,
          events: ['run.failed'],
        });
        const listed = (await keyless.admin.get('/v1/webhook-endpoints').expect(200)).body.items.length;
        const seen = {
          status: response.status,
          rule: response.body.rule ?? null,
          namesTheSetting: /GATEHOUSE_SECRETS_KEY/.test(response.body.detail ?? ''),
          secretShown: /^whsec_/.test(response.body.secret ?? ''),
          endpoints: listed,
        };
        expect(seen).toEqual(
          keyless.database.url.startsWith('postgres')
            ? {
                status: 409,
                rule: 'secrets_key_configured',
                namesTheSetting: true,
                secretShown: false,
                endpoints: 0,
              }
            : { status: 201, rule: null, namesTheSetting: false, secretShown: true, endpoints: 1 },
        );
      } finally {
        await keyless.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('is for admins only (403), and ids that are not UUIDs are 404', async () => {
      for (const user of [sam, rita, eve]) {
        const as = api.as(user.token);
        await as.get('/v1/webhook-endpoints').expect(403);
        await as
          .post('/v1/webhook-endpoints', { name: 'x', url: board.url, events: ['run.failed'] })
          .expect(403);
        await as.get('/v1/webhook-deliveries').expect(403);
        await as.post(`/v1/webhook-endpoints/${boardEndpointId}/rotate-secret`).expect(403);
        await as.post(`/v1/webhook-deliveries/${randomUUID()}/replay`).expect(403);
        await api.http
          .delete(`/v1/webhook-endpoints/${boardEndpointId}`)
          .set('Authorization', `Bearer ${user.token}`)
          .expect(403);
      }
      await api.http.get('/v1/webhook-endpoints').expect(401);
      await api.admin.post('/v1/webhook-deliveries/not-a-uuid/replay').expect(404);
      await api.admin.post(`/v1/webhook-deliveries/${randomUUID()}/replay`).expect(404);
      await api.admin.post("/v1/webhook-endpoints/1'%20OR%201=1/rotate-secret").expect(404);
      await api.http.delete('/v1/webhook-endpoints/../users').set('Authorization', 'Bearer x').expect(404);
      const badQuery = await api.admin.get('/v1/webhook-deliveries?status=lost&limit=100000').expect(400);
      expect(badQuery.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'status']);
      const list = await api.admin.get('/v1/webhook-endpoints').expect(200);
      expect(list.body.items.find((e: { id: string }) => e.id === boardEndpointId)?.disabledAt).toBeNull();
    });

    it('rotates a secret: shown once, the old one no longer verifies, audited without the secret', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const made = await endpoint(receiver, { events: ['use_case.promoted'] });
        const rotated = await api.admin.post(`/v1/webhook-endpoints/${made.id}/rotate-secret`).expect(200);
        expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
        expect(rotated.body.secret).not.toBe(made.secret);
        const service = api.app.get(NotificationsService);
        const change = randomUUID();
        await service.write((tx) =>
          service.record(
            tx,
            useCasePromoted(
              { id: randomUUID(), name: 'Rotation check', stage: 'test', ownerTeamId: otto.teamId as string },
              { id: change, fromStage: 'proposed', toStage: 'test' },
            ),
          ),
        );
        await waitForDeliveries(settledFor(`use_case.promoted:${change}`));
        expect(receiver.rejected).toBe(1); // still holding the old secret
        receiver.setSecret(rotated.body.secret);
        const failed = (await deliveries('&status=failed')).find((d) => d.endpointId === made.id);
        const failedId = failed?.id as string;
        expect(failed?.lastError).toBe('http 401');
        await api.admin.post(`/v1/webhook-deliveries/${failedId}/replay`).expect(202);
        await receiver.waitFor(1);
        const audit = await api.admin
          .get('/v1/audit-events?action=webhook_endpoint.secret_rotated')
          .expect(200);
        expect(audit.body.items.some((e: { subjectId: string }) => e.subjectId === made.id)).toBe(true);
        const everything = await api.admin.get('/v1/audit-events?limit=200').expect(200);
        expect(JSON.stringify(everything.body)).not.toContain(rotated.body.secret);
        expect(JSON.stringify(everything.body)).not.toContain(made.secret);
        expect(api.logs.join('')).not.toContain(made.secret);
      } finally {
        await receiver.close();
      }
    });
  });
});
