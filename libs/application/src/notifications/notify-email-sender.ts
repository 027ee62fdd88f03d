import { type NotifyConfig } from '@gatehouse/config';
import { NotifyClient } from 'notifications-node-client';
import { Agent, request } from 'undici';
import { type AttemptOutcome, networkOutcome } from './webhook-sender';

/** Bytes of a Notify answer read at most. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** The shape of a failed call the Notify client's callers read (an axios-like error with `response`). */
class NotifyHttpError extends Error {
  constructor(readonly response: { status: number; data: unknown }) {
    super(`GOV.UK Notify answered ${response.status}`);
    this.name = 'NotifyHttpError';
  }
}

/**
 * E-mails through GOV.UK Notify with its official client (`notifications-node-client`), which signs each
 * request with a JWT made from the API key. The client's HTTP calls go through undici here rather than its
 * default axios: a time-out on every call, redirects never followed, the answer size capped. The base URL
 * is the operator's (GATEHOUSE_NOTIFY_BASE_URL), so it is not subject to the platform's egress policy.
 *
 * Notify's 400s (ValidationError, BadRequestError: an address or template it will never accept) fail the
 * delivery at once; 403 (a key it refuses), 429 and 5xx are tried again later. The error recorded is
 * Notify's error code, never its message (which may repeat the address) nor the key.
 */
export class NotifyEmailSender {
  private readonly client: NotifyClient | null;
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

  constructor(config: NotifyConfig) {
    if (!config.apiKey) {
      this.client = null;
      return;
    }
    this.client = new NotifyClient(config.baseUrl, config.apiKey.reveal());
    const timeoutMs = config.webhookTimeoutMs;
    const agent = this.agent;
    const restClient = async (options: {
      method: string;
      url: string;
      data?: unknown;
      headers: Record<string, string>;
    }) => {
      const answer = await request(options.url, {
        method: options.method.toUpperCase() as 'POST',
        dispatcher: agent,
        headers: {
          ...options.headers,
          ...(options.data === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.data === undefined ? undefined : JSON.stringify(options.data),
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await readCapped(answer.body);
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: kept as text, only its status is used
      }
      if (answer.statusCode < 200 || answer.statusCode >= 300) {
        throw new NotifyHttpError({ status: answer.statusCode, data });
      }
      return { status: answer.statusCode, data, headers: answer.headers };
    };
    this.client.setClient(restClient as unknown as Parameters<NotifyClient['setClient']>[0]);
  }

  get configured(): boolean {
    return this.client !== null;
  }

  async send(
    templateId: string,
    emailAddress: string,
    personalisation: Record<string, string>,
    reference: string,
  ): Promise<AttemptOutcome> {
    if (!this.client) {
      return { kind: 'retry', error: 'no GATEHOUSE_NOTIFY_API_KEY on this process' };
    }
    try {
      await this.client.sendEmail(templateId, emailAddress, {
        personalisation,
        reference,
        // What people typed (names, reasons, error text) is sent with Markdown escaped and URLs removed by
        // Notify, so a use case called "[Approve here](https://…)" cannot put a link in a reviewer's e-mail.
        sanitiseContentFor: Object.keys(personalisation).filter((key) => key !== 'link'),
      });
      return { kind: 'delivered' };
    } catch (error) {
      if (error instanceof NotifyHttpError) {
        const status = error.response.status;
        const code = notifyErrorCode(error.response.data);
        const reason = `notify ${status}${code ? ` ${code}` : ''}`;
        return { kind: status === 400 ? 'permanent' : 'retry', error: reason };
      }
      return networkOutcome(error);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The first error code of a Notify error body (`{ errors: [{ error: 'ValidationError', message }] }`). */
function notifyErrorCode(data: unknown): string | null {
  const errors = (data as { errors?: { error?: unknown }[] } | null)?.errors;
  const code = Array.isArray(errors) ? errors[0]?.error : undefined;
  return typeof code === 'string' && /^[A-Za-z]{1,60}$/.test(code) ? code : null;
}

async function readCapped(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
