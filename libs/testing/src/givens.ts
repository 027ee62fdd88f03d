/**
 * Givens shared by the integration tests: the questions, the dataset upload and the suite that runs them
 * against the local OpenAI stub (`startOpenAiStub`). Each test still says what it needs (how many questions,
 * which answers are expected, which thresholds) so a reader need not open this file to follow it.
 */

/** A dataset item as the API takes it: one JSON Lines row. */
export interface QuestionItem {
  id: string;
  input: string;
  expected: string;
  metadata?: Record<string, string>;
}

export interface QuestionOptions {
  /** Before the number in each id: `q-` (so `q-001`) unless given. */
  idPrefix?: string;
  /** Digits the number in the id is padded to: 3 unless given (1 gives `q-1`). */
  idWidth?: number;
  /** The expected answer of question `k` (from 1): "yes" unless given. */
  expected?: (k: number) => string;
  /** The metadata of question `k` (from 1): none unless given. */
  metadata?: (k: number) => Record<string, string>;
}

/**
 * `n` questions, "question 1" to "question n": the stubs' `respond` functions read the number back from the
 * prompt to decide their answer.
 */
export function questionItems(n: number, options: QuestionOptions = {}): QuestionItem[] {
  const { idPrefix = 'q-', idWidth = 3, expected = () => 'yes', metadata } = options;
  return Array.from({ length: n }, (_, i) => {
    const k = i + 1;
    const item: QuestionItem = {
      id: `${idPrefix}${String(k).padStart(idWidth, '0')}`,
      input: `question ${k}`,
      expected: expected(k),
    };
    if (metadata) {
      item.metadata = metadata(k);
    }
    return item;
  });
}

/** Items as JSON Lines: the body of a dataset upload (`application/x-ndjson`). */
export const jsonl = (items: readonly object[]): string =>
  items.map((item) => JSON.stringify(item)).join('\n');

type FlowValue = string | number;

export interface StubSuite {
  name: string;
  version?: number;
  /** `name@version` of an uploaded dataset. */
  dataset: string;
  /** The admin-managed connection the target reaches the stub through: `stub` unless given. */
  connection?: string;
  model?: string;
  /** `{ type: equals, name: correct }` unless given. */
  scorers?: Record<string, FlowValue>[];
  groupBy?: string[];
  minGroupSize?: number;
  concurrency?: number;
  thresholds?: { metric: string; stat: string; op: string; value: number }[];
  /** Lines appended as they are. */
  extra?: string;
}

const scalar = (value: FlowValue) =>
  typeof value === 'number' || /^[A-Za-z0-9_.@-]+$/.test(value) ? String(value) : `'${value}'`;
const flow = (map: Record<string, FlowValue>) =>
  `{ ${Object.entries(map)
    .map(([key, value]) => `${key}: ${scalar(value)}`)
    .join(', ')} }`;

/** Suite YAML whose target is an OpenAI-compatible model behind a connection (the local stub in tests). */
export function stubSuiteYaml(suite: StubSuite): string {
  const lines = [
    `name: ${suite.name}`,
    `version: ${suite.version ?? 1}`,
    `dataset: ${suite.dataset}`,
    'target:',
    '  type: openai',
    `  model: ${suite.model ?? 'stub-model'}`,
    `  connection: ${suite.connection ?? 'stub'}`,
    'scorers:',
    ...(suite.scorers ?? [{ type: 'equals', name: 'correct' }]).map((scorer) => `  - ${flow(scorer)}`),
  ];
  if (suite.groupBy) {
    lines.push(`groupBy: [${suite.groupBy.join(', ')}]`);
  }
  if (suite.minGroupSize !== undefined) {
    lines.push(`minGroupSize: ${suite.minGroupSize}`);
  }
  if (suite.concurrency !== undefined) {
    lines.push(`concurrency: ${suite.concurrency}`);
  }
  if (suite.thresholds) {
    lines.push('thresholds:', ...suite.thresholds.map((threshold) => `  - ${flow(threshold)}`));
  }
  if (suite.extra !== undefined) {
    lines.push(suite.extra);
  }
  return lines.join('\n');
}
