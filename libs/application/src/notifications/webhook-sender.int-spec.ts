import { EgressPolicy } from '@gatehouse/evals';
import { describeIntegration } from '@gatehouse/testing';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sendWebhook } from './webhook-sender';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describeIntegration('sendWebhook', () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_req, res) => res.writeHead(204).end();
  let redirectedTo = 0;
  const allowLoopback = new EgressPolicy({ allow: ['127.0.0.1'], selfPorts: [] }).dispatcher();
  const strict = new EgressPolicy({ allow: [], selfPorts: [] }).dispatcher();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/elsewhere') {
          redirectedTo += 1;
          res.writeHead(204).end();
          return;
        }
        handler(req, res, Buffer.concat(chunks).toString());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all([allowLoopback.close(), strict.close()]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (options: { timeoutMs?: number; dispatcher?: typeof strict } = {}) =>
    sendWebhook({
      url: `${base}/hook`,
      secret: SECRET,
      messageId: 'use_case.promoted:sc-1',
      body: { type: 'use_case.promoted', timestamp: '2026-12-05T00:00:00.000Z', data: { title: 't' } },
      timeoutMs: options.timeoutMs ?? 2000,
      dispatcher: options.dispatcher ?? allowLoopback,
    });

  it('signs the raw body so a Standard Webhooks library verifies it, with webhook-id the message id', async () => {
    let verified: unknown;
    handler = (req, res, body) => {
      verified = new Webhook(SECRET).verify(body, req.headers as Record<string, string>);
      expect(req.headers['webhook-id']).toBe('use_case.promoted:sc-1');
      res.writeHead(200).end('ok');
    };
    expect(await send()).toEqual({ kind: 'delivered' });
    expect(verified).toMatchObject({ type: 'use_case.promoted', data: { title: 't' } });
  });

  it.each([
    [204, { kind: 'delivered' }],
    [408, { kind: 'retry', error: 'http 408' }],
    [429, { kind: 'retry', error: 'http 429' }],
    [500, { kind: 'retry', error: 'http 500' }],
    [503, { kind: 'retry', error: 'http 503' }],
    [400, { kind: 'permanent', error: 'http 400' }],
    [404, { kind: 'permanent', error: 'http 404' }],
    [410, { kind: 'permanent', error: 'http 410' }],
  ])('answer %i → %j (the body is never kept)', async (status, outcome) => {
    handler = (_req, res) => res.writeHead(status).end('secret-looking body sk-live-123456789');
    expect(await send()).toEqual(outcome);
  });

  it('never follows a redirect: the call fails as refused and the other URL is not called', async () => {
    handler = (_req, res) => res.writeHead(302, { location: `${base}/elsewhere` }).end();
    expect(await send()).toEqual({ kind: 'permanent', error: 'http 302' });
    expect(redirectedTo).toBe(0);
  });

  it('gives up on a receiver slower than the time-out, to try again later', async () => {
    handler = (_req, res) => setTimeout(() => res.writeHead(204).end(), 1500).unref();
    expect(await send({ timeoutMs: 200 })).toEqual({ kind: 'retry', error: 'timeout' });
  });

  it('reads at most a small part of a huge answer and still counts its status', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const more = () => {
        while (sent < 200 && res.write(chunk)) {
          sent += 1;
        }
        if (sent < 200) {
          res.once('drain', more);
        } else {
          res.end();
        }
      };
      res.on('error', () => undefined);
      more();
    };
    expect(await send()).toEqual({ kind: 'delivered' });
  });

  it('refuses a loopback receiver the egress policy does not allow, for good', async () => {
    const outcome = await send({ dispatcher: strict });
    expect(outcome.kind).toBe('permanent');
    expect(outcome.kind !== 'delivered' && outcome.error).toMatch(/^egress refused: 127\.0\.0\.1.*loopback/);
  });

  it('tries a receiver that is not listening again later', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await sendWebhook({
      url: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
      messageId: 'm',
      body: { type: 'run.failed', timestamp: 't', data: {} },
      timeoutMs: 2000,
      dispatcher: allowLoopback,
    });
    expect(outcome).toEqual({ kind: 'retry', error: 'network ECONNREFUSED' });
  });
});
