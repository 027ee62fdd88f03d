/**
 * Reads a run over HTTP (`GET {baseUrl}/v1/runs/{id}`, as `token`) until it has settled (completed, failed or
 * cancelled) and returns it as the API shows it: for tests against an API in a process of its own, where
 * `TestApi.waitForRun` (in-process) cannot reach. Every `intervalMs` (100), for `timeoutMs` (60 s) at most,
 * then fails with the run's id and last status.
 */
export async function waitForRunAt<T extends { status: string }>(
  baseUrl: string,
  runId: string,
  token: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<T> {
  const { intervalMs = 100, timeoutMs = 60_000 } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'never read';
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/v1/runs/${runId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) {
      throw new Error(
        `GET /v1/runs/${runId} answered ${response.status}: ${(await response.text()).slice(0, 500)}`,
      );
    }
    const run = (await response.json()) as T;
    if (['completed', 'failed', 'cancelled'].includes(run.status)) {
      return run;
    }
    last = run.status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`run ${runId} did not settle in ${timeoutMs} ms (last seen ${last})`);
}
