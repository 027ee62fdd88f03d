import { contentHash, jsonSafetyProblem } from '@gatehouse/domain';
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { type z } from 'zod';
import { EvalsError } from '../evals-error';
import { SCORER_TYPES, type SuiteDefinition, suiteSchema } from './suite-schema';

export interface LoadedSuite {
  definition: SuiteDefinition;
  /** sha256 of the canonical JSON of the validated suite (defaults applied): formatting and comments do not change it. */
  hash: string;
  file: string | null;
}

export interface SuiteProblem {
  line: number | null;
  column: number | null;
  field: string;
  message: string;
}

/** Every problem in a suite, each with its line and field, in one error. */
export class SuiteValidationError extends EvalsError {
  constructor(
    readonly file: string,
    readonly problems: SuiteProblem[],
  ) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}:\n` +
        problems
          .map((p) => `  ${file}${p.line ? `:${p.line}:${p.column}` : ''} ${p.field}: ${p.message}`)
          .join('\n'),
    );
  }
}

/** How many alias expansions a suite may make: enough for shared scorer settings, far from a bomb. */
export const MAX_ALIAS_COUNT = 100;

export async function loadSuiteFile(file: string): Promise<LoadedSuite> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvalsError(`cannot be read (${(error as Error).message})`, { file });
  }
  return parseSuite(text, file);
}

/** Parses YAML (or JSON, which is YAML) and validates it, naming the line and field of every problem. */
export function parseSuite(text: string, file = '(suite)'): LoadedSuite {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new SuiteValidationError(
      file,
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          line: position.line,
          column: position.col,
          field: '(yaml)',
          message: error.message.split('\n')[0],
        };
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) {
      throw error;
    }
    // yaml refuses an alias bomb ("billion laughs") with a ReferenceError instead of expanding it.
    throw new SuiteValidationError(file, [
      {
        line: null,
        column: null,
        field: '(yaml)',
        message: `uses aliases too often (${(error as Error).message}; the limit is ${MAX_ALIAS_COUNT} alias expansions)`,
      },
    ]);
  }
  const unsafe = jsonSafetyProblem(value, '(suite)');
  if (unsafe) {
    throw new SuiteValidationError(file, [
      { line: null, column: null, field: unsafe.field, message: unsafe.message },
    ]);
  }
  const parsed = suiteSchema.safeParse(value);
  if (!parsed.success) {
    throw new SuiteValidationError(
      file,
      parsed.error.issues.map((issue) => locate(issue, document, lineCounter)),
    );
  }
  return { definition: parsed.data, hash: suiteHash(parsed.data), file };
}

export function suiteHash(definition: SuiteDefinition): string {
  const { $schema: _ignored, ...content } = definition;
  return contentHash(content);
}

function locate(issue: z.core.$ZodIssue, document: Document, lineCounter: LineCounter): SuiteProblem {
  let path: (string | number)[] = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let message = issue.message;
  let node: unknown;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    message = `unknown field "${key}"${
      issue.keys.length > 1
        ? ` (and ${issue.keys
            .slice(1)
            .map((k) => `"${k}"`)
            .join(', ')})`
        : ''
    }`;
    const parent = path.length === 0 ? document.contents : document.getIn(path, true);
    if (isMap(parent)) {
      node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === key)?.key;
    }
    path = [...path, key];
  } else {
    // The deepest node that exists: a missing field is reported where its parent is.
    for (let depth = path.length; depth >= 0 && !node; depth--) {
      node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
    }
  }
  if (message.startsWith('Invalid input: expected') && message.endsWith('received undefined')) {
    message = 'is required';
  } else if (issue.code === 'invalid_union' && path.at(-1) === 'type') {
    const value = document.getIn(path);
    message = `unknown type ${JSON.stringify(value)}${path[0] === 'scorers' ? `; scorers are ${SCORER_TYPES.join(', ')} (deterministic ones also as not-<type>)` : '; targets are openai, langchain, http and replay'}`;
  }
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  const position = range ? lineCounter.linePos(range[0]) : null;
  return { line: position?.line ?? null, column: position?.col ?? null, field: formatPath(path), message };
}

function formatPath(path: (string | number)[]): string {
  if (path.length === 0) {
    return '(suite)';
  }
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
