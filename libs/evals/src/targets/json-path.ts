/**
 * A small, safe JSON path: `$`, `.key`, `['key']` and `[index]`, e.g. `$.choices[0].message.content`.
 * No filters or scripts: the path comes from a suite file and must not run code.
 */
export function readJsonPath(value: unknown, path: string): unknown {
  const tokens = parseJsonPath(path);
  let current = value;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[token];
  }
  return current;
}

export function parseJsonPath(path: string): (string | number)[] {
  const tokens: (string | number)[] = [];
  const pattern = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;
  if (!path.startsWith('$')) {
    throw new Error(`JSON path "${path}" must start with $`);
  }
  pattern.lastIndex = 1;
  while (pattern.lastIndex < path.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(path);
    if (!match) {
      throw new Error(`JSON path "${path}" is not understood at position ${start}`);
    }
    tokens.push(
      match[1] ??
        (match[2] !== undefined ? Number(match[2]) : (match[3] ?? match[4] ?? '').replace(/\\(.)/g, '$1')),
    );
  }
  return tokens;
}
