import { canonicalJson, sha256Hex } from '@gatehouse/domain';
import { cassetteKey } from './replay.target';

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
