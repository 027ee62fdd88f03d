import { minimiseText } from './live-text';

describe('minimiseText', () => {
  it.each<
    [
      string,
      string | null,
      boolean,
      number,
      { chars: number; piiFound: Record<string, number>; text: string | null },
    ]
  >([
    ['no text', null, true, 100, { chars: 0, piiFound: {}, text: null }],
    ['empty text', '', true, 100, { chars: 0, piiFound: {}, text: null }],
    [
      'nothing personal',
      'When is my payment due?',
      true,
      100,
      { chars: 23, piiFound: {}, text: 'When is my payment due?' },
    ],
    [
      'findings redacted by kind, counted',
      'NHS 943 476 5919, mail a@b.co.uk or c@d.gov.uk',
      true,
      100,
      { chars: 46, piiFound: { nhs_number: 1, email: 2 }, text: 'NHS [nhs_number], mail [email] or [email]' },
    ],
    [
      'counted but kept when the team does not redact',
      'postcode SW1A 1AA',
      false,
      100,
      { chars: 17, piiFound: { uk_postcode: 1 }, text: 'postcode SW1A 1AA' },
    ],
    [
      'cut after redaction: no half finding survives the cut',
      'ab 943 476 5919',
      true,
      8,
      { chars: 15, piiFound: { nhs_number: 1 }, text: 'ab [nhs_' },
    ],
  ])('%s', (_name, text, redact, max, expected) => {
    expect(minimiseText(text, redact, max)).toEqual(expected);
  });

  it('counts the whole text even when far longer than what is kept', () => {
    const text = `${'x '.repeat(50_000)}jo@example.com`;
    expect(minimiseText(text, true, 10)).toEqual({
      chars: text.length,
      piiFound: { email: 1 },
      text: 'x x x x x ',
    });
  });
});
