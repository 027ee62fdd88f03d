import { type LiveSettingsView } from '@gatehouse/application';
import { DEFAULT_LIVE_SETTINGS } from '@gatehouse/domain';
import {
  liveBanner,
  otelSnippet,
  readSettingsForm,
  settingsErrors,
  settingsFormValues,
  settingsRows,
  tokenErrors,
} from './live-pages';

const view = (change: Partial<LiveSettingsView> = {}): LiveSettingsView => ({
  aiUseCaseId: '00000000-0000-4000-8000-000000000001',
  ...DEFAULT_LIVE_SETTINGS,
  drift: { ...DEFAULT_LIVE_SETTINGS.drift },
  stored: false,
  updatedBy: null,
  updatedAt: null,
  ...change,
});

const form = (change: Record<string, unknown> = {}) => ({
  sampleRate: '7',
  captureText: 'yes',
  redactPii: 'no',
  retentionDays: '30',
  judgeCallsPerDay: '0',
  reevaluateEveryDays: '',
  windowDays: '7',
  minCases: '100',
  rateMargin: '2',
  lengthRatio: '2',
  reason: '  DPIA 4.2  ',
  ...change,
});

describe('the live settings form', () => {
  it('round-trips the settings through the form, shares as percentages without float noise', () => {
    const values = settingsFormValues(
      view({ sampleRate: 0.07, drift: { ...DEFAULT_LIVE_SETTINGS.drift, rateMargin: 0.035 } }),
    );
    expect(values).toMatchObject({
      sampleRate: '7',
      rateMargin: '3.5',
      reevaluateEveryDays: '',
      captureText: 'no',
    });
    const read = readSettingsForm({ ...values });
    expect(read.problems).toEqual([]);
    expect(read.body).toMatchObject({
      sampleRate: 0.07,
      drift: { rateMargin: 0.035 },
      reevaluateEveryDays: null,
    });
  });

  it('reads numbers as numbers, yes/no as booleans and keeps the trimmed reason', () => {
    const read = readSettingsForm(form({ reevaluateEveryDays: '14' }));
    expect(read.problems).toEqual([]);
    expect(read.body).toEqual({
      sampleRate: 0.07,
      captureText: true,
      redactPii: false,
      retentionDays: 30,
      judgeCallsPerDay: 0,
      reevaluateEveryDays: 14,
      drift: { windowDays: 7, minCases: 100, rateMargin: 0.02, lengthRatio: 2 },
      reason: 'DPIA 4.2',
    });
  });

  it.each([
    [
      'a word for a number',
      { retentionDays: 'thirty' },
      'retentionDays',
      'Days to keep captured text must be a number',
    ],
    ['an empty required number', { minCases: '' }, 'minCases', 'Enter scored cases before the watch alerts'],
    [
      'a share over 100%',
      { sampleRate: '101' },
      'sampleRate',
      'Share of traces scored must be between 0% and 100%',
    ],
    [
      'a negative margin',
      { rateMargin: '-1' },
      'rateMargin',
      'Failure rate margin must be between 0% and 100%',
    ],
    [
      'a tampered radio',
      { captureText: 'maybe' },
      'captureText',
      'Select whether to keep prompts and completions',
    ],
    ['an exponent', { windowDays: '1e3' }, 'windowDays', 'Drift window must be a number'],
    [
      'an array for a field',
      { judgeCallsPerDay: ['1', '2'] },
      'judgeCallsPerDay',
      'Enter model-judge calls a day',
    ],
  ])('refuses %s on the page', (_name, change, field, message) => {
    const read = readSettingsForm(form(change));
    expect(read.problems).toEqual([expect.objectContaining({ field, message })]);
  });

  it('names the service’s problems by their labels, in percentages for shares, linking to the field', () => {
    const { errors, fieldErrors } = settingsErrors([
      { field: 'sampleRate', message: 'must be between 0 and 1' },
      { field: 'drift.minCases', message: 'must be between 10 and 1000000' },
      { field: 'reason', message: 'is required' },
      { field: 'colour', message: 'is not a known field' },
    ]);
    expect(fieldErrors).toEqual({
      sampleRate: 'Share of traces scored must be between 0% and 100%',
      minCases: 'Scored cases before the watch alerts must be between 10 and 1000000',
      reason: 'Reason is required',
      settings: 'colour is not a known field',
    });
    expect(errors.map((e) => e.href)).toEqual(['#sampleRate', '#minCases', '#reason', '#sampleRate']);
  });

  it('names token name problems on the token field', () => {
    expect(tokenErrors([{ field: 'name', message: 'must not be empty' }])).toEqual({
      errors: [{ text: 'Name must not be empty', href: '#tokenName' }],
      fieldErrors: { tokenName: 'Name must not be empty' },
    });
    expect(tokenErrors([])).toEqual({ errors: [], fieldErrors: {} });
  });
});

describe('the live settings in words', () => {
  it('says what is kept and for how long, and when text is unredacted', () => {
    expect(settingsRows(view()).map((r) => r.value)).toEqual([
      "10% of traces are scored by the use case's guardrails",
      'Not kept: only counts, lengths and scores',
      'None: deterministic scorers only',
      'Never',
      'Over the last 7 days, once 100 cases are scored: alerts when a guardrail failure rate rises more than 2 percentage points above evaluation, or the median input length moves by more than ×2',
    ]);
    const unredacted = settingsRows(
      view({ captureText: true, redactPii: false, retentionDays: 1, reevaluateEveryDays: 30 }),
    );
    expect(unredacted[1].value).toBe('Kept for 1 day, NOT redacted: personal data is stored as sent');
    expect(unredacted[3].value).toBe('Every 30 days, against the registered target');
  });

  it('answers only the banners it knows', () => {
    expect(liveBanner({ done: 'settings' })).toBe('The live settings are saved.');
    expect(liveBanner({ done: 'revoked' })).toBe('The ingest token is revoked.');
    expect(liveBanner({ done: '<script>' })).toBeNull();
    expect(liveBanner({ done: ['settings'] })).toBeNull();
  });

  it('puts the endpoint and the token (or a placeholder) in the exporter snippet', () => {
    expect(otelSnippet('https://g.example/v1/otlp/v1/traces', null)).toContain(
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer%20<your ingest token>',
    );
    expect(otelSnippet('https://g.example/v1/otlp/v1/traces', 'ghi_abc')).toContain('Bearer%20ghi_abc');
  });
});
