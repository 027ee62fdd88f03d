import { dropOverlaps, normaliseQuotes, phrasePattern, sentenceAround, sentencePrefix } from './text';

describe('guardrail text helpers', () => {
  it('normalises curly quotes without moving any character', () => {
    const text = 'I’m ‘sure’ it’s “fine”';
    expect(normaliseQuotes(text)).toBe("I'm 'sure' it's \"fine\"");
    expect(normaliseQuotes(text)).toHaveLength(text.length);
  });

  it.each<[string, string, boolean]>([
    ['PINEAPPLE-7', 'say pineapple-7 now', true],
    ['PINEAPPLE-7', 'say PINEAPPLE-70 now', false],
    ['a.b*c', 'matches a.b*c literally', true],
    ['a.b*c', 'not aXbbbc', false],
    ['two  words', 'two\nwords', true],
    ["it's", 'it’s', true],
  ])('phrasePattern(%j) on %j → %s', (phrase, text, found) => {
    expect(new RegExp(phrasePattern(phrase), 'iu').test(text)).toBe(found);
  });

  it('finds the sentence around an index', () => {
    const text = 'First one. Second costs £1.50; third\nfourth?';
    expect(sentenceAround(text, text.indexOf('costs'))).toEqual({ start: 10, end: text.indexOf(';') });
    expect(sentencePrefix(text, text.indexOf('costs'))).toBe(' Second ');
    expect(sentencePrefix(text, text.indexOf('fourth'))).toBe('');
    expect(sentenceAround(text, 0)).toEqual({ start: 0, end: 9 });
  });

  it('keeps the earliest, then longest, of overlapping spans', () => {
    const spans = [
      { id: 'c', index: 10, length: 2 },
      { id: 'a', index: 0, length: 3 },
      { id: 'b', index: 0, length: 5 },
      { id: 'd', index: 4, length: 2 },
    ];
    expect(dropOverlaps(spans).map((s) => s.id)).toEqual(['b', 'c']);
  });
});
