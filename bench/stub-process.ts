import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Starts bench/stub-server in a child process and resolves with its base URL, its pid and a stop function. */
export function startStubProcess(latencyMs: number): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'stub-server.js'), String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (chunk: Buffer) =>
      resolve({ url: chunk.toString().trim(), pid: child.pid ?? 0, stop: () => child.kill() }),
    );
  });
}
