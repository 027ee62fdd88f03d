import {
  type ItemReviewView,
  type ReviewItemScorerView,
  type ReviewItemView,
  type ReviewSampleView,
} from '@gatehouse/application';
import {
  type CorrectedFailureRate,
  DomainError,
  type FieldProblem,
  type MetricReviewStatistics,
  type ReviewStatistics,
  type ReviewVerdicts,
} from '@gatehouse/domain';
import { formatDecimal, formatPercent, formatRange } from '@gatehouse/evals';
import { isUuid } from './web-session';

/**
 * What the review pages show, worked out from the review services' views (no HTML: the templates escape
 * every value), and the review form read back from a page's POST.
 */

type Cell = { text: string; format?: 'numeric' };
/** A GOV.UK error summary entry: the message and the field it links to. */
export interface PageError {
  text: string;
  href: string;
}

const count = (n: number) => n.toLocaleString('en-GB');
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

// ---------------------------------------------------------------------------------------------------------
// The sample: its design in words, and its statistics as tables.
// ---------------------------------------------------------------------------------------------------------

/**
 * The design in words, e.g. "120 items drawn from 1,000, stratified by verdict and age_band, failures
 * weighted ×3, seed 42". A dimension is named only when the draw stratified by it (the strata say so).
 */
export function designSentence(sample: ReviewSampleView): string {
  const { design, strata } = sample;
  const byVerdict = strata.some((s) => s.failed !== null);
  const byJudge = strata.some((s) => s.judged !== null);
  const dimensions = [
    ...(byVerdict ? ['verdict'] : []),
    ...(byJudge ? ['whether a judge scored the item'] : []),
    ...(design.groupKey ? [design.groupKey] : []),
  ];
  const parts = [`${plural(sample.size, 'item')} drawn from ${count(sample.population)}`];
  parts.push(
    dimensions.length === 0
      ? 'a simple random sample'
      : `stratified by ${dimensions.length === 1 ? dimensions[0] : `${dimensions.slice(0, -1).join(', ')} and ${dimensions.at(-1)}`}`,
  );
  if (byVerdict && design.failureWeight !== 1) {
    parts.push(`failures weighted ×${design.failureWeight}`);
  }
  if (byJudge && design.judgedWeight !== 1) {
    parts.push(`judge-scored items weighted ×${design.judgedWeight}`);
  }
  parts.push(`seed ${design.seed}`);
  return parts.join(', ');
}

const range = (interval: { lower: number; upper: number } | null, format: (v: number) => string) =>
  interval ? ` (${formatRange(interval.lower, interval.upper, format)})` : '';

function correctedText(c: CorrectedFailureRate): string {
  return c.value === null ? '–' : `${formatPercent(c.value)}${range(c.interval, formatPercent)}`;
}

/** One row per metric: the agreement statistics and the human-corrected failure rate, with intervals. */
export function statisticsRows(stats: ReviewStatistics): Cell[][] {
  return stats.metrics.map((m: MetricReviewStatistics): Cell[] => {
    const { humanVsScorer: hs, humanVsHuman: hh, corrected } = m;
    return [
      { text: m.judge ? `${m.metric} (model judge)` : m.metric },
      { text: `${count(m.reviewedItems)} (${plural(m.reviews, 'review')})`, format: 'numeric' },
      {
        text:
          hs.agreement === null
            ? '–'
            : `${formatPercent(hs.agreement)}${range(hs.agreementInterval, formatPercent)}`,
      },
      {
        text: hs.kappa === null ? '–' : `${formatDecimal(hs.kappa)}${range(hs.kappaInterval, formatDecimal)}`,
      },
      {
        text:
          hh.alpha === null
            ? hh.items === 0
              ? 'No item reviewed twice'
              : '–'
            : `${formatDecimal(hh.alpha)}${range(hh.alphaInterval, formatDecimal)} over ${plural(hh.items, 'item')}`,
      },
      { text: correctedText(corrected) },
      {
        text: corrected.scorerValue === null ? '–' : formatPercent(corrected.scorerValue),
        format: 'numeric',
      },
      { text: formatPercent(corrected.coverage), format: 'numeric' },
    ];
  });
}

export const STATISTICS_HEAD = [
  { text: 'Metric' },
  { text: 'Reviewed items', format: 'numeric' },
  { text: 'Agreement with the scorer (95% Wilson interval)' },
  { text: 'Cohen’s kappa (95% bootstrap interval)' },
  { text: 'Agreement between people (Krippendorff’s alpha)' },
  { text: 'Failure rate as people read it (95% interval)' },
  { text: 'Scorer’s failure rate', format: 'numeric' },
  { text: 'Coverage', format: 'numeric' },
];

/** A set of statistics as the pages show it: a sentence, the table's rows and the item-level failure rate. */
export function statisticsView(stats: ReviewStatistics) {
  const any = stats.anyFailure;
  return {
    summary:
      stats.reviewedItems === 0
        ? 'No item has been reviewed yet.'
        : `${count(stats.reviewedItems)} of ${plural(stats.items, 'item')} reviewed by ${plural(stats.reviewers, 'person', 'people')}.`,
    rows: statisticsRows(stats),
    anyFailure:
      any.value === null
        ? null
        : `An item fails when people fail it on any metric: ${correctedText(any)}${any.method === 'design_weighted' ? ', weighted back to the run by the design' : ''}; at most ${any.upper95 === null ? '–' : formatPercent(any.upper95)} with 95% confidence; ${formatPercent(any.coverage)} of the run covered.`,
  };
}

/** Everything reviews/sample.njk shows. */
export function samplePageView(
  sample: ReviewSampleView,
  extra: { banner?: string | null; errors?: PageError[]; importText?: string } = {},
) {
  const next = sample.progress.nextForYou;
  return {
    title: `Review sample of ${sample.suite.name}@${sample.suite.version}`,
    sample,
    design: designSentence(sample),
    progressText: `You have reviewed ${count(sample.progress.reviewedByYou)} of ${plural(sample.size, 'item')}; ${count(sample.progress.reviewedItems)} ${sample.progress.reviewedItems === 1 ? 'has' : 'have'} a review by anyone.`,
    start:
      next === null
        ? null
        : {
            text: sample.progress.reviewedByYou === 0 ? 'Start reviewing' : 'Continue',
            href: `/review-samples/${sample.id}/items/${next}`,
          },
    statisticsHead: STATISTICS_HEAD,
    all: statisticsView(sample.statistics.all),
    independent: statisticsView(sample.statistics.independent),
    banner: extra.banner ?? null,
    errors: extra.errors ?? [],
    importText: extra.importText ?? '',
  };
}

/** The success banner a redirect to the sample page asks for (`?done=reviewed` or `?imported=<n>`). */
export function sampleBanner(query: Record<string, unknown>): string | null {
  if (query['done'] === 'reviewed') {
    return 'You have reviewed every item in this sample.';
  }
  const imported = query['imported'];
  if (typeof imported === 'string' && /^\d{1,6}$/.test(imported)) {
    return `${plural(Number(imported), 'review')} imported.`;
  }
  return null;
}

/** A JSONL import's problems, each naming its line (`lines[3].verdicts` → "Line 3: verdicts …"). */
export function importErrors(error: DomainError): PageError[] {
  const problems = error.problems.length > 0 ? error.problems : [{ field: '', message: error.message }];
  return problems.slice(0, 20).map((p) => {
    const line = /^lines\[(\d+)\]\.?(.*)$/.exec(p.field);
    const text = line
      ? `Line ${line[1]}: ${line[2] ? `${line[2]} ` : ''}${p.message}`
      : `${p.field && p.field !== '(body)' ? `${p.field} ` : ''}${p.message}`;
    return { text: text.charAt(0).toUpperCase() + text.slice(1), href: '#jsonl' };
  });
}

/** The run page's "Human review" section: the run's samples, with progress and the key statistics. */
export function runReviewSection(samples: ReviewSampleView[], groupKeys: string[]) {
  return {
    groupKeys,
    groupItems: [
      { value: '', text: 'Do not stratify by a group' },
      ...groupKeys.map((key) => ({ value: key, text: key })),
    ],
    statisticsHead: STATISTICS_HEAD,
    samples: samples.map((s) => ({
      id: s.id,
      design: designSentence(s),
      createdAt: s.createdAt,
      hash: s.hash,
      progressText: `${count(s.progress.reviewedItems)} of ${plural(s.size, 'item')} reviewed; ${count(s.progress.reviewedByYou)} by you.`,
      statistics: statisticsView(s.statistics.all),
      independent: statisticsView(s.statistics.independent),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Drawing a sample: the form read back.
// ---------------------------------------------------------------------------------------------------------

export interface DrawFormValues {
  size: string;
  seed: string;
  groupKey: string;
  failureWeight: string;
  judgedWeight: string;
}

const DRAW_FIELDS = ['size', 'seed', 'groupKey', 'failureWeight', 'judgedWeight'] as const;
const DRAW_LABELS: Record<string, string> = {
  size: 'Sample size',
  seed: 'Seed',
  groupKey: 'Group to stratify by',
  failureWeight: 'Weight of failures',
  judgedWeight: 'Weight of judge-scored items',
};

const field = (body: Record<string, unknown> | undefined, name: string, max = 200): string => {
  const raw = body?.[name];
  return typeof raw === 'string' ? raw.slice(0, max) : '';
};

/** The draw form as typed, and the body for ReviewSamplesService.draw (numbers as numbers, or as typed). */
export function readDrawForm(body: Record<string, unknown> | undefined): {
  values: DrawFormValues;
  body: Record<string, unknown>;
  problems: FieldProblem[];
} {
  const values = Object.fromEntries(
    DRAW_FIELDS.map((f) => [f, field(body, f).trim()]),
  ) as unknown as DrawFormValues;
  const problems: FieldProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const name of ['size', 'seed', 'failureWeight', 'judgedWeight'] as const) {
    const text = values[name];
    if (text === '') {
      if (name === 'size') {
        problems.push({ field: 'size', message: 'Enter how many items to draw', code: 'required' });
      }
      continue;
    }
    if (!/^-?\d+(\.\d+)?$/.test(text) || !Number.isFinite(Number(text))) {
      problems.push({ field: name, message: `${DRAW_LABELS[name]} must be a number`, code: 'invalid_type' });
      continue;
    }
    out[name] = Number(text);
  }
  if (values.groupKey !== '') {
    out['groupKey'] = values.groupKey;
  }
  return { values, body: out, problems };
}

/** Problems (the page's or the service's) as the error summary and the fields' messages. */
export function drawErrors(problems: FieldProblem[]) {
  const known = new Set<string>(DRAW_FIELDS);
  const errors = problems.map((p) => {
    const name = known.has(p.field) ? p.field : 'size';
    const text =
      p.message.startsWith(DRAW_LABELS[name]) || !known.has(p.field)
        ? p.message
        : `${DRAW_LABELS[name]} ${p.message}`;
    return { name, text, href: `#${name}` };
  });
  const fieldErrors: Record<string, { text: string }> = {};
  for (const e of errors) {
    fieldErrors[e.name] ??= { text: e.text };
  }
  return { errors: errors.map(({ text, href }) => ({ text, href })), fieldErrors };
}

// ---------------------------------------------------------------------------------------------------------
// Reviewing one item: what it shows, and the form read back.
// ---------------------------------------------------------------------------------------------------------

/** How the input or the expected value is shown: text, chat messages, or JSON. */
export type Shown = { text: string } | { messages: { role: string; content: string }[] } | { json: string };

const isMessage = (m: unknown): m is { role: string; content: string } =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as { role?: unknown }).role === 'string' &&
  typeof (m as { content?: unknown }).content === 'string';

export function shown(value: unknown): Shown | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'string') {
    return { text: value };
  }
  const messages = Array.isArray(value)
    ? value
    : typeof value === 'object' && Array.isArray((value as { messages?: unknown }).messages)
      ? (value as { messages: unknown[] }).messages
      : null;
  if (messages && messages.length > 0 && messages.every(isMessage)) {
    return { messages: messages.map((m) => ({ role: m.role, content: m.content })) };
  }
  return { json: JSON.stringify(value, null, 2) };
}

/** A scorer is graded (a corrected score is asked for) when it gives a score, not only pass or fail. */
export const isGraded = (s: ReviewItemScorerView) =>
  s.judge || (s.value !== null && s.value !== 0 && s.value !== 1);

/** One scorer's answers on the form, as typed. */
export interface ScorerFormValues {
  agree: '' | 'agree' | 'disagree';
  passed: '' | 'pass' | 'fail';
  value: string;
}

export interface ReviewFormValues {
  scorers: ScorerFormValues[];
  note: string;
  supersedesId: string;
}

/** The form pre-filled from the caller's own current review (or empty). */
export function formFromReview(item: ReviewItemView): ReviewFormValues {
  const mine = item.yourReview;
  return {
    scorers: item.scorers.map((s) => {
      const v = mine?.verdicts[s.metric];
      return {
        agree: v ? (v.agree ? 'agree' : 'disagree') : '',
        passed: v?.correctedPassed === undefined ? '' : v.correctedPassed ? 'pass' : 'fail',
        value: v?.correctedValue === undefined ? '' : String(v.correctedValue),
      };
    }),
    note: mine?.note ?? '',
    supersedesId: mine?.id ?? '',
  };
}

/**
 * Reads the review form: every scorer must be answered; a corrected verdict and score only count on a
 * disagreement. Returns the values as typed (to re-render), the body for ItemReviewsService.record and
 * the page's own problems (fields named as the service names them: `verdicts.<metric>.<field>`).
 */
export function readReviewForm(
  item: ReviewItemView,
  body: Record<string, unknown> | undefined,
): { values: ReviewFormValues; body: Record<string, unknown>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const verdicts = new Map<string, ReviewVerdicts[string]>();
  const scorers = item.scorers.map((s, i): ScorerFormValues => {
    const agree = field(body, `agree-${i}`, 20);
    const passed = field(body, `passed-${i}`, 20);
    const value = field(body, `value-${i}`, 50).trim();
    const values: ScorerFormValues = {
      agree: agree === 'agree' || agree === 'disagree' ? agree : '',
      passed: passed === 'pass' || passed === 'fail' ? passed : '',
      value,
    };
    if (!values.agree) {
      problems.push({
        field: `verdicts.${s.metric}.agree`,
        message: `Select whether you agree with ${s.metric}’s verdict`,
        code: 'required',
      });
      return values;
    }
    const verdict: ReviewVerdicts[string] = { agree: values.agree === 'agree' };
    if (values.agree === 'disagree') {
      if (values.passed) {
        verdict.correctedPassed = values.passed === 'pass';
      }
      if (value !== '' && isGraded(s)) {
        const n = Number(value);
        if (!/^\d*\.?\d+$/.test(value) || !(n >= 0 && n <= 1)) {
          problems.push({
            field: `verdicts.${s.metric}.correctedValue`,
            message: `Enter the corrected score for ${s.metric} as a number from 0 to 1`,
            code: 'invalid',
          });
        } else {
          verdict.correctedValue = n;
        }
      }
    }
    verdicts.set(s.metric, verdict);
    return values;
  });
  const note = field(body, 'note', 100_000);
  const supersedesId = field(body, 'supersedesId', 100);
  return {
    values: { scorers, note, supersedesId },
    body: {
      verdicts: Object.fromEntries(verdicts),
      note: note.trim() === '' ? null : note,
      supersedesId: isUuid(supersedesId) ? supersedesId : null,
    },
    problems,
  };
}

const SUBFIELD_IDS: Record<string, string> = {
  correctedPassed: 'passed',
  correctedValue: 'value',
  agree: 'agree',
};
const SUBFIELD_WORDS: Record<string, string> = {
  correctedPassed: 'The corrected verdict for',
  correctedValue: 'The corrected score for',
  correctedLabel: 'The corrected label for',
};

/**
 * Problems on the review form (the page's, or the service's: `verdicts.<metric>.<field>`, `note`) as the
 * error summary, linked to their fields, and each field's own message.
 */
export function reviewErrors(item: ReviewItemView, problems: FieldProblem[]) {
  const index = new Map(item.scorers.map((s, i) => [s.metric, i]));
  const errors = problems.map((p) => {
    if (p.field === 'note') {
      return {
        key: 'note',
        text: p.message.startsWith('The note') ? p.message : `The note ${p.message}`,
        href: '#note',
      };
    }
    const m = /^verdicts\.([^.]+)(?:\.(\w+))?/.exec(p.field);
    const i = m ? index.get(m[1]) : undefined;
    if (m && i !== undefined) {
      const sub = m[2] ?? 'agree';
      const id = `${SUBFIELD_IDS[sub] ?? 'agree'}-${i}`;
      const words = SUBFIELD_WORDS[sub];
      const text = /^[A-Z]/.test(p.message)
        ? p.message
        : words
          ? `${words} ${m[1]} ${p.message}`
          : `${m[1]}: ${p.message}`;
      return { key: id, text, href: `#${id}` };
    }
    return { key: 'form', text: p.field ? `${p.field} ${p.message}` : p.message, href: '#agree-0' };
  });
  const fieldErrors: Record<string, { text: string }> = {};
  for (const e of errors) {
    fieldErrors[e.key] ??= { text: e.text };
  }
  return { errors: errors.map(({ text, href }) => ({ text, href })), fieldErrors };
}

const VERDICT_TAGS = {
  pass: { text: 'Pass', classes: 'govuk-tag--green' },
  fail: { text: 'Fail', classes: 'govuk-tag--red' },
  none: { text: 'Not scored', classes: 'govuk-tag--grey' },
};

/** Everything reviews/item.njk shows. */
export function itemPageView(
  item: ReviewItemView,
  form: ReviewFormValues,
  errors: { errors: PageError[]; fieldErrors: Record<string, { text: string }> } = {
    errors: [],
    fieldErrors: {},
  },
) {
  const base = `/review-samples/${item.sampleId}`;
  const mine: ItemReviewView | null = item.yourReview;
  return {
    title: `Item ${item.position} of ${item.total}`,
    item,
    base,
    action: `${base}/items/${item.position}`,
    input: shown(item.input),
    expected: shown(item.expected),
    groups: Object.entries(item.groups).map(([k, v]) => `${k}: ${v}`),
    scorers: item.scorers.map((s, i) => ({
      ...s,
      index: i,
      graded: isGraded(s),
      tag: s.passed === null ? VERDICT_TAGS.none : s.passed ? VERDICT_TAGS.pass : VERDICT_TAGS.fail,
      // A pass/fail scorer's 0 or 1 says nothing its verdict does not.
      scoreText: s.value === null || !isGraded(s) ? null : formatDecimal(s.value),
      form: form.scorers[i],
    })),
    form,
    yourReview: mine ? { createdAt: mine.createdAt, revision: mine.revision } : null,
    previousHref: item.previous === null ? null : `${base}/items/${item.previous}`,
    nextHref: item.next === null ? null : `${base}/items/${item.next}`,
    errors: errors.errors,
    fieldErrors: errors.fieldErrors,
  };
}

/** A page position: a whole number from 1; anything else is a page that does not exist. */
export function pagePosition(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value)) {
    throw DomainError.notFound('The item');
  }
  return Number(value);
}

/** The group keys the suite breaks its metrics down by (from the run's report), for the draw form. */
export function reportGroupKeys(
  report: { summary: { metrics: { groups: { key: string }[] }[] } } | null,
): string[] {
  return [...new Set((report?.summary.metrics ?? []).flatMap((m) => m.groups.map((g) => g.key)))];
}
