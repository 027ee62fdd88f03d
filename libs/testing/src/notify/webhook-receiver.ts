import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A webhook call whose signature verified. */
export interface VerifiedWebhook {
  id: string;
  timestamp: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  raw: string;
  headers: Record<string, string>;
}

export interface WebhookReceiver {
  /** Where to point the endpoint (GATEHOUSE_EGRESS_ALLOW must allow 127.0.0.1). */
  url: string;
  /** Verified deliveries, in order received (a retried one appears once per 2xx answer). */
  received: VerifiedWebhook[];
  /** Calls whose signature did not verify (answered 401), and calls answered with an injected failure. */
  rejected: number;
  failed: number;
  /** The secret signatures are checked with (set it from the endpoint's create or rotate answer). */
  setSecret(secret: string): void;
  /** Answers the next `count` calls with `status` before verifying them. */
  failNext(count: number, status: number): void;
  /** Resolves once `count` verified calls arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<VerifiedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver that verifies every call as a Standard Webhooks consumer would, with the
 * `standardwebhooks` library (signature over id, timestamp and raw body; timestamp within five minutes),
 * records the verified ones and answers 204; an unverifiable call gets 401. Faults are injectable.
 */
export async function startWebhookReceiver(secret?: string): Promise<WebhookReceiver> {
  let verifier = secret ? new Webhook(secret) : null;
  let failures = { count: 0, status: 500 };
  const received: VerifiedWebhook[] = [];
  const counts = { rejected: 0, failed: 0 };
  const waiters: { count: number; resolve: (calls: VerifiedWebhook[]) => void }[] = [];

  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      if (failures.count > 0) {
        failures.count -= 1;
        counts.failed += 1;
        res.writeHead(failures.status).end('injected failure');
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : (value ?? ''),
        ]),
      );
      try {
        if (!verifier) {
          throw new Error('no secret set');
        }
        const body = verifier.verify(raw, headers) as VerifiedWebhook['body'];
        received.push({
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          body,
          raw,
          headers,
        });
      } catch {
        counts.rejected += 1;
        res.writeHead(401).end('signature does not verify');
        return;
      }
      res.writeHead(204).end();
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve([...received]);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/gatehouse`,
    received,
    get rejected() {
      return counts.rejected;
    },
    get failed() {
      return counts.failed;
    },
    setSecret(value: string) {
      verifier = new Webhook(value);
    },
    failNext(count: number, status: number) {
      failures = { count, status };
    },
    waitFor(count: number, timeoutMs = 30_000) {
      if (received.length >= count) {
        return Promise.resolve([...received]);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`webhook receiver got ${received.length} of ${count} calls in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: (calls) => {
            clearTimeout(timer);
            resolve(calls);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
