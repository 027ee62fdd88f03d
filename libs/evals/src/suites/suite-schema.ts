import { z } from 'zod';
import { linearRegexProblem } from '../scorers/linear-regex';

/**
 * The suite file format (YAML in evals/suites/). The JSON Schema in evals/schemas/suite.schema.json is
 * generated from this (`npm run schemas`), so editors validate suites as you type.
 */

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'must be 1-80 of a-z, 0-9, ".", "_" or "-"');
const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name like OPENAI_API_KEY');
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/** Sampling parameters shared by model targets and judges. */
const modelParams = {
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
};

const connection = slug
  .optional()
  .describe(
    'On a Gatehouse server: the provider connection an admin set up (GET /v1/connections); it supplies the ' +
      'base URL and the key. The server refuses baseUrl, url, apiKeyEnv and headers.',
  );

const openaiCompatible = {
  model: z.string().min(1).max(200),
  connection,
  baseUrl: httpUrl
    .optional()
    .describe('Any OpenAI-compatible endpoint: Azure OpenAI, vLLM, Ollama, a gateway.'),
  apiKeyEnv: envName
    .default('OPENAI_API_KEY')
    .describe('The environment variable holding the key (never the key itself).'),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe('Extra headers; ${VAR} is replaced from the environment.'),
  ...modelParams,
};

export const openaiTargetSchema = z.strictObject({ type: z.literal('openai'), ...openaiCompatible });

export const langchainTargetSchema = z
  .strictObject({
    type: z.literal('langchain'),
    model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('A ChatOpenAI model name (with baseUrl for other OpenAI-compatible servers).'),
    connection,
    baseUrl: httpUrl.optional(),
    apiKeyEnv: envName.default('OPENAI_API_KEY'),
    module: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe(
        'A JavaScript module exporting a LangChain Runnable: a path relative to the suite file for the CLI; ' +
          'on a Gatehouse server the name of a module in the operator’s folder (GET /v1/langchain-modules).',
      ),
    export: z.string().min(1).default('default'),
    ...modelParams,
  })
  .refine((t) => (t.model === undefined) !== (t.module === undefined), {
    message: 'needs exactly one of model (a ChatOpenAI model) or module (a Runnable)',
  });

export const httpTargetSchema = z
  .strictObject({
    type: z.literal('http'),
    url: httpUrl.optional().describe('The service under test; ${VAR} is replaced from the environment.'),
    connection,
    path: z
      .string()
      .max(2000)
      .regex(
        /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/,
        'must be a path starting with one /, e.g. /v1/answer',
      )
      .refine((p) => !/(^|\/)\.\.?(\/|\?|$)/.test(p), 'must not contain . or .. segments')
      .refine(
        (p) => !/%(2e|2f|5c)/i.test(p),
        'must not escape ".", "/" or "\\" (%2e, %2f, %5c): it stays under the connection’s base path',
      )
      .optional()
      .describe('With a connection: the path appended to its base URL.'),
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('${VAR} is replaced from the environment; values are never logged.'),
    body: z
      .json()
      .default({ input: '{{input}}' })
      .describe('Request body template: strings may use {{input}}, {{id}}, {{metadata.<key>}}, {{prompt}}.'),
    answerPath: z
      .string()
      .default('$.answer')
      .describe('Where the answer is in the JSON response, e.g. $.answer or $.choices[0].text.'),
  })
  .refine((t) => (t.url === undefined) !== (t.connection === undefined), {
    message: 'needs exactly one of url (the CLI) or connection (a Gatehouse server)',
  })
  .refine((t) => t.path === undefined || t.connection !== undefined, {
    message: 'path goes with a connection (a url carries its own path)',
    path: ['path'],
  });

const liveTargetSchema = z.discriminatedUnion('type', [
  openaiTargetSchema,
  langchainTargetSchema,
  httpTargetSchema,
]);

export const replayTargetSchema = z.strictObject({
  type: z.literal('replay'),
  cassette: slug.describe(
    'evals/cassettes/<cassette>.jsonl: recorded responses keyed by a hash of the request.',
  ),
  recordFrom: liveTargetSchema
    .optional()
    .describe('The live target `gatehouse eval run --record` calls to (re)record.'),
});

export const targetSchema = z.discriminatedUnion('type', [
  openaiTargetSchema,
  langchainTargetSchema,
  httpTargetSchema,
  replayTargetSchema,
]);

const judgeSchema = z.strictObject({ ...openaiCompatible, temperature: z.number().min(0).max(2).default(0) });

const expectedPath = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a dotted path into the item’s expected value')
  .optional()
  .describe('Where in the item’s `expected` the reference is (default: `expected` itself).');

const common = {
  name: slug.optional().describe('The metric name (default: the scorer type).'),
  weight: z.number().min(0).max(100).default(1),
  guardrail: z
    .boolean()
    .optional()
    .describe('Failures of a guardrail block gates; reported as a failure rate with an exact upper bound.'),
  where: z
    .record(z.string(), z.json())
    .optional()
    .describe('Score only items whose metadata has these values; others are not applicable (not unscored).'),
};

/** Runs on RE2 (linear time): backreferences and lookaround are refused here, with the reason. */
const regexPattern = z.string().superRefine((pattern, ctx) => {
  const problem = linearRegexProblem(pattern);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
  }
});

/** Deterministic scorers whose result `not-<type>` inverts. */
export const NEGATABLE = ['equals', 'includes', 'regex', 'starts_with', 'json_valid', 'json_schema'] as const;

const scorerShapes = {
  equals: { value: z.string().optional(), expectedPath, normalise: z.boolean().default(true) },
  includes: {
    values: z.array(z.string().min(1)).min(1).optional(),
    expectedPath,
    mode: z.enum(['all', 'any']).default('all'),
    caseSensitive: z.boolean().default(false),
  },
  regex: {
    pattern: regexPattern,
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'may only use the flags i, m, s and u')
      .default(''),
  },
  starts_with: { value: z.string().optional(), expectedPath, caseSensitive: z.boolean().default(false) },
  json_valid: {},
  json_schema: { schema: z.record(z.string(), z.unknown()) },
  numeric: { expectedPath, tolerance: z.number().min(0).default(0), relative: z.boolean().default(false) },
  similarity: {
    expectedPath,
    method: z.enum(['token_f1', 'levenshtein']).default('token_f1'),
    threshold: z.number().min(0).max(1).default(0.8),
  },
  classification: {
    labels: z.array(z.string().min(1)).min(2).max(200),
    expectedPath,
    normalise: z.boolean().default(true),
  },
  rubric_judge: {
    rubric: z.string().min(1).max(20_000),
    judge: judgeSchema.optional(),
    panel: z
      .array(judgeSchema)
      .min(2)
      .max(7)
      .optional()
      .describe('Several judges: the median score counts; agreement is reported.'),
    scale: z.strictObject({ min: z.number().int(), max: z.number().int() }).default({ min: 1, max: 5 }),
    passAt: z
      .number()
      .optional()
      .describe('A score at or above this passes (default: the top 40% of the scale).'),
    allowTargetAsJudge: z.boolean().default(false),
    includeExpected: z.boolean().default(true),
  },
  pii_leakage: {
    kinds: z
      .array(z.enum(['nhs_number', 'ni_number', 'uk_postcode', 'email', 'uk_phone']))
      .min(1)
      .optional(),
    allow: z
      .array(z.string())
      .default([])
      .describe('Values that may appear (e.g. a public helpline number).'),
  },
  prompt_injection: {
    canaryField: z.string().default('canary').describe('The metadata field holding the injected canary.'),
  },
  refusal: {
    expect: z
      .enum(['refuse', 'comply'])
      .optional()
      .describe('Default: the item’s expected value, "refuse" or "comply".'),
  },
  out_of_scope_advice: {
    categories: z
      .array(z.enum(['legal', 'medical', 'financial']))
      .min(1)
      .optional(),
  },
  latency: { maxMs: z.number().positive() },
  tokens: { maxOutputTokens: z.number().int().positive() },
  cost: { maxUsd: z.number().positive() },
} as const;

export type ScorerType = keyof typeof scorerShapes;
export const SCORER_TYPES = Object.keys(scorerShapes) as ScorerType[];
export const GUARDRAIL_TYPES: readonly ScorerType[] = [
  'pii_leakage',
  'prompt_injection',
  'refusal',
  'out_of_scope_advice',
];

const scorerVariants = SCORER_TYPES.flatMap((type) => {
  const plain = z.strictObject({ type: z.literal(type), ...common, ...scorerShapes[type] });
  return (NEGATABLE as readonly string[]).includes(type)
    ? [plain, z.strictObject({ type: z.literal(`not-${type}`), ...common, ...scorerShapes[type] })]
    : [plain];
});

type ScorerShapes = typeof scorerShapes;
type CommonFields = z.output<z.ZodObject<typeof common>>;
/** One scorer entry of a suite, typed by its `type` (a `not-` prefix inverts deterministic scorers). */
export type ScorerConfigOf<K extends ScorerType> = { type: K | `not-${K}` } & CommonFields &
  z.output<z.ZodObject<ScorerShapes[K]>>;
export type ScorerConfig = { [K in ScorerType]: ScorerConfigOf<K> }[ScorerType];

// The union is built from the table above, so TypeScript cannot follow it; ScorerConfig states its output.
export const scorerSchema = z.discriminatedUnion(
  'type',
  scorerVariants as unknown as [
    z.ZodObject<{ type: z.ZodLiteral<string> }>,
    ...z.ZodObject<{ type: z.ZodLiteral<string> }>[],
  ],
) as unknown as z.ZodType<ScorerConfig>;

export const thresholdSchema = z.strictObject({
  metric: slug,
  stat: z
    .enum(['value', 'ci_lower', 'ci_upper', 'upper95', 'max_group_gap', 'max_group_gap_upper95'])
    .default('value'),
  op: z.enum(['>=', '>', '<=', '<']),
  value: z.number(),
});

const reducer = z
  .string()
  .regex(
    /^(mean|median|max|min|majority|all|pass_at_[1-9]\d*)$/,
    'must be mean, median, max, min, majority, all or pass_at_<k>',
  );

export const suiteSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: slug,
    version: z.number().int().min(1),
    description: z.string().max(5000).optional(),
    dataset: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,79}@\d+$/, 'must be <dataset>@<version>, e.g. benefits-enquiries@1'),
    target: targetSchema,
    prompt: z
      .strictObject({
        system: z.string().max(50_000).optional(),
        template: z
          .string()
          .max(50_000)
          .default('{{input}}')
          .describe('The user message: {{input}}, {{id}}, {{metadata.<key>}}.'),
      })
      .default({ template: '{{input}}' }),
    scorers: z.array(scorerSchema).min(1).max(50),
    epochs: z
      .union([
        z.number().int().min(1).max(50),
        z.strictObject({ count: z.number().int().min(1).max(50), reducer }),
      ])
      .default(1),
    groupBy: z
      .array(z.string().min(1))
      .max(10)
      .default([])
      .describe('Item metadata keys to report metrics per group on.'),
    minGroupSize: z.number().int().min(1).default(20),
    concurrency: z.number().int().min(1).max(1000).default(10),
    limits: z
      .strictObject({
        timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        maxTokens: z.number().int().min(1).max(200_000).optional(),
      })
      .default({ timeoutMs: 30_000 }),
    pricing: z
      .record(
        z.string(),
        z.strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }),
      )
      .optional()
      .describe('USD per million tokens by model name, for the cost figures.'),
    thresholds: z.array(thresholdSchema).default([]),
    maxErroredShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('More errored items than this share makes the run "errored".'),
    seed: z.number().int().default(1).describe('Seeds the bootstrap intervals so reports are reproducible.'),
  })
  .superRefine((suite, ctx) => {
    const names = new Map<string, number>();
    suite.scorers.forEach((scorer, index) => {
      const name = scorer.name ?? scorer.type;
      if (names.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['scorers', index, 'name'],
          message: `metric "${name}" is already defined by scorers[${names.get(name)}]; give this scorer a name`,
        });
      }
      names.set(name, index);
    });
    if (typeof suite.epochs === 'object') {
      const k = /^pass_at_(\d+)$/.exec(suite.epochs.reducer);
      if (k && Number(k[1]) > suite.epochs.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['epochs', 'reducer'],
          message: `pass_at_${k[1]} needs at least ${k[1]} epochs (count is ${suite.epochs.count})`,
        });
      }
    }
    suite.thresholds.forEach((threshold, index) => {
      if (!names.has(threshold.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['thresholds', index, 'metric'],
          message: `no scorer produces the metric "${threshold.metric}" (known: ${[...names.keys()].join(', ')})`,
        });
      }
    });
  });

export type SuiteDefinition = z.output<typeof suiteSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type LiveTargetConfig = z.output<typeof liveTargetSchema>;
export type JudgeConfig = z.output<typeof judgeSchema>;
