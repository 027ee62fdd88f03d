import { DEFAULT_GATE_POLICY, DomainError, type GatePolicyDocument } from '@gatehouse/domain';
import { describeScorers, loadSuiteFile } from '@gatehouse/evals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { zodProblems } from '../validation/zod-problems';
import { gatePolicyDocumentSchema, MAX_RULES_PER_GATE, parseGatePolicyDocument } from './gate-policy.schema';

type Json = Record<string, unknown>;
interface Doc {
  description?: unknown;
  gates: { tier: unknown; to: unknown; rules: Json[] }[];
  [key: string]: unknown;
}

/** A mutable copy of the defaults (which are frozen). */
const copy = (): Doc => structuredClone(DEFAULT_GATE_POLICY) as unknown as Doc;

/** Index of the gate for tier → to in the defaults. */
const gateAt = (doc: Doc, tier: string, to: string) =>
  doc.gates.findIndex((g) => g.tier === tier && g.to === to);

/** The first rule of `kind` in gate `g`, with the path of a field in it. */
function ruleOf(doc: Doc, g: number, kind: string): { rule: Json; path: (key?: string) => string } {
  const index = doc.gates[g].rules.findIndex((r) => r.kind === kind);
  if (index < 0) {
    throw new Error(`gate ${g} has no ${kind} rule`);
  }
  return {
    rule: doc.gates[g].rules[index],
    path: (key) => `gates[${g}].rules[${index}]${key ? `.${key}` : ''}`,
  };
}

function problemsOf(doc: unknown) {
  const parsed = gatePolicyDocumentSchema.safeParse(doc);
  if (parsed.success) {
    throw new Error('expected the policy to be refused');
  }
  return zodProblems(parsed.error);
}

/**
 * Sets `key` on the first rule of `kind` in gate 0 (low → test), the low → scale gate for scale-only kinds,
 * or the high → learn gate for the review rules (seeded at high tier only).
 */
const setRule =
  (kind: string, key: string, value: unknown) =>
  (doc: Doc): string => {
    const g = ['no_regression', 'pilot_metric'].includes(kind)
      ? gateAt(doc, 'low', 'scale')
      : ['human_review', 'judge_agreement'].includes(kind)
        ? gateAt(doc, 'high', 'learn')
        : 0;
    const { rule, path } = ruleOf(doc, g, kind);
    rule[key] = value;
    return path(key);
  };

describe('gatePolicyDocumentSchema', () => {
  it('accepts the shipped defaults unchanged', () => {
    const parsed = gatePolicyDocumentSchema.safeParse(DEFAULT_GATE_POLICY);
    expect(parsed.success && parsed.data).toEqual(DEFAULT_GATE_POLICY);
  });

  it('accepts a pilot guardrail failure rate of a named online scorer', () => {
    const doc = copy();
    setRule('pilot_metric', 'measure', 'guardrail_failure_rate')(doc);
    setRule('pilot_metric', 'scorer', 'pii_leakage')(doc);
    expect(gatePolicyDocumentSchema.safeParse(doc).success).toBe(true);
  });

  // [what is wrong, mutate the defaults and return the field path the problem must name]
  it.each([
    [
      'an unknown top-level field',
      (doc) => {
        doc.owner = 'me';
        return 'owner';
      },
    ],
    [
      'a blank description',
      (doc) => {
        doc.description = '   ';
        return 'description';
      },
    ],
    [
      'a description over 2000 characters',
      (doc) => {
        doc.description = 'x'.repeat(2001);
        return 'description';
      },
    ],
    [
      'an unknown tier',
      (doc) => {
        doc.gates[0].tier = 'critical';
        return 'gates[0].tier';
      },
    ],
    [
      'a target that is not a gate (retired)',
      (doc) => {
        doc.gates[0].to = 'retired';
        return 'gates[0].to';
      },
    ],
    [
      'an unknown field on a gate',
      (doc) => {
        (doc.gates[0] as Json).name = 'x';
        return 'gates[0].name';
      },
    ],
    [
      'a gate with no rules',
      (doc) => {
        doc.gates[0].rules = [];
        return 'gates[0].rules';
      },
    ],
    [
      `a gate with more than ${MAX_RULES_PER_GATE} rules`,
      (doc) => {
        const filler = { kind: 'evidence', requirement: 'risks_recorded' };
        doc.gates[0].rules = [
          ...doc.gates[0].rules,
          ...Array.from({ length: MAX_RULES_PER_GATE }, () => filler),
        ];
        return 'gates[0].rules';
      },
    ],
    [
      'a gate with no approvals rule',
      (doc) => {
        doc.gates[4].rules = doc.gates[4].rules.filter((r) => r.kind !== 'approvals');
        return 'gates[4].rules';
      },
    ],
    [
      'a second approvals rule',
      (doc) => {
        doc.gates[1].rules.push({ kind: 'approvals', count: 3, role: 'reviewer' });
        return `gates[1].rules[${doc.gates[1].rules.length - 1}]`;
      },
    ],
    [
      'an unknown rule kind',
      (doc) => {
        doc.gates[0].rules[0] = { kind: 'vibes', suite: 'safety-refusals' };
        return 'gates[0].rules[0].kind';
      },
    ],
    [
      'an unknown field on a rule',
      (doc) => {
        const { rule, path } = ruleOf(doc, 0, 'metric');
        rule.groupBy = 'age';
        return path('groupBy');
      },
    ],
    ['a suite name with spaces and capitals', setRule('suite_passed', 'suite', 'Safety Refusals')],
    ['a suite name over 80 characters', setRule('metric', 'suite', 'a'.repeat(81))],
    ['a suite name starting with a dot', setRule('unscored_max', 'suite', '.hidden')],
    ['a metric name with a slash', setRule('metric', 'metric', 'harm/compliance')],
    ['an unknown stat', setRule('metric', 'stat', 'p99')],
    ['an unknown comparison', setRule('metric', 'op', '==')],
    ['an infinite threshold', setRule('metric', 'threshold', Number.POSITIVE_INFINITY)],
    ['a NaN threshold', setRule('metric', 'threshold', Number.NaN)],
    ['a threshold given as text', setRule('metric', 'threshold', '0.05')],
    ['a minimum n of 0', setRule('metric', 'minN', 0)],
    ['a fractional minimum n', setRule('metric', 'minN', 49.5)],
    ['a minimum group size on a non-group stat', setRule('metric', 'minGroupSize', 10)],
    [
      'a group stat with no minimum group size',
      (doc: Doc) => setRule('metric', 'stat', 'max_group_gap_upper95')(doc).replace(/stat$/, 'minGroupSize'),
    ],
    ['a run age of 0 days', setRule('suite_passed', 'maxAgeDays', 0)],
    ['a run age over 10 years', setRule('suite_passed', 'maxAgeDays', 3651)],
    ['a fractional run age', setRule('suite_passed', 'maxAgeDays', 2.5)],
    ['a suite version of 0', setRule('suite_passed', 'version', 0)],
    [
      'both version and minVersion',
      (doc) => {
        const { rule, path } = ruleOf(doc, 0, 'suite_passed');
        Object.assign(rule, { version: 2, minVersion: 1 });
        return path('minVersion');
      },
    ],
    ['alpha of 0', setRule('no_regression', 'alpha', 0)],
    ['alpha of 1', setRule('no_regression', 'alpha', 1)],
    ['a negative alpha', setRule('no_regression', 'alpha', -0.05)],
    ['an unscored share above 1', setRule('unscored_max', 'max', 1.01)],
    ['a negative unscored share', setRule('unscored_max', 'max', -0.01)],
    ['an unknown evidence requirement', setRule('evidence', 'requirement', 'vibes_checked')],
    ['an unknown pilot measure', setRule('pilot_metric', 'measure', 'smile_rate')],
    ['a pilot stat that is not value or upper95', setRule('pilot_metric', 'stat', 'ci_lower')],
    ['a pilot rate threshold above 1', setRule('pilot_metric', 'threshold', 5)],
    ['a pilot minimum of 0 cases', setRule('pilot_metric', 'minCases', 0)],
    ['a pilot rate that names a scorer', setRule('pilot_metric', 'scorer', 'pii')],
    [
      'a guardrail failure rate without its scorer',
      (doc: Doc) => {
        setRule('pilot_metric', 'measure', 'guardrail_failure_rate')(doc);
        return setRule('pilot_metric', 'scorer', undefined)(doc);
      },
    ],
    [
      'a guardrail failure rate of a scorer named with a slash',
      (doc: Doc) => {
        setRule('pilot_metric', 'measure', 'guardrail_failure_rate')(doc);
        return setRule('pilot_metric', 'scorer', 'pii/leak')(doc);
      },
    ],
    ['a human review of 0 items', setRule('human_review', 'minItems', 0)],
    ['a human review of more items than a sample holds', setRule('human_review', 'minItems', 2001)],
    ['a fractional number of reviewed items', setRule('human_review', 'minItems', 49.5)],
    ['reviewed items given as text', setRule('human_review', 'minItems', '50')],
    ['a corrected failure bound above 1', setRule('human_review', 'maxFailureUpper95', 1.5)],
    ['a negative corrected failure bound', setRule('human_review', 'maxFailureUpper95', -0.01)],
    ['an infinite corrected failure bound', setRule('human_review', 'maxFailureUpper95', Infinity)],
    ['a human review of a metric with a slash', setRule('human_review', 'metric', 'harm/compliance')],
    ['a human review of a suite with capitals', setRule('human_review', 'suite', 'Safety')],
    ['a human review with a stat (not one of its fields)', setRule('human_review', 'stat', 'upper95')],
    [
      'a judge agreement statistic other than kappa or agreement',
      setRule('judge_agreement', 'statistic', 'alpha'),
    ],
    ['a judge agreement lower bound above 1', setRule('judge_agreement', 'minLower', 1.01)],
    ['a judge agreement lower bound below -1', setRule('judge_agreement', 'minLower', -1.01)],
    ['a NaN judge agreement lower bound', setRule('judge_agreement', 'minLower', Number.NaN)],
    ['a judge agreement on 0 items', setRule('judge_agreement', 'minItems', 0)],
    ['a judge agreement on a metric named with HTML', setRule('judge_agreement', 'metric', '<b>judge</b>')],
    [
      'a rule field named __proto__',
      (doc: Doc) => {
        const { rule, path } = ruleOf(doc, gateAt(doc, 'high', 'learn'), 'judge_agreement');
        Object.defineProperty(rule, '__proto__', { value: { minLower: 0 }, enumerable: true });
        return path('__proto__');
      },
    ],
    [
      'a human review without its bound',
      (doc: Doc) => {
        const { rule, path } = ruleOf(doc, gateAt(doc, 'high', 'scale'), 'human_review');
        delete rule.maxFailureUpper95;
        return path('maxFailureUpper95');
      },
    ],
    ['an approvals count of 0', setRule('approvals', 'count', 0)],
    ['an approvals count over 20', setRule('approvals', 'count', 21)],
    ['approvals by a role other than reviewer', setRule('approvals', 'role', 'admin')],
  ] as [string, (doc: Doc) => string][])('refuses %s, naming the field', (_what, mutate) => {
    const doc = copy();
    const field = mutate(doc);
    // Only that field (a gate with a bad tier or target also leaves its slot missing, reported on `gates`).
    const fields = new Set(problemsOf(doc).map((p) => p.field));
    fields.delete('gates');
    expect([...fields]).toEqual([field]);
  });

  it('refuses a duplicate gate, naming it and the first', () => {
    const doc = copy();
    doc.gates[5] = structuredClone(doc.gates[2]);
    const problems = problemsOf(doc);
    expect(problems).toContainEqual(
      expect.objectContaining({ field: 'gates[5]', message: expect.stringContaining('at gates[2]') }),
    );
    // The gate it replaced is now missing.
    const { tier, to } = DEFAULT_GATE_POLICY.gates[5];
    expect(problems).toContainEqual(
      expect.objectContaining({ field: 'gates', message: expect.stringContaining(`${tier} → ${to}`) }),
    );
  });

  it.each(DEFAULT_GATE_POLICY.gates.map((g, index) => [g.tier, g.to, index] as const))(
    'refuses a version without the %s → %s gate',
    (tier, to, index) => {
      const doc = copy();
      doc.gates.splice(index, 1);
      expect(problemsOf(doc)).toEqual([
        {
          field: 'gates',
          code: 'custom',
          message: `has no gate for ${tier} → ${to}: a policy version needs a gate for every tier and target`,
        },
      ]);
    },
  );

  it('refuses more gates than tiers × targets', () => {
    const doc = copy();
    doc.gates.push(structuredClone(doc.gates[0]));
    expect(problemsOf(doc)).toEqual([
      expect.objectContaining({ field: 'gates', message: 'must have one gate per tier and target (9)' }),
    ]);
  });

  it('reports every problem at once, structural and per field', () => {
    const doc = copy();
    doc.gates.pop();
    setRule('metric', 'threshold', 'high')(doc);
    setRule('approvals', 'role', 'admin')(doc);
    const fields = problemsOf(doc).map((p) => p.field);
    expect(fields).toHaveLength(3);
    expect(fields).toContain('gates');
  });

  it.each<[string, (doc: Doc) => void]>([
    ['a run age of 1 day', (doc) => void setRule('suite_passed', 'maxAgeDays', 1)(doc)],
    ['a run age of 3650 days', (doc) => void setRule('suite_passed', 'maxAgeDays', 3650)(doc)],
    ['an exact suite version', (doc) => void setRule('suite_passed', 'version', 3)(doc)],
    ['a minimum suite version', (doc) => void setRule('suite_passed', 'minVersion', 2)(doc)],
    ['alpha just above 0', (doc) => void setRule('no_regression', 'alpha', 0.001)(doc)],
    ['alpha just below 1', (doc) => void setRule('no_regression', 'alpha', 0.999)(doc)],
    ['no unscored items at all', (doc) => void setRule('unscored_max', 'max', 0)(doc)],
    ['any share unscored', (doc) => void setRule('unscored_max', 'max', 1)(doc)],
    ['a negative threshold (a mean difference)', (doc) => void setRule('metric', 'threshold', -0.5)(doc)],
    ['a threshold above 1 (a mean score)', (doc) => void setRule('metric', 'threshold', 4.5)(doc)],
    [
      'a group-gap rule with its minimum group size',
      (doc) => {
        const { rule } = ruleOf(doc, 0, 'metric');
        Object.assign(rule, { stat: 'max_group_gap_upper95', minGroupSize: 30 });
      },
    ],
    [
      `exactly ${MAX_RULES_PER_GATE} rules`,
      (doc) => {
        const filler = { kind: 'evidence', requirement: 'risks_recorded' };
        const rules = doc.gates[0].rules;
        doc.gates[0].rules = [
          ...rules,
          ...Array.from({ length: MAX_RULES_PER_GATE - rules.length }, () => filler),
        ];
      },
    ],
    ['a human review of any metric', (doc) => void setRule('human_review', 'metric', undefined)(doc)],
    [
      'a human review of the most items a sample holds',
      (doc) => void setRule('human_review', 'minItems', 2000)(doc),
    ],
    [
      'a judge agreement on raw agreement',
      (doc) => void setRule('judge_agreement', 'statistic', 'agreement')(doc),
    ],
    ['a judge agreement lower bound of -1', (doc) => void setRule('judge_agreement', 'minLower', -1)(doc)],
    ['a judge agreement lower bound of 1', (doc) => void setRule('judge_agreement', 'minLower', 1)(doc)],
    ['a judge agreement on one named judge', (doc) => void setRule('judge_agreement', 'metric', 'tone')(doc)],
    [
      'review rules at a low-tier gate',
      (doc) => {
        const high = doc.gates[gateAt(doc, 'high', 'learn')].rules;
        doc.gates[0].rules.push(
          ...structuredClone(high.filter((r) => r.kind === 'human_review' || r.kind === 'judge_agreement')),
        );
      },
    ],
    [
      'no description',
      (doc) => {
        delete doc.description;
      },
    ],
    [
      'gates in any order',
      (doc) => {
        doc.gates.reverse();
      },
    ],
  ])('accepts %s', (_what, mutate) => {
    const doc = copy();
    mutate(doc);
    const parsed = gatePolicyDocumentSchema.safeParse(doc);
    expect(parsed.success ? [] : zodProblems(parsed.error)).toEqual([]);
  });
});

describe('parseGatePolicyDocument', () => {
  it('returns the document', () => {
    expect(parseGatePolicyDocument(copy())).toEqual(DEFAULT_GATE_POLICY);
  });

  it('throws a validation DomainError with field-named problems', () => {
    const doc = copy();
    const field = setRule('metric', 'threshold', Number.POSITIVE_INFINITY)(doc);
    let error: unknown;
    try {
      parseGatePolicyDocument(doc, 'document');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('validation_failed');
    expect((error as DomainError).problems).toEqual([
      expect.objectContaining({ field: `document.${field}` }),
    ]);
  });
});

describe('DEFAULT_GATE_POLICY against the shipped suites', () => {
  const suitesDir = join(__dirname, '..', '..', '..', '..', 'evals', 'suites');
  let suites: Map<string, { metrics: Map<string, { guardrail: boolean }> }>;

  beforeAll(async () => {
    const files = readdirSync(suitesDir).filter((f) => f.endsWith('.yaml'));
    const loaded = await Promise.all(files.map((f) => loadSuiteFile(join(suitesDir, f))));
    suites = new Map(
      loaded.map(({ definition }) => [
        definition.name,
        {
          metrics: new Map(
            describeScorers(definition.scorers).map((s) => [s.name, { guardrail: s.guardrail }]),
          ),
        },
      ]),
    );
  });

  const document: GatePolicyDocument = DEFAULT_GATE_POLICY;
  const suiteRules = document.gates.flatMap((gate) =>
    gate.rules.flatMap((rule) => ('suite' in rule ? [[`${gate.tier} → ${gate.to}`, rule] as const] : [])),
  );

  it('reads the shipped example suites', () => {
    expect([...suites.keys()].sort()).toEqual(['benefits-triage', 'govuk-answers', 'safety-refusals']);
  });

  it.each(
    suiteRules.map(
      ([gate, rule]) =>
        [gate, rule.kind, rule.suite, 'metric' in rule ? (rule.metric ?? '') : '', rule] as const,
    ),
  )('%s: %s on %s %s names a shipped suite and one of its metrics', (_gate, _kind, suite, metric, rule) => {
    const shipped = suites.get(suite);
    expect(shipped).toBeDefined();
    const metrics = [...(shipped?.metrics.keys() ?? [])];
    expect(metrics).toEqual(expect.arrayContaining(metric ? [metric] : []));
    // An upper bound on a failure rate only means something for a guardrail metric.
    const upperBoundOnGuardrail =
      rule.kind !== 'metric' || rule.stat !== 'upper95' || shipped?.metrics.get(metric)?.guardrail === true;
    expect(upperBoundOnGuardrail).toBe(true);
  });
});
