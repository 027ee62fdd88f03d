/**
 * UK personal-data detector for model outputs and transcripts: NHS numbers, National Insurance numbers,
 * postcodes, email addresses and UK phone numbers. Tuned for few false positives on public-sector text
 * (dates, money, times, form numbers, legislation citations and case references are left alone).
 */

export type PiiKind = 'nhs_number' | 'ni_number' | 'uk_postcode' | 'email' | 'uk_phone';

export interface PiiFinding {
  kind: PiiKind;
  /** The text exactly as it appears in the input. */
  match: string;
  /** Where it starts in the input (a UTF-16 index, as `String.prototype.indexOf` counts). */
  index: number;
}

export const PII_KINDS: readonly PiiKind[] = ['nhs_number', 'ni_number', 'uk_postcode', 'email', 'uk_phone'];

// ---------------------------------------------------------------------------------------------------------
// NHS number: 10 digits, plain or 3-3-4 with one kind of separator, valid modulus-11 check digit.
// ---------------------------------------------------------------------------------------------------------

/**
 * Not part of a longer number: no letter, digit or `+` just before, no digit after one separator (that
 * excludes "+44 7700900123", "12 943 476 5919", "9434765919.5", card numbers and 12-digit references).
 * The first digit is never 0: a 10-digit number starting with 0 is a phone number shape.
 */
const NHS_NUMBER = /(?<![\w+])(?<!\d[ .,/:-])([1-9]\d{2})([ -]?)(\d{3})\2(\d{4})(?!\w|[ .,/:-]\d)/g;

/** Modulus 11: weights 10..2 over the first nine digits; check = 11 − (sum mod 11); 11 → 0; 10 is invalid. */
export const isValidNhsNumber = (digits: string): boolean => {
  if (!/^\d{10}$/.test(digits) || /^(\d)\1{9}$/.test(digits)) {
    // Repeated digits (1111111111…) pass the arithmetic but are placeholders, never issued numbers.
    return false;
  }
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    sum += Number(digits[i]) * (10 - i);
  }
  const check = 11 - (sum % 11);
  if (check === 10) {
    return false;
  }
  return (check === 11 ? 0 : check) === Number(digits[9]);
};

// ---------------------------------------------------------------------------------------------------------
// National Insurance number: HMRC format rules.
// ---------------------------------------------------------------------------------------------------------

/** First letter: not D, F, I, Q, U or V. */
const NI_FIRST = '[A-CEGHJ-PR-TW-Z]';
/** Second letter: not D, F, I, O, Q, U or V. */
const NI_SECOND = '[A-CEGHJ-NPR-TW-Z]';
/** Prefixes that are never allocated. */
const NI_UNALLOCATED = '(?!BG|GB|KN|NK|NT|TN|ZZ)';
/** Prefix, six digits (optionally spaced in pairs), suffix A–D; whole word, any case. */
const NI_NUMBER = new RegExp(
  String.raw`\b${NI_UNALLOCATED}${NI_FIRST}${NI_SECOND} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`,
  'gi',
);

// ---------------------------------------------------------------------------------------------------------
// UK postcode: full postcodes only, with the outward code starting with a real postcode area.
// ---------------------------------------------------------------------------------------------------------

/** The one-letter postcode areas (Birmingham, London E/N/W, Glasgow, Liverpool, Manchester, Sheffield). */
const ONE_LETTER_AREAS = ['B', 'E', 'G', 'L', 'M', 'N', 'S', 'W'];
/**
 * The two-letter postcode areas, the Crown dependencies (GY, JE, IM), British Forces (BF) and the
 * non-geographic BX used by HMRC and DWP ("BX9 1AS"). Requiring a real area avoids most model numbers.
 */
const TWO_LETTER_AREAS = (
  'AB AL BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY ' +
  'EC EH EN EX FK FY GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY LA LD LE LL LN LS LU ' +
  'ME MK ML NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM SA SE SG SK SL SM SN SO SP SR SS ST SW ' +
  'SY TA TD TF TN TQ TR TS TW UB WA WC WD WF WN WR WS WV YO ZE'
).split(' ');

/**
 * Outward code: A9, A99, A9A after a one-letter area (the third letter from ABCDEFGHJKPSTUW);
 * AA9, AA99, AA9A after a two-letter area (the fourth letter from ABEHMNPRVWXY).
 */
const OUTWARD_CODE =
  `(?:(?:${ONE_LETTER_AREAS.join('|')})(?:\\d[A-HJKPSTUW]|\\d{1,2})` +
  `|(?:${TWO_LETTER_AREAS.join('|')})(?:\\d[ABEHMNPRVWXY]|\\d{1,2}))`;
/** Inward code: a digit and two letters, never C, I, K, M, O or V. */
const INWARD_CODE = String.raw`\d[ABD-HJLNP-UW-Z]{2}`;
/** A full postcode (space optional) or Girobank's GIR 0AA, as a whole word in any case. */
const UK_POSTCODE = new RegExp(String.raw`\b(?:${OUTWARD_CODE} ?${INWARD_CODE}|GIR ?0AA)\b`, 'gi');

/** A lower-case ordinal is not an inward code: "Flat B2 3rd floor", "M4 2nd exit" (but "M1 1ST" is). */
const ENDS_WITH_ORDINAL = /\d(?:st|nd|rd|th)$/;

const isPostcodeMatch = (match: string): boolean => !ENDS_WITH_ORDINAL.test(match);

// ---------------------------------------------------------------------------------------------------------
// Email: pragmatic local@domain.tld.
// ---------------------------------------------------------------------------------------------------------

/**
 * Local part: letters, digits and _ % + - in runs joined by single dots or apostrophes (o'brien@…);
 * domain: dot-separated labels that do not start or end with a hyphen, then an alphabetic TLD. The local part
 * is at most 64 characters (RFC 5321), checked first by a bounded lookahead: a match may start just after an
 * apostrophe ('jo@example.com'), so without the bound every run of "a'a'a'…" was read to its end from each of
 * its letters (quadratic: 64 KB took 3 s, a megabyte minutes).
 */
const EMAIL =
  /(?<![\w.%+-])(?=[\w.'%+-]{1,64}@)[\w%+-]+(?:[.'][\w%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

// ---------------------------------------------------------------------------------------------------------
// UK phone number: a phone-shaped candidate, then a check of its prefix and digit count.
// ---------------------------------------------------------------------------------------------------------

/**
 * +44 / 0044 (optionally with "(0)" or a stray 0), a bracketed "(0161)" area code, or a trunk 0; then the
 * area or mobile prefix and one or two more groups separated by a space or hyphen. Not glued to a word,
 * a currency sign or a digit with a date/decimal separator; not followed by a digit or "/5", ".5", "-5".
 * Dates (12/03/2024), money (£1,234.56) and times (09:30) never have this shape.
 */
const PHONE_CANDIDATE =
  /(?<![\w+£$€#])(?<!\d[.,/:-])(?:(?:\+|00)44 ?(?:\(0\) ?|0)?|\(0|0)\d{2,5}\)?(?:[ -]?\d{3,6}){1,2}(?!\w|[.,/:-]\d)/g;

/**
 * The number in national form (leading 0): geographic 01 (10 or 11 digits) and 02 (11), non-geographic
 * 03 (11), mobile and personal 07 (11), freephone and special 08 (10 or 11).
 */
const UK_PHONE_NATIONAL = /^0(?:1\d{8,9}|2\d{9}|3\d{9}|7\d{9}|8\d{8,9})$/;

/** Turns a candidate into its national form: drops separators and swaps +44 / 0044 (and a stray 0) for 0. */
const nationalPhoneDigits = (candidate: string): string => {
  const digits = candidate.replace(/\D/g, '');
  const international = /^(?:\+|00)44/.test(candidate.trim());
  if (!international) {
    return digits;
  }
  const afterCountryCode = digits.replace(/^(?:00)?44/, '');
  return `0${afterCountryCode.replace(/^0/, '')}`;
};

export const isUkPhoneNumber = (candidate: string): boolean =>
  UK_PHONE_NATIONAL.test(nationalPhoneDigits(candidate));

// ---------------------------------------------------------------------------------------------------------

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  /** A further check on the matched text; absent means the pattern is enough. */
  accept?: (match: RegExpMatchArray) => boolean;
  /**
   * For a match `accept` refused: a shorter match at the same place to accept instead, or null. The scan
   * then goes on right after the shorter one (the rest of the refused match may hold another finding).
   */
  shorter?: (match: string) => string | null;
}

/**
 * A phone candidate without its last space-separated group, if it is then a UK number: two
 * numbers in a list ("07700 900123 07700 900456") are read as one candidate of too many digits, which only
 * its first groups make a number of.
 */
const shorterPhone = (candidate: string): string | null => {
  // A space only: a number followed by "-digits" is part of something else (the pattern's own rule).
  const cut = / \d{3,6}$/.exec(candidate);
  const rest = cut ? candidate.slice(0, cut.index) : null;
  return rest !== null && isUkPhoneNumber(rest) ? rest : null;
};

/** In priority order: when two findings overlap, the earlier detector wins (a postcode inside an email…). */
const DETECTORS: Detector[] = [
  { kind: 'email', pattern: EMAIL },
  {
    kind: 'nhs_number',
    pattern: NHS_NUMBER,
    accept: (m) => isValidNhsNumber(`${m[1] ?? ''}${m[3] ?? ''}${m[4] ?? ''}`),
  },
  { kind: 'ni_number', pattern: NI_NUMBER },
  {
    kind: 'uk_phone',
    pattern: PHONE_CANDIDATE,
    accept: (m) => isUkPhoneNumber(m[0]),
    shorter: shorterPhone,
  },
  { kind: 'uk_postcode', pattern: UK_POSTCODE, accept: (m) => isPostcodeMatch(m[0]) },
];

/**
 * Finds UK personal identifiers in `text`: NHS numbers (valid check digit only), National Insurance
 * numbers (HMRC prefix rules), full postcodes, email addresses and UK phone numbers.
 *
 * Findings are returned in text order and never overlap: every kind is detected, an overlap keeps the
 * higher-priority kind (email, NHS number, NI number, phone, postcode), and only then is the list
 * filtered to `options.kinds` — so a postcode-like run inside an email is not reported as a postcode
 * even when only postcodes are asked for.
 */
export const detectUkPii = (text: string, options: { kinds?: PiiKind[] } = {}): PiiFinding[] => {
  const wanted = new Set<PiiKind>(options.kinds ?? PII_KINDS);
  // The spans earlier detectors claimed, in text order and never overlapping. A detector's matches also come
  // in text order, so each is checked against the claims by one forward sweep and the two lists are merged
  // afterwards: linear in the findings (checking each against every claim made a text of 80,000 short email
  // addresses, 560 KB, take 5 s of the event loop).
  let claimed: Span[] = [];
  const findings: PiiFinding[] = [];
  for (const { kind, pattern, accept, shorter } of DETECTORS) {
    const added: Span[] = [];
    let next = 0;
    // exec, not matchAll: a shorter match accepted instead moves the scan back to its end.
    const scan = new RegExp(pattern.source, pattern.flags);
    for (let m = scan.exec(text); m !== null; m = scan.exec(text)) {
      if (m[0].length === 0) {
        scan.lastIndex += 1;
        continue;
      }
      const start = m.index;
      let match = m[0];
      if (accept && !accept(m)) {
        const instead = shorter?.(match) ?? null;
        if (instead === null) {
          continue;
        }
        match = instead;
        scan.lastIndex = start + match.length;
      }
      const end = start + match.length;
      while (next < claimed.length && claimed[next].end <= start) {
        next += 1;
      }
      if (next < claimed.length && claimed[next].start < end) {
        continue; // overlaps a claim of a higher-priority kind
      }
      added.push({ start, end });
      findings.push({ kind, match, index: start });
    }
    claimed = mergeSpans(claimed, added);
  }
  return findings.filter((f) => wanted.has(f.kind)).sort((a, b) => a.index - b.index);
};

interface Span {
  start: number;
  end: number;
}

/** Two lists of spans, each in text order and none overlapping another, as one list in text order. */
function mergeSpans(a: Span[], b: Span[]): Span[] {
  if (b.length === 0) {
    return a;
  }
  const merged: Span[] = new Array<Span>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < merged.length; k += 1) {
    merged[k] = j >= b.length || (i < a.length && a[i].start < b[j].start) ? a[i++] : b[j++];
  }
  return merged;
}
