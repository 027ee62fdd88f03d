import { EvalsError } from '../evals-error';

/** What targets need from their surroundings; passed in, never read from globals. */
export interface TargetContext {
  /** Environment variables (API keys, header values). */
  env: Record<string, string | undefined>;
  /** Directory of the suite file, for relative module paths. */
  baseDir: string;
  /** evals/cassettes, for replay targets. */
  cassetteDir: string;
  /** Where replay cassettes come from instead of files (the platform keeps them in its database). */
  loadCassette?: (name: string) => Promise<string>;
}

export function requireEnv(context: TargetContext, name: string, purpose: string): string {
  const value = context.env[name];
  if (!value) {
    throw new EvalsError(`${purpose} needs the environment variable ${name}, which is not set`);
  }
  return value;
}

/** Replaces `${VAR}` in a header or URL with the environment's value; a missing variable is an error. */
export function interpolateEnv(value: string, context: TargetContext, purpose: string): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, name: string) => requireEnv(context, name, purpose));
}
