import { CONFIG_HASH_ATTRIBUTE, LIVE_LIMITS } from '@gatehouse/domain';
import { jsonBudgetFor, readGenAiSpan } from './genai-spans';
import { type AttrValue, type OtlpSpan } from './otlp-spans';

const NOW = new Date('2026-12-05T12:00:00Z');
const NS = (iso: string) => new Date(iso).getTime() * 1e6;

function span(attributes: Record<string, AttrValue>, overrides: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    startNs: NS('2026-12-05T11:59:00Z'),
    endNs: NS('2026-12-05T11:59:01.5Z'),
    attributes: new Map(Object.entries(attributes)),
    events: [],
    errored: false,
    resource: new Map(),
    ...overrides,
  };
}

const accepted = (s: OtlpSpan) => {
  const reading = readGenAiSpan(s, NOW);
  if (reading.kind !== 'accepted') {
    throw new Error(`expected an accepted span, got ${JSON.stringify(reading)}`);
  }
  return reading;
};

const messages = (list: object[]) => JSON.stringify(list);

describe('readGenAiSpan', () => {
  it('skips spans that are not model calls', () => {
    expect(readGenAiSpan(span({ 'http.request.method': 'GET' }), NOW)).toEqual({ kind: 'skipped' });
  });

  it('reads model, operation, usage, cost, status and duration', () => {
    const { span: live } = accepted(
      span(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'requested',
          'gen_ai.response.model': 'answered',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': '20',
          'gatehouse.cost_usd': 0.5,
        },
        { errored: true },
      ),
    );
    expect(live).toMatchObject({
      operation: 'chat',
      model: 'answered',
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 0.5,
      errored: true,
      durationMs: 1500,
      startedAt: new Date('2026-12-05T11:59:00Z'),
    });
  });

  it.each<[string, AttrValue, number | null]>([
    ['a negative count', -1, null],
    ['a fraction', 1.5, null],
    ['past int32', 2 ** 31, null],
    ['text that is not a number', 'many', null],
    ['zero', 0, 0],
  ])('reads %s of tokens as %p', (_name, value, expected) => {
    expect(accepted(span({ 'gen_ai.usage.input_tokens': value })).span.inputTokens).toBe(expected);
  });

  it.each<[string, Record<string, AttrValue>, string | null, string | null]>([
    [
      'current semconv messages: the last user message and the first output message',
      {
        'gen_ai.input.messages': messages([
          { role: 'system', parts: [{ type: 'text', content: 'sys' }] },
          { role: 'user', parts: [{ type: 'text', content: 'first' }] },
          { role: 'assistant', parts: [{ type: 'text', content: 'reply' }] },
          {
            role: 'user',
            parts: [
              { type: 'text', content: 'last' },
              { type: 'text', content: 'part' },
            ],
          },
        ]),
        'gen_ai.output.messages': messages([
          { role: 'assistant', parts: [{ type: 'text', content: 'one' }] },
          { role: 'assistant', parts: [{ type: 'text', content: 'two' }] },
        ]),
      },
      'last\npart',
      'one',
    ],
    [
      'OpenAI-style messages with content strings',
      {
        'gen_ai.prompt': messages([{ role: 'user', content: 'hello' }]),
        'gen_ai.completion': messages([{ message: { role: 'assistant', content: 'hi' } }]),
      },
      'hello',
      'hi',
    ],
    [
      'plain text prompt and completion',
      { 'gen_ai.prompt': 'plain', 'gen_ai.completion': '[not json' },
      'plain',
      '[not json',
    ],
    [
      'indexed attributes',
      {
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'sys',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'question',
        'gen_ai.prompt.2.role': 'assistant',
        'gen_ai.prompt.2.content': 'earlier answer',
        'gen_ai.completion.0.content': 'answer',
      },
      'question',
      'answer',
    ],
    [
      'a structured (key-value list) attribute',
      {
        'gen_ai.input.messages': [
          new Map<string, AttrValue>([
            ['role', 'user'],
            ['content', 'structured'],
          ]),
        ],
        'gen_ai.request.model': 'm',
      },
      'structured',
      null,
    ],
    ['no text at all', { 'gen_ai.request.model': 'm' }, null, null],
  ])('reads %s', (_name, attributes, input, output) => {
    const { span: live } = accepted(span(attributes));
    expect({ input: live.input, output: live.output }).toEqual({ input, output });
  });

  it('reads prompts and completions from span events when the attributes have none', () => {
    const attrs = (entries: [string, AttrValue][]) => new Map(entries);
    const { span: live } = accepted(
      span(
        { 'gen_ai.system': 'openai' },
        {
          events: [
            { name: 'gen_ai.user.message', attributes: attrs([['content', 'early']]) },
            {
              name: 'gen_ai.user.message',
              attributes: attrs([['gen_ai.event.content', '{"content":"late"}']]),
            },
            {
              name: 'gen_ai.choice',
              attributes: attrs([
                ['index', 1],
                ['message', '{"content":"second"}'],
              ]),
            },
            {
              name: 'gen_ai.choice',
              attributes: attrs([
                ['index', 0],
                ['message', '{"content":"first"}'],
              ]),
            },
          ],
        },
      ),
    );
    expect({ input: live.input, output: live.output }).toEqual({ input: 'late', output: 'first' });
  });

  it('never recurses with the sender: deep JSON is text, and wrapped messages are read one level deep', () => {
    const deep = `${'{"message":'.repeat(50_000)}"x"${'}'.repeat(50_000)}`;
    expect(accepted(span({ 'gen_ai.completion': deep })).span.output).toBe(deep);
    const wrapped = JSON.stringify({ message: { message: { message: { content: 'too deep' } } } });
    expect(accepted(span({ 'gen_ai.completion': wrapped })).span.output).toBeNull();
  });

  it('takes the config hash from the span, else its resource; a malformed one is ignored and flagged', () => {
    const hash = 'c'.repeat(64);
    const resource = new Map<string, AttrValue>([[CONFIG_HASH_ATTRIBUTE, 'd'.repeat(64)]]);
    expect(
      accepted(span({ 'gen_ai.x': 1, [CONFIG_HASH_ATTRIBUTE]: hash }, { resource })).span.configHash,
    ).toBe(hash);
    expect(accepted(span({ 'gen_ai.x': 1 }, { resource })).span.configHash).toBe('d'.repeat(64));
    expect(accepted(span({ 'gen_ai.x': 1, [CONFIG_HASH_ATTRIBUTE]: 'C'.repeat(64) }))).toMatchObject({
      ignoredConfigHash: true,
      span: { configHash: null },
    });
  });

  it.each<[string, Partial<OtlpSpan>, string]>([
    ['no trace id', { traceId: null }, 'invalid_id'],
    ['no span id', { spanId: null }, 'invalid_id'],
    ['no start', { startNs: null }, 'no_start_time'],
    ['a zero start', { startNs: 0 }, 'no_start_time'],
    [
      'a start past the age limit',
      { startNs: NS('2026-12-05T12:00:00Z') - (LIVE_LIMITS.maxAgeDays * 86_400_000 + 1000) * 1e6 },
      'too_old',
    ],
    ['a start past the clock skew', { startNs: NS('2026-12-05T12:11:00Z') }, 'in_future'],
  ])('rejects a model call with %s', (_name, overrides, reason) => {
    expect(readGenAiSpan(span({ 'gen_ai.request.model': 'm' }, overrides), NOW)).toEqual({
      kind: 'rejected',
      reason,
    });
  });

  it('keeps a start within the skew, and leaves the duration out when the end is before the start', () => {
    const { span: live } = accepted(
      span(
        { 'gen_ai.request.model': 'm' },
        { startNs: NS('2026-12-05T12:09:00Z'), endNs: NS('2026-12-05T12:00:00Z') },
      ),
    );
    expect(live.durationMs).toBeNull();
  });
});

describe('readGenAiSpan: the JSON a request may have parsed', () => {
  const chat = (question: string) =>
    messages([
      { role: 'system', parts: [{ type: 'text', content: 'Answer briefly.' }] },
      { role: 'user', parts: [{ type: 'text', content: question }] },
    ]);
  const read = (value: string, budget = { containers: Infinity }) => {
    const reading = readGenAiSpan(span({ 'gen_ai.input.messages': value }), NOW, budget);
    if (reading.kind !== 'accepted') {
      throw new Error(`expected an accepted span, got ${reading.kind}`);
    }
    return reading.span.input;
  };

  it('is one container per 16 bytes of the body, and 1,024 at least', () => {
    expect(jsonBudgetFor(0).containers).toBe(1_024);
    expect(jsonBudgetFor(16_400).containers).toBe(1_025);
    expect(jsonBudgetFor(128 * 1024).containers).toBe(8_192);
    expect(jsonBudgetFor(4 * 1024 * 1024).containers).toBe(262_144);
  });

  it('parses messages while the budget lasts and takes their containers from it', () => {
    const budget = { containers: 10 };
    expect(read(chat('How do I renew?'), budget)).toBe('How do I renew?');
    expect(budget.containers).toBe(3); // the list, 2 messages, their 2 parts lists and 2 parts: 7
  });

  it('keeps a string past the budget as the text it is (still read, never parsed)', () => {
    const budget = { containers: 6 };
    const value = chat('How do I renew?');
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(read(value, budget)).toBe(value);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(budget.containers).toBe(6);
  });

  it('does not parse a 4 MiB string of empty lists: one request cannot make the server build a million containers', () => {
    const hostile = `[${'[],'.repeat(1_398_000)}[]]`;
    const budget = jsonBudgetFor(hostile.length);
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(read(hostile, budget)).toBe(hostile);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('512 chats are parsed in full on the budget of a body no longer than their JSON', () => {
    const values = Array.from({ length: 512 }, (_, i) => chat(`Question ${i}?`));
    const budget = jsonBudgetFor(values.reduce((n, v) => n + v.length, 0));
    expect(values.map((v) => read(v, budget))).toEqual(values.map((_, i) => `Question ${i}?`));
  });
});
