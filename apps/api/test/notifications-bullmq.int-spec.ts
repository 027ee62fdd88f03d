import { NotificationsService, useCasePromoted } from '@gatehouse/application';
import { UnitOfWork } from '@gatehouse/persistence';
import {
  describeIntegration,
  type NotifyServer,
  REDIS_TEST_URL,
  type RunningProcess,
  startNode,
  startNotifyServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@gatehouse/testing';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { TEST_SECRETS_KEY, TestApi, type TestUser } from './support/test-api';

const ROOT = join(__dirname, '../../..');
const WORKER_MAIN = join(ROOT, 'dist/apps/worker/src/main.js');
const PROMOTED_TEMPLATE = 'b0000000-0000-4000-8000-000000000003';

/**
 * Notifications as deployed: the API records events and enqueues their deliveries on BullMQ (Redis); a
 * separate worker process takes them, e-mails through the local Notify server and calls the webhook
 * receiver, retrying with delayed BullMQ jobs; its reconciler's sweep sends what was never enqueued.
 */
describeIntegration(
  'notifications through BullMQ and a worker process',
  () => {
    let api: TestApi;
    let worker: RunningProcess;
    let notify: NotifyServer;
    let receiver: WebhookReceiver;
    let endpointId: string;
    let otto: TestUser;

    beforeAll(async () => {
      execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { stdio: 'ignore' });
      notify = await startNotifyServer({ templates: [PROMOTED_TEMPLATE] });
      receiver = await startWebhookReceiver();
      const shared = {
        REDIS_URL: REDIS_TEST_URL,
        GATEHOUSE_QUEUE_PREFIX: `notify-${randomBytes(4).toString('hex')}`,
        GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
        GATEHOUSE_NOTIFY_BASE_URL: notify.url,
        GATEHOUSE_NOTIFY_TEMPLATE_PROMOTED: PROMOTED_TEMPLATE,
        GATEHOUSE_NOTIFY_MAX_ATTEMPTS: '3',
        GATEHOUSE_NOTIFY_BACKOFF_MS: '200',
      };
      api = await TestApi.start(shared);
      otto = await api.user('Otto', ['service_team'], 'Pensions');
      await api.admin.patch(`/v1/users/${otto.id}`, { email: 'otto@example.gov.uk' }).expect(200);
      const created = await api.admin
        .post('/v1/webhook-endpoints', { name: 'bridge', url: receiver.url, events: ['use_case.promoted'] })
        .expect(201);
      endpointId = created.body.id;
      receiver.setSecret(created.body.secret);
      const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
      worker = startNode(WORKER_MAIN, {
        env: {
          ...rest,
          ...shared,
          DATABASE_URL: api.database.url,
          GATEHOUSE_SECRETS_KEY: TEST_SECRETS_KEY,
          GATEHOUSE_EGRESS_ALLOW: '127.0.0.1',
          GATEHOUSE_WORKER_PORT: '0',
          GATEHOUSE_RECONCILE_EVERY_MS: '500',
          GATEHOUSE_SEED_EXAMPLES: 'false',
          LOG_LEVEL: 'warn',
        },
      });
      await worker.waitFor(/worker is ready/, 60_000);
    }, 120_000);

    afterAll(async () => {
      await worker?.stop();
      await api?.close();
      await Promise.all([notify?.close(), receiver?.close()]);
    });

    const promoted = (name: string) =>
      useCasePromoted(
        { id: randomUUID(), name, stage: 'learn', ownerTeamId: otto.teamId as string },
        { id: randomUUID(), fromStage: 'test', toStage: 'learn' },
      );

    it('delivers an event the API recorded: the e-mail through Notify, the webhook signed, a 500 retried by a delayed job', async () => {
      receiver.failNext(1, 500);
      const service = api.app.get(NotificationsService);
      const event = promoted('Queued on Redis');
      await service.write((tx) => service.record(tx, event));
      const [call] = await receiver.waitFor(1, 30_000);
      expect(call.id).toBe(event.id);
      expect(receiver.failed).toBe(1);
      const [email] = await notify.waitForEmails(1, 30_000);
      expect(email).toMatchObject({ templateId: PROMOTED_TEMPLATE, emailAddress: 'otto@example.gov.uk' });
      expect(email.personalisation['use_case_name']).toBe('Queued on Redis');
      const { body } = await api.admin.get('/v1/webhook-deliveries?status=delivered').expect(200);
      expect(
        body.items.find(
          (d: { eventId: string; endpointId: string }) =>
            d.eventId === event.id && d.endpointId === endpointId,
        ),
      ).toMatchObject({ attempts: 2, status: 'delivered' });
    }, 60_000);

    it('sends what was recorded but never enqueued, from the worker’s sweep', async () => {
      const service = api.app.get(NotificationsService);
      const event = promoted('Never enqueued');
      const [calls, emails] = [receiver.received.length, notify.emails.length];
      await api.app.get(UnitOfWork).write((tx) => service.record(tx, event));
      const received = await receiver.waitFor(calls + 1, 30_000);
      expect(received.at(-1)?.id).toBe(event.id);
      const sent = await notify.waitForEmails(emails + 1, 30_000);
      expect(sent.at(-1)?.personalisation['use_case_name']).toBe('Never enqueued');
    }, 60_000);
  },
  { needs: ['redis'] },
);
