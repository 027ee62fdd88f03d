/**
 * `gatehouse push --connection`: the same suite on a server, where a live target and live judges reach
 * their model through an admin's connection instead of a base URL, key variable and headers. The suite
 * file itself stays as the engineer wrote it (the CLI keeps running it with its own settings); only the
 * copy sent to the server is mapped. Replay targets and their `recordFrom` are left alone: a replay never
 * calls out on the server.
 */
export function mapSuiteToConnections(
  suite: Record<string, unknown>,
  connections: { target?: string; judges?: string },
): Record<string, unknown> {
  const mapped: Record<string, unknown> = { ...suite };
  const target = suite['target'] as Record<string, unknown> | undefined;
  if (connections.target && target && target['type'] !== 'replay' && target['module'] === undefined) {
    const next: Record<string, unknown> = { ...target, connection: connections.target };
    if (target['type'] === 'http' && typeof target['url'] === 'string' && URL.canParse(target['url'])) {
      const url = new URL(target['url']);
      const path = `${url.pathname}${url.search}`;
      if (path !== '/') {
        next['path'] = path;
      }
    }
    for (const field of ['url', 'baseUrl', 'apiKeyEnv', 'headers']) {
      delete next[field];
    }
    mapped['target'] = next;
  }
  if (connections.judges && Array.isArray(suite['scorers'])) {
    const toConnection = (judge: unknown) => {
      if (!judge || typeof judge !== 'object') {
        return judge;
      }
      const { baseUrl: _b, apiKeyEnv: _k, headers: _h, ...rest } = judge as Record<string, unknown>;
      return { ...rest, connection: connections.judges };
    };
    mapped['scorers'] = suite['scorers'].map((scorer: unknown) => {
      const entry = scorer as Record<string, unknown>;
      if (!entry || entry['type'] !== 'rubric_judge') {
        return scorer;
      }
      return {
        ...entry,
        ...(entry['judge'] ? { judge: toConnection(entry['judge']) } : {}),
        ...(Array.isArray(entry['panel']) ? { panel: entry['panel'].map(toConnection) } : {}),
      };
    });
  }
  return mapped;
}
