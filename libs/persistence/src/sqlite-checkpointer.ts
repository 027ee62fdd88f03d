import { Worker } from 'node:worker_threads';

/**
 * Copies SQLite's write-ahead log into the database file from a worker thread with a connection of its
 * own. SQLite otherwise checkpoints inside the COMMIT that grows the log past 1,000 pages, on the thread
 * that commits: after a million-row dataset upload that is ~1.7 s during which the API answers nothing,
 * not even /health/live. With this running, the main connection sets `wal_autocheckpoint = 0`.
 * PASSIVE checkpoints never block the writer or readers; the last connection to close checkpoints the
 * rest, as always.
 */
export class SqliteCheckpointer {
  private constructor(private readonly worker: Worker) {}

  /** Starts the thread; null when it cannot open the database (SQLite then checkpoints as it always did). */
  static async start(file: string, intervalMs = 1000): Promise<SqliteCheckpointer | null> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: require.resolve('better-sqlite3'), file, intervalMs },
    });
    const ready = await new Promise<boolean>((resolve) => {
      worker.once('message', (message: unknown) => resolve(message === 'ready'));
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    });
    if (!ready) {
      await worker.terminate();
      return null;
    }
    // Running, it keeps no process alive; starting and stopping (awaited) it must.
    worker.unref();
    return new SqliteCheckpointer(worker);
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
try {
  const Database = require(workerData.module);
  db = new Database(workerData.file, { timeout: 5000, fileMustExist: true });
  db.pragma('wal_checkpoint(PASSIVE)');
} catch (error) {
  parentPort.postMessage('failed: ' + error.message);
  process.exit(0);
}
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;
