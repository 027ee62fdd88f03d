import { type RunsService, type RunView } from '@gatehouse/application';
import { type Actor, DomainError } from '@gatehouse/domain';
import { type Request, type Response } from 'express';

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);
const EVENT_POLL_MS = 500;
const KEEP_ALIVE_MS = 15_000;
/** How often an open stream re-checks the credential that opened it (an API token, or a web session). */
const CREDENTIAL_CHECK_MS = 2_000;

/** Who opened the stream, and how to check that their credential still stands. */
export interface StreamCaller {
  actor: Actor;
  /** The caller as their credential says now: null once the token is revoked or expired, or the session ended. */
  recheck: () => Promise<Actor | null>;
}

/**
 * A run's progress as server-sent events: `progress` ({id, status, progress, outcome}) whenever it changes,
 * then `done` with the whole run, polling every 500 ms and stopping when the client goes. Every 2 s the
 * caller's credential is checked again: a revoked or expired token, or an ended web session, closes the
 * stream with an `error` event. Written by hand rather than with Nest's @Sse: the caller checks visibility
 * first (a 404 or 403 before any header), which Nest's SSE stream, started behind the interceptors before
 * an async handler settles, does not guarantee.
 */
export async function streamRunEvents(
  req: Request,
  res: Response,
  runs: RunsService,
  caller: StreamCaller,
  runId: string,
): Promise<void> {
  let actor = caller.actor;
  let checkedAt = Date.now();
  req.socket.setTimeout(0);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache, no-store, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let sequence = 0;
  let last = '';
  let lastWrite = Date.now();
  const write = (chunk: string) => {
    lastWrite = Date.now();
    res.write(chunk);
  };
  const send = (type: string, data: object) =>
    write(`event: ${type}\nid: ${++sequence}\nretry: 2000\ndata: ${JSON.stringify(data)}\n\n`);
  const finish = () => {
    closed = true;
    clearTimeout(timer);
    res.end();
  };
  res.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  const tick = async () => {
    let run: RunView;
    try {
      if (Date.now() - checkedAt >= CREDENTIAL_CHECK_MS) {
        checkedAt = Date.now();
        const current = await caller.recheck();
        if (!current) {
          if (!closed) {
            send('error', {
              message: 'Your token was revoked or expired, or you signed out: this stream is closed.',
            });
            finish();
          }
          return;
        }
        actor = current; // a role or team changed meanwhile counts from now on
      }
      run = await runs.get(actor, runId);
    } catch (error) {
      if (!closed) {
        const message = error instanceof DomainError ? error.message : 'The run could not be read.';
        send('error', { message });
        finish();
      }
      return;
    }
    if (closed) {
      return;
    }
    const progress = { id: run.id, status: run.status, progress: run.progress, outcome: run.outcome };
    const key = JSON.stringify(progress);
    if (key !== last) {
      last = key;
      send('progress', progress);
    } else if (Date.now() - lastWrite > KEEP_ALIVE_MS) {
      write(': still running\n\n'); // a comment, so proxies keep a quiet stream open
    }
    if (TERMINAL.has(run.status) && (run.report !== null || run.status === 'failed')) {
      send('done', run);
      finish();
    } else {
      timer = setTimeout(() => void tick(), EVENT_POLL_MS);
    }
  };
  await tick();
}
