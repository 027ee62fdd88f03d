import { detectUkPii, isUkPhoneNumber, isValidNhsNumber, type PiiFinding, type PiiKind } from './uk-pii';

/** The finding for the only occurrence of `match` in `text` (fails loudly if it is not unique). */
const at = (text: string, kind: PiiKind, match: string): PiiFinding => {
  const index = text.indexOf(match);
  if (index < 0 || text.indexOf(match, index + 1) >= 0) {
    throw new Error(`"${match}" must occur exactly once in the test text`);
  }
  return { kind, match, index };
};

const kindsAndMatches = (text: string, kinds?: PiiKind[]): [PiiKind, string][] =>
  detectUkPii(text, { kinds }).map((f) => [f.kind, f.match]);

describe('isValidNhsNumber (modulus 11)', () => {
  it.each([
    ['9434765919', true], // the commonly cited example
    ['4010232137', true],
    ['4505577104', true],
    ['4857773457', true],
    ['6123456784', true],
    ['9434765918', false], // wrong check digit
    ['4010232138', false],
    ['1234567890', false], // the check digit works out as 10: never issued
    ['1234567891', false],
    ['1111111111', false], // passes the arithmetic, but a placeholder
    ['943476591', false], // nine digits
  ])('%s → %s', (digits, valid) => {
    expect(isValidNhsNumber(digits)).toBe(valid);
  });
});

describe('detectUkPii: NHS numbers', () => {
  it.each([
    ['NHS number: 943 476 5919', '943 476 5919'],
    ['NHS number 943-476-5919.', '943-476-5919'],
    ['nhs no 9434765919', '9434765919'],
    ['(NHS: 401 023 2137)', '401 023 2137'],
    ['Patient 4505577104, seen on 12/03/2024', '4505577104'],
  ])('finds the valid number in %j', (text, match) => {
    expect(detectUkPii(text)).toEqual([at(text, 'nhs_number', match)]);
  });

  it.each([
    ['a wrong check digit', 'NHS number 943 476 5918'],
    ['a check digit that works out as 10', 'NHS number 123 456 7890'],
    ['mixed separators', 'NHS number 943 476-5919'],
    ['a 16-digit card number', 'Card 4929943476591901 was declined'],
    ['a spaced card number', 'Card 4929 9434 7659 1901 was declined'],
    ['a 12-digit reference', 'Reference 129434765919'],
    ['an 11-digit run', 'Account 94347659190'],
    ['a longer spaced run', 'Code 12 943 476 5919'],
    ['a decimal', 'Total 9434765919.50'],
    ['glued to letters', 'ID ABC9434765919'],
    ['a placeholder', 'NHS number 111 111 1111'],
  ])('ignores %s', (_label, text) => {
    expect(detectUkPii(text, { kinds: ['nhs_number'] })).toEqual([]);
  });

  it('does not read a phone number as an NHS number', () => {
    // 7700900019 passes the modulus-11 check; after +44 (or in 07700 900019) it is a mobile number.
    expect(isValidNhsNumber('7700900019')).toBe(true);
    expect(kindsAndMatches('Text +44 7700900019, +44 770 090 0019 or 07700900019')).toEqual([
      ['uk_phone', '+44 7700900019'],
      ['uk_phone', '+44 770 090 0019'],
      ['uk_phone', '07700900019'],
    ]);
  });
});

describe('detectUkPii: National Insurance numbers', () => {
  it.each(['AB123456C', 'AB 12 34 56 C', 'ab 12 34 56 c', 'JG 103759 A', 'PX123456D', 'ce 12 34 56 b'])(
    'finds %j',
    (ni) => {
      const text = `National Insurance number: ${ni}.`;
      expect(detectUkPii(text)).toEqual([at(text, 'ni_number', ni)]);
    },
  );

  it.each([
    ['the HMRC dummy (Q is never a first letter)', 'QQ 12 34 56 C'],
    ['first letter D', 'DA123456A'],
    ['first letter F', 'FA123456A'],
    ['first letter I', 'IA123456A'],
    ['first letter U', 'UA123456A'],
    ['first letter V', 'VA123456A'],
    ['second letter D', 'AD123456A'],
    ['second letter O', 'AO123456A'],
    ['second letter Q', 'AQ123456A'],
    ['second letter V', 'AV123456A'],
    ['prefix BG', 'BG123456A'],
    ['prefix GB', 'GB123456A'],
    ['prefix KN', 'KN123456A'],
    ['prefix NK', 'NK123456A'],
    ['prefix NT', 'NT123456A'],
    ['prefix TN', 'TN123456A'],
    ['prefix ZZ', 'ZZ123456A'],
    ['suffix E', 'AB123456E'],
    ['five digits', 'AB12345C'],
    ['glued to a word before', 'XAB123456C'],
    ['glued to a word after', 'AB123456CD'],
  ])('ignores %s: %s', (_label, ni) => {
    expect(detectUkPii(`Number ${ni} on file`)).toEqual([]);
  });
});

describe('detectUkPii: postcodes', () => {
  it.each([
    ['A9 9AA', 'M1 1AE'],
    ['A99 9AA', 'B33 8TH'],
    ['A9A 9AA', 'W1A 0AX'],
    ['AA9 9AA', 'CR2 6XH'],
    ['AA99 9AA', 'DN55 1PT'],
    ['AA9A 9AA', 'EC1A 1BB'],
    ['Girobank', 'GIR 0AA'],
    ['no space', 'SW1A2AA'],
    ['lower case', 'sw1a 2aa'],
    ['HMRC non-geographic', 'BX9 1AS'],
    ['an inward code that looks like an ordinal, in capitals', 'M1 1ST'],
  ])('finds %s: %s', (_shape, postcode) => {
    const text = `Send it to the address ending ${postcode}, please.`;
    expect(detectUkPii(text)).toEqual([at(text, 'uk_postcode', postcode)]);
  });

  it.each([
    ['an outward code alone', 'Offices in SW1A and M1 are closed.'],
    ['a district', 'We cover the LS1 to LS29 districts.'],
    ['form numbers', 'Fill in form SA100, PIP2, DS1500, CH2, P45 and P60.'],
    ['roads', 'Traffic on the M25, the A1(M) and the M6 toll.'],
    ['a vehicle form', 'Keep your V5C logbook.'],
    ['an area that does not exist', 'Postcode XY1 1AA is not real, nor is QA1 1AA.'],
    ['an inward code with C, I, K, M, O or V', 'AB1 1CI and M1 1AO'],
    ['a postcode glued to more letters', 'Code M11AEX'],
    ['lower-case ordinals', 'Flat B2 3rd floor, then the M4 2nd exit and S1 1st left'],
    ['legislation', 'See SI 2013/376, regulation 35(1) and section 12(3)(a).'],
  ])('ignores %s', (_label, text) => {
    expect(detectUkPii(text)).toEqual([]);
  });
});

describe('detectUkPii: email addresses', () => {
  it.each([
    'jo.bloggs@example.gov.uk',
    "o'brien@example.com",
    'sam_oneill+benefits@example.co.uk',
    'CASEWORK@EXAMPLE.ORG',
  ])('finds %j', (email) => {
    const text = `Contact: '${email}'.`;
    expect(detectUkPii(text)).toEqual([at(text, 'email', email)]);
  });

  it.each([
    ['no domain dot', 'user@localhost'],
    ['a handle', 'Follow @GOVUK for updates'],
    ['no local part', 'write to @example.com'],
  ])('ignores %s', (_label, text) => {
    expect(detectUkPii(text)).toEqual([]);
  });

  it('reports a postcode-like local part as part of the email, not as a postcode', () => {
    const text = 'Mail sw1a1aa@example.com';
    expect(detectUkPii(text)).toEqual([at(text, 'email', 'sw1a1aa@example.com')]);
    expect(detectUkPii(text, { kinds: ['uk_postcode'] })).toEqual([]);
  });
});

describe('detectUkPii: phone numbers', () => {
  it.each([
    '020 7946 0958',
    '(0161) 496 0000',
    '0161-496-0000',
    '+44 7700 900123',
    '+447700900123',
    '07700900123',
    '07700 900 123',
    '+44 (0)20 7946 0958',
    '0044 20 7946 0958',
    '+44 0113 496 0000',
    '0300 123 4567',
    '0808 157 0192',
    '0800 123 456',
    '01632 960123',
  ])('finds %j', (phone) => {
    const text = `Call ${phone} today.`;
    expect(detectUkPii(text)).toEqual([at(text, 'uk_phone', phone)]);
  });

  it.each([
    ['a date', 'Due 12/03/2024 or 2024-03-12 or 01-02-2024'],
    ['money', 'You owe £1,234.56 (was £0.50, now £01,234)'],
    ['times', 'Open 09:30 to 17:00, or 9.30am to 5pm'],
    ['6 to 8 digit references', 'References 012345, 0123456, 01234567 and 12345678'],
    ['an NHS number', 'NHS number 943 476 5919'],
    ['too few digits for an 02 number', 'Dial 020 7946 095'],
    ['too many digits for a mobile', 'Dial 07700 9001234'],
    ['a US number', 'Dial +1 202 555 0100'],
    ['a version number', 'Version 0.12.3456'],
    ['a sort code and account', 'Sort code 01-23-45 account 01234567'],
  ])('ignores %s', (_label, text) => {
    expect(detectUkPii(text, { kinds: ['uk_phone'] })).toEqual([]);
  });

  it.each([
    ['07700 900123', true],
    ['+44 20 7946 0958', true],
    ['016977 3456', true], // a 10-digit geographic number
    ['0207 946 095', false],
    ['0607 946 0958', false], // no 06 numbers
    ['+44 9434 765919', false],
  ])('isUkPhoneNumber(%j) → %s', (candidate, expected) => {
    expect(isUkPhoneNumber(candidate)).toBe(expected);
  });
});

describe('detectUkPii on realistic text', () => {
  it('finds every identifier in a caseworker letter, and nothing else', () => {
    const letter = [
      'Dear Ms Okafor,',
      '',
      'Thank you for your letter of 4 March 2024 about your Personal Independence Payment (PIP) claim.',
      'Your reference number is 10293847 and your National Insurance number is JG 10 37 59 A.',
      '',
      'We have written to your GP at Riverside Surgery, 12 High Street, Leeds LS1 4AP, and asked for',
      'your medical records under NHS number 401 023 2137. We paid £182.90 on 28/03/2024.',
      '',
      'If you have questions, call us on 0113 496 0000 (Monday to Friday, 8am to 6pm) or email',
      'pip.casework@example.gov.uk. Please quote reference PIP/2024/118273 and form PIP2.',
      '',
      'Yours sincerely,',
      'A. Patel, Case Manager',
    ].join('\n');

    expect(detectUkPii(letter)).toEqual([
      at(letter, 'ni_number', 'JG 10 37 59 A'),
      at(letter, 'uk_postcode', 'LS1 4AP'),
      at(letter, 'nhs_number', '401 023 2137'),
      at(letter, 'uk_phone', '0113 496 0000'),
      at(letter, 'email', 'pip.casework@example.gov.uk'),
    ]);
  });

  it('finds every identifier in a web-chat transcript', () => {
    const chat = [
      '[14:02] Citizen: hi my nhs no is 4505577104 and my mobile is 07700 900 123',
      "[14:02] Assistant: Thanks. I can't see your records, but I can explain how to update your details.",
      "[14:03] Citizen: ok my email is sam_o'neill+benefits@example.co.uk and i live at flat 3, 22 Mill Road, m1 1ae",
      "[14:04] Citizen: my partner's NI is pX 12 34 56 d? and my card is 4929 1234 5678 9012 lol",
      "[14:05] Assistant: Please don't share card details here. Claim reference 2024-118-273 is noted.",
    ].join('\n');

    expect(detectUkPii(chat)).toEqual([
      at(chat, 'nhs_number', '4505577104'),
      at(chat, 'uk_phone', '07700 900 123'),
      at(chat, 'email', "sam_o'neill+benefits@example.co.uk"),
      at(chat, 'uk_postcode', 'm1 1ae'),
      at(chat, 'ni_number', 'pX 12 34 56 d'),
    ]);
  });

  it('leaves dates, amounts, form numbers, legislation and references in a GOV.UK-style answer alone', () => {
    const answer = [
      "## Claiming Carer's Allowance",
      '',
      'You could get £81.90 a week if you care for someone at least 35 hours a week. From 8 April 2024',
      'the earnings limit is £151 a week (£7,852 a year).',
      '',
      '1. Fill in form DS700 (or DS700(SP) if you get a State Pension).',
      "2. Send it to Carer's Allowance Unit, Mail Handling Site A, Wolverhampton WV98 2AB.",
      '3. Self Assessment customers also need form SA100; PIP claimants may be sent form PIP2.',
      '',
      'The rules are in the Social Security Contributions and Benefits Act 1992, section 70, and the',
      'Social Security (Invalid Care Allowance) Regulations 1976 (SI 1976/409), regulation 8(1).',
      '',
      "Call the Carer's Allowance Unit on 0808 157 0192 (textphone 0808 157 0193), Monday to Thursday",
      '8.30am to 5pm. Calls made between 12/03/2024 and 15/03/2024 were recorded.',
      'Payment reference 7730219, case number 20240312, version 2.0.1.',
    ].join('\n');

    expect(detectUkPii(answer)).toEqual([
      at(answer, 'uk_postcode', 'WV98 2AB'),
      at(answer, 'uk_phone', '0808 157 0192'),
      at(answer, 'uk_phone', '0808 157 0193'),
    ]);
  });

  it('reports only the kinds asked for', () => {
    const text = 'Jo (AB123456C) lives at M1 1AE; call 07700 900123 or mail jo@example.com.';
    expect(kindsAndMatches(text, ['uk_phone', 'email'])).toEqual([
      ['uk_phone', '07700 900123'],
      ['email', 'jo@example.com'],
    ]);
    expect(kindsAndMatches(text, [])).toEqual([]);
    expect(kindsAndMatches(text)).toEqual([
      ['ni_number', 'AB123456C'],
      ['uk_postcode', 'M1 1AE'],
      ['uk_phone', '07700 900123'],
      ['email', 'jo@example.com'],
    ]);
  });

  it('returns nothing for empty text', () => {
    expect(detectUkPii('')).toEqual([]);
  });
});

describe('detectUkPii on many findings', () => {
  // Fragments whose findings overlap another kind's (a postcode-like local part in an email, digits that are
  // both phone- and NHS-shaped), so the priority between kinds is decided over and over in one text.
  const FRAGMENTS = [
    'sw1a1aa@example.com',
    'LS1 4AP',
    '401 023 2137',
    '0113 496 0000',
    'JG 10 37 59 A',
    'pip.casework@example.gov.uk',
    '020 7946 0958',
    'ls1 4ap@example.org',
    'no identifier here',
    '£182.90 on 28/03/2024',
    '07700 900123',
    'M1 1AE',
  ];

  /** A deterministic pseudo-random sequence (no flakiness, and a failure can be replayed). */
  const random = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  it('finds in one long text exactly what it finds in each of its parts alone', () => {
    const next = random(7);
    const separator = ' | ';
    for (let round = 0; round < 20; round += 1) {
      const parts = Array.from({ length: 300 }, () => FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]);
      const expected: PiiFinding[] = [];
      let offset = 0;
      for (const part of parts) {
        expected.push(...detectUkPii(part).map((f) => ({ ...f, index: f.index + offset })));
        offset += part.length + separator.length;
      }
      expect(detectUkPii(parts.join(separator))).toEqual(expected);
    }
  });

  it('counts 200,000 findings in one text in time linear in them (checking each against every earlier one took minutes)', () => {
    const findings = detectUkPii('a@b.co '.repeat(200_000));
    expect(findings).toHaveLength(200_000);
    expect(findings.at(-1)).toEqual({ kind: 'email', match: 'a@b.co', index: 7 * 199_999 });
  }, 60_000);
});

describe('detectUkPii: phone numbers listed with single spaces', () => {
  it('finds each number, though the two read as one candidate of too many digits', () => {
    const text = 'Call 07700 900123 07700 900456 now, or 0113 496 0000 0161 496 0000.';
    expect(detectUkPii(text)).toEqual([
      at(text, 'uk_phone', '07700 900123'),
      at(text, 'uk_phone', '07700 900456'),
      at(text, 'uk_phone', '0113 496 0000'),
      at(text, 'uk_phone', '0161 496 0000'),
    ]);
  });

  it('does not cut a number off a hyphenated run (a reference, a date), as the pattern never reads those', () => {
    expect(detectUkPii('Ref 07700-900123-07700', { kinds: ['uk_phone'] })).toEqual([]);
  });
});
