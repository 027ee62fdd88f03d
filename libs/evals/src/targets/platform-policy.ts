import {
  type JudgeConfig,
  type ScorerConfig,
  type ScorerConfigOf,
  type TargetConfig,
} from '../suites/suite-schema';
import { DEFAULT_API_KEY_ENV } from './target-context';

/** A field of a platform run's target or judges that the server refuses, and why. */
export interface PlatformProblem {
  field: string;
  message: string;
  code: 'needs_connection' | 'not_on_the_platform' | 'unknown_module';
}

const ON_THE_SERVER =
  'on a Gatehouse server the endpoint and its secret come from a connection an admin set up (GET /v1/connections)';

type ModelFields = {
  connection?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  headers?: Record<string, string>;
};

function modelProblems(config: ModelFields, at: string): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  if (!config.connection) {
    problems.push({
      field: `${at}.connection`,
      message: `is required: ${ON_THE_SERVER}`,
      code: 'needs_connection',
    });
  }
  if (config.baseUrl !== undefined) {
    problems.push({
      field: `${at}.baseUrl`,
      message: `is refused: ${ON_THE_SERVER}`,
      code: 'not_on_the_platform',
    });
  }
  // The schema fills the default in; any other variable name would read the server's environment.
  if (config.apiKeyEnv !== undefined && config.apiKeyEnv !== DEFAULT_API_KEY_ENV) {
    problems.push({
      field: `${at}.apiKeyEnv`,
      message: `is refused: the server never reads its environment for a suite; ${ON_THE_SERVER}`,
      code: 'not_on_the_platform',
    });
  }
  if (config.headers && Object.keys(config.headers).length > 0) {
    problems.push({
      field: `${at}.headers`,
      message: `are refused: headers (and their secrets) belong to the connection; ${ON_THE_SERVER}`,
      code: 'not_on_the_platform',
    });
  }
  return problems;
}

function judgesOf(scorers: readonly ScorerConfig[]): { judge: JudgeConfig; at: string }[] {
  return scorers.flatMap((scorer, index) => {
    if (scorer.type !== 'rubric_judge') {
      return [];
    }
    const rubric = scorer as ScorerConfigOf<'rubric_judge'>;
    return [
      ...(rubric.judge ? [{ judge: rubric.judge, at: `scorers[${index}].judge` }] : []),
      ...(rubric.panel ?? []).map((judge, j) => ({ judge, at: `scorers[${index}].panel[${j}]` })),
    ];
  });
}

/**
 * What a run on the platform may not carry. Live targets and live judges name a connection; no URL, base
 * URL, key variable, header or module path from a user reaches the server's network, environment or
 * filesystem. A replay target never calls out (its `recordFrom` only documents the recording) and its
 * judges replay too, so only live runs' judges are checked.
 */
export function platformProblems(
  target: TargetConfig,
  scorers: readonly ScorerConfig[],
  modules: ReadonlySet<string>,
  at = 'target',
): PlatformProblem[] {
  const problems: PlatformProblem[] = [];
  switch (target.type) {
    case 'replay':
      // Never called on the server, but stored and shown with every run: no literal secrets in it.
      return literalHeaderProblems(target.recordFrom, `${at}.recordFrom`);
    case 'openai':
      problems.push(...modelProblems(target, at));
      break;
    case 'langchain':
      if (target.module !== undefined) {
        if (!modules.has(target.module)) {
          problems.push({
            field: `${at}.module`,
            message: modules.size
              ? `must name a module the operator registered (${[...modules].join(', ')}), never a path`
              : 'is refused: no LangChain modules are registered on this server (an operator sets GATEHOUSE_LANGCHAIN_MODULES_DIR)',
            code: 'unknown_module',
          });
        }
        if (target.baseUrl !== undefined) {
          problems.push({ field: `${at}.baseUrl`, message: 'is refused', code: 'not_on_the_platform' });
        }
      } else {
        problems.push(...modelProblems(target, at));
      }
      break;
    case 'http':
      if (!target.connection) {
        problems.push({
          field: `${at}.connection`,
          message: `is required: ${ON_THE_SERVER}`,
          code: 'needs_connection',
        });
      }
      if (target.url !== undefined) {
        problems.push({
          field: `${at}.url`,
          message: `is refused: ${ON_THE_SERVER}`,
          code: 'not_on_the_platform',
        });
      }
      if (Object.keys(target.headers).length > 0) {
        problems.push({
          field: `${at}.headers`,
          message: `are refused: headers (and their secrets) belong to the connection; ${ON_THE_SERVER}`,
          code: 'not_on_the_platform',
        });
      }
      break;
  }
  for (const { judge, at: judgeAt } of judgesOf(scorers)) {
    problems.push(...modelProblems(judge, judgeAt));
  }
  return problems;
}

/** A header value that is not only `${VAR}` placeholders is a literal, perhaps a secret, on display. */
function literalHeaderProblems(config: TargetConfig | undefined, at: string): PlatformProblem[] {
  const headers = config && 'headers' in config ? (config.headers ?? {}) : {};
  return Object.entries(headers)
    .filter(
      ([, value]) => value.replace(/\$\{[A-Z_][A-Z0-9_]*\}/g, '').trim() !== '' && /\S{12,}/.test(value),
    )
    .map(([name]) => ({
      field: `${at}.headers.${name}`,
      message:
        'looks like a literal secret, which every reader of the run would see: write ${VARIABLE} instead',
      code: 'not_on_the_platform' as const,
    }));
}

/** The connections a platform run calls, each with the field that names it (live runs only). */
export function connectionsUsed(
  target: TargetConfig,
  scorers: readonly ScorerConfig[],
  at = 'target',
): { name: string; field: string; kind: 'openai' | 'http' }[] {
  if (target.type === 'replay') {
    return [];
  }
  const used: { name: string; field: string; kind: 'openai' | 'http' }[] = [];
  if (target.connection) {
    used.push({
      name: target.connection,
      field: `${at}.connection`,
      kind: target.type === 'http' ? 'http' : 'openai',
    });
  }
  for (const { judge, at: judgeAt } of judgesOf(scorers)) {
    if (judge.connection) {
      used.push({ name: judge.connection, field: `${judgeAt}.connection`, kind: 'openai' });
    }
  }
  return used;
}
