import { loadConfig } from '@gatehouse/config';
import { describeIntegration, type NotifyServer, startNotifyServer } from '@gatehouse/testing';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { NotifyEmailSender } from './notify-email-sender';

const TEMPLATE = 'c0000000-0000-4000-8000-000000000001';

describeIntegration('NotifyEmailSender (notifications-node-client against a local Notify)', () => {
  let notify: NotifyServer;
  let other: NotifyServer;
  const senders: NotifyEmailSender[] = [];
  const sender = (env: Record<string, string>) => {
    const made = new NotifyEmailSender(loadConfig({ GATEHOUSE_WEBHOOK_TIMEOUT_MS: '2000', ...env }).notify);
    senders.push(made);
    return made;
  };
  const to = (server: NotifyServer, key = server.apiKey) =>
    sender({ GATEHOUSE_NOTIFY_API_KEY: key, GATEHOUSE_NOTIFY_BASE_URL: server.url });

  beforeAll(async () => {
    notify = await startNotifyServer({ templates: [TEMPLATE] });
    other = await startNotifyServer();
  });

  afterAll(async () => {
    await Promise.all(senders.map((s) => s.close()));
    await Promise.all([notify.close(), other.close()]);
  });

  it('sends with a signed token, the template, the address, the personalisation and the reference', async () => {
    expect(await to(notify).send(TEMPLATE, 'rita@example.gov.uk', { title: 'T' }, 'ref-1')).toEqual({
      kind: 'delivered',
    });
    expect(notify.emails.at(-1)).toMatchObject({
      templateId: TEMPLATE,
      emailAddress: 'rita@example.gov.uk',
      personalisation: { title: 'T' },
      reference: 'ref-1',
      sanitised: ['title'],
    });
  });

  it.each([
    [429, { kind: 'retry', error: 'notify 429 RateLimitError' }],
    [500, { kind: 'retry', error: 'notify 500 Exception' }],
  ])('tries again later after a %i', async (status, outcome) => {
    notify.failNext(1, status);
    expect(await to(notify).send(TEMPLATE, 'rita@example.gov.uk', {}, 'ref-2')).toEqual(outcome);
  });

  it('fails for good on a 400, recording the code but never the message (which repeats the address)', async () => {
    const bad = await to(notify).send(TEMPLATE, 'not-an-address', {}, 'ref-3');
    expect(bad).toEqual({ kind: 'permanent', error: 'notify 400 ValidationError' });
    const unknown = await to(notify).send(
      'c0000000-0000-4000-8000-0000000000ff',
      'a@example.gov.uk',
      {},
      'r',
    );
    expect(unknown).toEqual({ kind: 'permanent', error: 'notify 400 BadRequestError' });
  });

  it('tries again after a 403 (a key Notify refuses may be fixed by the operator), never naming the key', async () => {
    const outcome = await to(notify, other.apiKey).send(TEMPLATE, 'a@example.gov.uk', {}, 'r');
    expect(outcome).toEqual({ kind: 'retry', error: 'notify 403 AuthError' });
    expect(JSON.stringify(outcome)).not.toContain(other.apiKey.slice(-36));
  });

  it('gives up on a Notify slower than the time-out, and on one not listening, to try again later', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    try {
      const slow = sender({
        GATEHOUSE_NOTIFY_API_KEY: notify.apiKey,
        GATEHOUSE_NOTIFY_BASE_URL: url,
        GATEHOUSE_WEBHOOK_TIMEOUT_MS: '200',
      });
      expect(await slow.send(TEMPLATE, 'a@example.gov.uk', {}, 'r')).toEqual({
        kind: 'retry',
        error: 'timeout',
      });
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
    const away = sender({ GATEHOUSE_NOTIFY_API_KEY: notify.apiKey, GATEHOUSE_NOTIFY_BASE_URL: url });
    expect(await away.send(TEMPLATE, 'a@example.gov.uk', {}, 'r')).toEqual({
      kind: 'retry',
      error: 'network ECONNREFUSED',
    });
  });

  it('without a key sends nothing and says why', async () => {
    const none = sender({});
    expect(none.configured).toBe(false);
    expect(await none.send(TEMPLATE, 'a@example.gov.uk', {}, 'r')).toEqual({
      kind: 'retry',
      error: 'no GATEHOUSE_NOTIFY_API_KEY on this process',
    });
  });
});
