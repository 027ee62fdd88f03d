import { type RunsService, type RunView } from '@gatehouse/application';
import { type Actor, DomainError } from '@gatehouse/domain';
import { type Request, type Response } from 'express';

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);
const EVENT_POLL_MS = 500;
const KEEP_ALIVE_MS = 15_000;

/**
 * A run's progress as server-sent events: `progress` ({id, status, progress, outcome}) whenever it changes,
 * then `done` with the whole run, polling every 500 ms and stopping when the client goes. Written by hand
 * rather than with Nest's @Sse: the caller checks visibility first (a 404 or 403 before any header), which
 * Nest's SSE stream, started behind the interceptors before an async handler settles, does not guarantee.
 */
export async function streamRunEvents(
  req: Request,
  res: Response,
  runs: RunsService,
  actor: Actor,
  runId: string,
): Promise<void> {
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
