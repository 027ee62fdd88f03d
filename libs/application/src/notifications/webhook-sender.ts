import { EgressRefusedError } from '@gatehouse/evals';
import { Webhook } from 'standardwebhooks';
import { type Dispatcher, request } from 'undici';

/** What one attempt came to: delivered, worth another attempt later, or not (a refusal that will not change). */
export type AttemptOutcome =
  { kind: 'delivered' } | { kind: 'retry'; error: string } | { kind: 'permanent'; error: string };

/** Bytes of a receiver's answer read at most (only its status counts; the rest is discarded). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The body of every webhook call (Standard Webhooks' recommended shape). */
export interface WebhookBody {
  type: string;
  timestamp: string;
  data: object;
}

/**
 * Sends one signed webhook (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`,
 * HMAC-SHA256 over `id.timestamp.body` with the endpoint's `whsec_` secret) over the egress-checked
 * dispatcher: private and loopback addresses only where the operator allowed them, redirects never
 * followed, the answer read up to 64 KiB and never stored.
 *
 * 2xx is delivered. 408, 409, 425, 429, 5xx, time-outs and network errors are tried again later; any other
 * answer (400, 401, 403, 404, 410, a 3xx redirect…) means the receiver refused the call, and the delivery
 * fails at once (an admin sees it in GET /v1/webhook-deliveries and can replay it once the receiver is
 * fixed). A refused destination (egress policy) fails at once too.
 */
export async function sendWebhook(options: {
  url: string;
  secret: string;
  messageId: string;
  body: WebhookBody;
  timeoutMs: number;
  dispatcher: Dispatcher;
  now?: Date;
}): Promise<AttemptOutcome> {
  const payload = JSON.stringify(options.body);
  const at = options.now ?? new Date();
  const signature = new Webhook(options.secret).sign(options.messageId, at, payload);
  try {
    const answer = await request(options.url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Webhooks/1',
        'webhook-id': options.messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: payload,
      signal: AbortSignal.timeout(options.timeoutMs),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    await drain(answer.body);
    const status = answer.statusCode;
    if (status >= 200 && status < 300) {
      return { kind: 'delivered' };
    }
    const retryable = status >= 500 || [408, 409, 425, 429].includes(status);
    return { kind: retryable ? 'retry' : 'permanent', error: `http ${status}` };
  } catch (error) {
    return networkOutcome(error);
  }
}

/** Reads and discards up to the cap, then drops the connection's rest. */
async function drain(body: Dispatcher.ResponseData['body']): Promise<void> {
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        break; // leaving the loop destroys the stream
      }
    }
  } catch {
    // the status is what counts
  }
}

/** A short, secret-free reason for an error before an answer (no URL query, no body). */
export function networkOutcome(error: unknown): AttemptOutcome {
  if (error instanceof EgressRefusedError || (error as { code?: string })?.code === 'EGRESS_REFUSED') {
    return { kind: 'permanent', error: `egress refused: ${clip((error as Error).message)}` };
  }
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'retry', error: 'timeout' };
  }
  const code =
    (error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code ?? name;
  return { kind: 'retry', error: `network ${clip(String(code ?? 'error'))}` };
}

function clip(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
