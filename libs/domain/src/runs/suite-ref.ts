/** A suite version as a run names it: its name and version number. */
export interface SuiteRef {
  name: string;
  version: number;
}

/** A suite version as text on the wire: `name@version`, e.g. `benefits-triage@1`. */
export const SUITE_REF_PATTERN = /^[a-z0-9][a-z0-9._-]{0,79}@\d+$/;

/** `name@version` as a SuiteRef, or null when the text is not one. */
export function parseSuiteRef(text: string): SuiteRef | null {
  if (!SUITE_REF_PATTERN.test(text)) {
    return null;
  }
  const at = text.lastIndexOf('@');
  return { name: text.slice(0, at), version: Number(text.slice(at + 1)) };
}

/** A SuiteRef as `name@version`. */
export function formatSuiteRef(ref: SuiteRef): string {
  return `${ref.name}@${ref.version}`;
}
