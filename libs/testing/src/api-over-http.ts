/**
 * Givens for tests against an API in a process of its own (`startNode`), over HTTP: where `TestApi` (the
 * app in the test's process) cannot reach.
 */

/** POSTs JSON as `token` ('' for none) and returns the parsed answer; throws on a status >= 300. */
async function postJson<T>(baseUrl: string, path: string, token: string, body: object): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) {
    throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as T;
}

/**
 * A user the admin makes in a new team `team`, and their own API token from their one-time enrolment
 * (exchanged on the public route, as a new user does).
 */
export async function userTokenAt(
  baseUrl: string,
  adminToken: string,
  user: { name: string; roles: string[]; team: string },
): Promise<string> {
  const team = await postJson<{ id: string }>(baseUrl, '/v1/teams', adminToken, { name: user.team });
  const created = await postJson<{ enrolment: { token: string } }>(baseUrl, '/v1/users', adminToken, {
    name: user.name,
    roles: user.roles,
    teamId: team.id,
  });
  const enrolled = await postJson<{ token: { token: string } }>(baseUrl, '/v1/enrolments', '', {
    token: created.enrolment.token,
  });
  return enrolled.token.token;
}

/**
 * Reads a run over HTTP (`GET {baseUrl}/v1/runs/{id}`, as `token`) until it has settled (completed, failed or
 * cancelled) and returns it as the API shows it (`TestApi.waitForRun` does this in-process). Every `intervalMs` (100), for `timeoutMs` (60 s) at most,
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
