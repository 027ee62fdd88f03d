import {
  type IngestTokenListView,
  type IssuedIngestTokenView,
  type LiveMeasuresView,
  type LiveSettingsView,
  MAX_INGEST_TOKEN_NAME,
  MAX_LIVE_REASON,
  type ReevaluationView,
  type WatchAlertView,
} from '@gatehouse/application';
import { type FieldProblem, storesUnredactedText, type RateMeasure } from '@gatehouse/domain';

/**
 * What the live use page shows, worked out from the live services' views (no HTML: the templates escape
 * every value), and its forms read back from a page's POST. Shares of traffic and margins are shown and
 * typed as percentages; the API takes them as fractions.
 */

/** A GOV.UK error summary entry: the message and the field it links to. */
export interface PageError {
  text: string;
  href: string;
}

/** The settings form as typed (every value a string, as the browser sent it). */
export interface SettingsFormValues {
  sampleRate: string;
  captureText: string;
  redactPii: string;
  retentionDays: string;
  judgeCallsPerDay: string;
  reevaluateEveryDays: string;
  windowDays: string;
  minCases: string;
  rateMargin: string;
  lengthRatio: string;
  reason: string;
}

const FIELDS: (keyof SettingsFormValues)[] = [
  'sampleRate',
  'captureText',
  'redactPii',
  'retentionDays',
  'judgeCallsPerDay',
  'reevaluateEveryDays',
  'windowDays',
  'minCases',
  'rateMargin',
  'lengthRatio',
  'reason',
];

const LABELS: Record<keyof SettingsFormValues, string> = {
  sampleRate: 'Share of traces scored',
  captureText: 'Keep prompts and completions',
  redactPii: 'Redact personal data',
  retentionDays: 'Days to keep captured text',
  judgeCallsPerDay: 'Model-judge calls a day',
  reevaluateEveryDays: 'Re-evaluate every',
  windowDays: 'Drift window',
  minCases: 'Scored cases before the watch alerts',
  rateMargin: 'Failure rate margin',
  lengthRatio: 'Input length ratio',
  reason: 'Reason',
};

/** Fraction → percentage text without floating-point noise (0.07 → "7"). */
const asPercent = (fraction: number) => String(Number((fraction * 100).toPrecision(12)));
/** Percentage → fraction without floating-point noise (7 → 0.07). */
const asFraction = (percent: number) => Number((percent / 100).toPrecision(12));

/** The form filled with the settings as they are. */
export function settingsFormValues(settings: LiveSettingsView): SettingsFormValues {
  return {
    sampleRate: asPercent(settings.sampleRate),
    captureText: settings.captureText ? 'yes' : 'no',
    redactPii: settings.redactPii ? 'yes' : 'no',
    retentionDays: String(settings.retentionDays),
    judgeCallsPerDay: String(settings.judgeCallsPerDay),
    reevaluateEveryDays: settings.reevaluateEveryDays === null ? '' : String(settings.reevaluateEveryDays),
    windowDays: String(settings.drift.windowDays),
    minCases: String(settings.drift.minCases),
    rateMargin: asPercent(settings.drift.rateMargin),
    lengthRatio: String(settings.drift.lengthRatio),
    reason: '',
  };
}

const text = (body: Record<string, unknown> | undefined, name: string, max: number): string => {
  const raw = body?.[name];
  return typeof raw === 'string' ? raw.slice(0, max).trim() : '';
};

const NUMBER = /^-?\d{1,9}(\.\d{1,9})?$/;

/**
 * The settings form read back: the body for LiveSettingsService.update (numbers as numbers, percentages
 * as fractions) and what the page itself could not read. Ranges are the service's to check.
 */
export function readSettingsForm(body: Record<string, unknown> | undefined): {
  values: SettingsFormValues;
  body: Record<string, unknown>;
  problems: FieldProblem[];
} {
  const values = Object.fromEntries(
    FIELDS.map((f) => [f, text(body, f, f === 'reason' ? MAX_LIVE_REASON + 1 : 40)]),
  ) as unknown as SettingsFormValues;
  const problems: FieldProblem[] = [];
  const number = (field: keyof SettingsFormValues, required = true): number | null | undefined => {
    const typed = values[field];
    if (typed === '') {
      if (required) {
        problems.push({ field, message: `Enter ${LABELS[field].toLowerCase()}`, code: 'required' });
      }
      return required ? undefined : null;
    }
    if (!NUMBER.test(typed)) {
      problems.push({ field, message: `${LABELS[field]} must be a number`, code: 'invalid_type' });
      return undefined;
    }
    return Number(typed);
  };
  const yesNo = (field: 'captureText' | 'redactPii'): boolean | undefined => {
    if (values[field] === 'yes' || values[field] === 'no') {
      return values[field] === 'yes';
    }
    problems.push({ field, message: `Select whether to ${LABELS[field].toLowerCase()}`, code: 'required' });
    return undefined;
  };
  const percent = (field: 'sampleRate' | 'rateMargin'): number | undefined => {
    const value = number(field);
    if (typeof value !== 'number') {
      return undefined;
    }
    if (value < 0 || value > 100) {
      problems.push({ field, message: `${LABELS[field]} must be between 0% and 100%`, code: 'out_of_range' });
      return undefined;
    }
    return asFraction(value);
  };
  const out = {
    sampleRate: percent('sampleRate'),
    captureText: yesNo('captureText'),
    redactPii: yesNo('redactPii'),
    retentionDays: number('retentionDays'),
    judgeCallsPerDay: number('judgeCallsPerDay'),
    reevaluateEveryDays: number('reevaluateEveryDays', false),
    drift: {
      windowDays: number('windowDays'),
      minCases: number('minCases'),
      rateMargin: percent('rateMargin'),
      lengthRatio: number('lengthRatio'),
    },
    ...(values.reason ? { reason: values.reason } : {}),
  };
  return { values, body: out, problems };
}

/** The service's (or the form's) problems as a GOV.UK error summary and messages by field. */
export function settingsErrors(problems: readonly FieldProblem[]): {
  errors: PageError[];
  fieldErrors: Record<string, string>;
} {
  const fieldErrors: Record<string, string> = {};
  for (const p of problems) {
    const field = p.field.replace(/^drift\./, '');
    const label = LABELS[field as keyof SettingsFormValues];
    if (fieldErrors[field]) {
      continue;
    }
    if (!label) {
      fieldErrors['settings'] = `${p.field} ${p.message}`;
      continue;
    }
    // The page's own messages are sentences already; the service's name the field first.
    fieldErrors[field] =
      /^[A-Z]/.test(p.message) || p.message.startsWith(label)
        ? p.message
        : `${label} ${percentMessage(field, p.message)}`;
  }
  return {
    errors: Object.entries(fieldErrors).map(([field, text]) => ({
      text,
      href: `#${field === 'settings' ? 'sampleRate' : field}`,
    })),
    fieldErrors,
  };
}

/** "must be between 0 and 1" of a fraction the page shows as a percentage, in percentages. */
function percentMessage(field: string, message: string): string {
  return field === 'sampleRate' || field === 'rateMargin'
    ? message.replace(/between 0 and 1\b/, 'between 0% and 100%')
    : message;
}

/** The token form's problems (the name) in the same shape. */
export function tokenErrors(problems: readonly FieldProblem[]): {
  errors: PageError[];
  fieldErrors: Record<string, string>;
} {
  const messages = problems.map((p) =>
    p.field === 'name' ? `Name ${p.message}` : `${p.field} ${p.message}`,
  );
  return {
    errors: messages.map((text) => ({ text, href: '#tokenName' })),
    fieldErrors: messages.length ? { tokenName: messages.join('; ') } : {},
  };
}

/** A form's token name as typed (bounded, so a huge one is refused by length, never echoed whole). */
export const readTokenName = (body: Record<string, unknown> | undefined): string =>
  typeof body?.['name'] === 'string' ? body['name'].slice(0, MAX_INGEST_TOKEN_NAME + 1) : '';

/** The settings in words, for everyone who may read them. */
export function settingsRows(settings: LiveSettingsView): { key: string; value: string }[] {
  const d = settings.drift;
  return [
    {
      key: LABELS.sampleRate,
      value: `${asPercent(settings.sampleRate)}% of traces are scored by the use case's guardrails`,
    },
    {
      key: 'Prompts and completions',
      value: !settings.captureText
        ? 'Not kept: only counts, lengths and scores'
        : `Kept for ${plural(settings.retentionDays, 'day')}, ${settings.redactPii ? 'with UK personal data redacted before storage' : 'NOT redacted: personal data is stored as sent'}`,
    },
    {
      key: LABELS.judgeCallsPerDay,
      value:
        settings.judgeCallsPerDay === 0
          ? 'None: deterministic scorers only'
          : `Up to ${settings.judgeCallsPerDay.toLocaleString('en-GB')}`,
    },
    {
      key: 'Scheduled re-evaluation',
      value:
        settings.reevaluateEveryDays === null
          ? 'Never'
          : `Every ${plural(settings.reevaluateEveryDays, 'day')}, against the registered target`,
    },
    {
      key: 'Drift watch',
      value: `Over the last ${plural(d.windowDays, 'day')}, once ${d.minCases.toLocaleString('en-GB')} cases are scored: alerts when a guardrail failure rate rises more than ${asPercent(d.rateMargin)} percentage points above evaluation, or the median input length moves by more than ×${d.lengthRatio}`,
    },
  ];
}

const plural = (n: number, one: string) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : `${one}s`}`;

/** The token table's rows, and which tokens can still be revoked. */
export function tokenRows(list: IngestTokenListView, names: Map<string, string>) {
  return list.items.map((t) => ({
    ...t,
    createdByName: names.get(t.createdBy) ?? t.createdBy,
    status: t.active ? 'Active' : 'Revoked',
  }));
}

/** Whether the settings keep personal data unredacted (the page warns). */
export const warnsUnredacted = (settings: LiveSettingsView): boolean => storesUnredactedText(settings);

/** The success banner a redirect to the page asks for. */
export function liveBanner(query: Record<string, unknown>): string | null {
  return (
    { settings: 'The live settings are saved.', revoked: 'The ingest token is revoked.' }[
      typeof query['done'] === 'string' ? query['done'] : ''
    ] ?? null
  );
}

/** The snippet a service team puts in its service's environment to send traces with the OpenTelemetry SDK. */
export function otelSnippet(endpoint: string, token: string | null): string {
  return [
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${endpoint}`,
    `OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer%20${token ?? '<your ingest token>'}`,
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf',
  ].join('\n');
}

export type { IssuedIngestTokenView };

const percent = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const rate = (measure: RateMeasure): string =>
  measure.cases === 0
    ? '–'
    : `${measure.events} of ${measure.cases} (${percent(measure.rate)}, at most ${percent(measure.upper95)})`;
const milliseconds = (value: number | null): string => (value === null ? '–' : `${Math.round(value)} ms`);

/**
 * The measures section: the period's rates with their upper bounds, each online scorer (with today's model-judge
 * calls against the budget), and the days.
 */
export function measuresView(measures: LiveMeasuresView) {
  const { totals } = measures;
  return {
    from: measures.from,
    to: measures.to,
    empty: totals.calls === 0 && totals.unlinked === 0,
    totals: [
      { key: 'Cases (traces)', value: String(totals.cases) },
      { key: 'Model calls', value: `${totals.calls} (${totals.errored} errored)` },
      { key: 'Overridden', value: rate(totals.overrideRate) },
      { key: 'Undone', value: rate(totals.undoRate) },
      { key: 'Complaints', value: rate(totals.complaintRate) },
      { key: 'Incidents', value: rate(totals.incidentRate) },
      { key: 'Feedback naming no stored trace', value: String(totals.unlinked) },
      { key: 'Cost', value: `$${totals.costUsd.toFixed(2)}` },
    ],
    scorers: measures.scorers.map((s) => [
      s.scorer,
      String(s.scored),
      String(s.failed),
      percent(s.failureRate),
      percent(s.upper95),
      String(s.unscored),
    ]),
    judgeCalls:
      measures.judgeCalls.budget > 0
        ? `Model judges today (${measures.judgeCalls.day}, UTC): ${measures.judgeCalls.used} of ${measures.judgeCalls.budget} calls used. Past the budget a judge's verdict is unscored, counted apart.`
        : null,
    days: [...measures.days]
      .reverse()
      .map((d) => [
        d.day,
        String(d.cases),
        String(d.calls),
        String(d.overrides),
        milliseconds(d.latencyP50Ms),
        milliseconds(d.latencyP95Ms),
      ]),
  };
}

/** The watch section: open alerts first, then the latest resolved, and the latest re-evaluations. */
export function watchView(alerts: WatchAlertView[], reevaluations: ReevaluationView[]) {
  const ordered = [...alerts].sort(
    (a, b) =>
      Number(b.status === 'open') - Number(a.status === 'open') || b.openedAt.localeCompare(a.openedAt),
  );
  return {
    open: alerts.filter((a) => a.status === 'open').length,
    alerts: ordered.slice(0, 20).map((a) => ({
      kind: ALERT_KINDS[a.kind] ?? a.kind,
      status: a.status,
      summary: a.summary,
      openedAt: a.openedAt.slice(0, 16).replace('T', ' '),
    })),
    reevaluations: reevaluations.slice(0, 5).map((r) => ({
      status: r.status,
      findings: r.findings,
    })),
  };
}

const ALERT_KINDS: Record<string, string> = {
  config_mismatch: 'Configuration not approved',
  drift: 'Drift',
  regression: 'Re-evaluation regressed',
  evidence_expiring: 'Evidence expiring',
};
