import { canonicalJson, sha256Hex } from '@gatehouse/domain';
import { cassetteKey, parseCassette, recordedConfigHash, ReplayTarget } from './replay.target';

describe('cassetteKey', () => {
  it('is the sha256 of the canonical JSON of the request', () => {
    const messages = [
      { role: 'system' as const, content: 'Route it "now"\n' },
      { role: 'user' as const, content: 'Where is my £ payment? 🚦' },
    ];
    for (const maxTokens of [undefined, 50]) {
      const request = { messages, prompt: '', item: { id: 'a', input: '' }, epoch: 2, maxTokens };
      expect(cassetteKey(request)).toBe(
        sha256Hex(canonicalJson({ messages, maxTokens: maxTokens ?? null, epoch: 2 })),
      );
    }
  });
});

describe('cassette meta line', () => {
  const entry = JSON.stringify({ key: 'k1', request: {}, response: { output: 'yes' } });
  const live = { type: 'openai', model: 'gpt-4o-mini', temperature: 0 };
  const meta = JSON.stringify({ gatehouseCassette: 1, recordedFrom: recordedConfigHash(live) });

  it('hashes the model and its settings, not how it is reached (so a judge behind a connection still matches)', () => {
    const judge = { model: 'gpt-4o', temperature: 0, seed: 7 };
    expect(recordedConfigHash({ ...judge, baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'K' })).toBe(
      recordedConfigHash(judge),
    );
    expect(recordedConfigHash({ ...judge, connection: 'openai-main' })).toBe(recordedConfigHash(judge));
    expect(recordedConfigHash({ ...judge, model: 'gpt-4.1' })).not.toBe(recordedConfigHash(judge));
    expect(recordedConfigHash({ ...judge, temperature: 0.7 })).not.toBe(recordedConfigHash(judge));
  });

  it('reads the configuration a cassette was recorded from, and null for a cassette without one', () => {
    expect(parseCassette(`${meta}\n${entry}\n`, 'c')).toMatchObject({
      recordedFrom: recordedConfigHash(live),
      entries: new Map([['k1', { output: 'yes' }]]),
    });
    expect(parseCassette(`${entry}\n`, 'c').recordedFrom).toBeNull();
  });

  it('refuses a cassette recorded from another configuration, and opens an old one as unverified', async () => {
    const load = (text: string) => () => Promise.resolve(text);
    const same = await ReplayTarget.open('', 'c', load(`${meta}\n${entry}\n`), {
      recordedFrom: recordedConfigHash(live),
    });
    expect(same.verified).toBe(true);
    await expect(
      ReplayTarget.open('', 'c', load(`${meta}\n${entry}\n`), {
        recordedFrom: recordedConfigHash({ ...live, model: 'gpt-4.1' }),
      }),
    ).rejects.toThrow(/target\.recordFrom: cassette c was recorded from another configuration/);
    const unverified: string[] = [];
    const old = await ReplayTarget.open('', 'c', load(`${entry}\n`), {
      recordedFrom: recordedConfigHash(live),
      onUnverified: (name) => unverified.push(name),
    });
    expect([old.verified, unverified]).toEqual([false, ['c']]);
  });
});
