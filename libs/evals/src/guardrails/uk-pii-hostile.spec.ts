import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectUkPii } from './uk-pii';

/**
 * Round five of the hostile review, on the UK personal-data detector (every live prompt, completion and
 * feedback note goes through it whole, before it is cut): a megabyte of each shape its patterns read
 * (long runs of digits, letters, dots, @, spaces, hyphens, parentheses, and the pieces of each kind) is
 * answered, with the findings it holds and no others. The time each shape takes is measured outside the
 * suite (no timed assertions here); these pin what is found, so a change that speeds the patterns up
 * cannot quietly change what they find.
 */

const MB = 1 << 20;
/** `unit` repeated to a megabyte (cut there). */
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

describe('detectUkPii on a megabyte of one hostile shape', () => {
  const nothing: [string, string][] = [
    ['digits', fill('1')],
    ['digits and spaces', fill('1 ')],
    ['groups of three digits', fill('123 ')],
    ['digits and hyphens', fill('12-')],
    ['lower-case letters', fill('a')],
    ['upper-case letters', fill('A')],
    ['dots', fill('.')],
    ['at signs', fill('@')],
    ['spaces', fill(' ')],
    ['hyphens', fill('-')],
    ['opening parentheses', fill('(')],
    ['"(0"', fill('(0')],
    ['"+44 "', fill('+44 ')],
    ['"0044"', fill('0044')],
    ['a local part of dotted letters, never an @', fill('a.')],
    ['"a@" over and over', fill('a@')],
    ['a domain of hyphens after one @', `a@${fill('a-')}`],
    ['a domain of labels without a top-level domain', `a@${fill('a1.')}`],
    ['letters and dots', fill('ab.')],
    ['local-part symbols', fill('a%+-')],
    ['outward codes without inward codes', fill('SW1A')],
    ['phone-shaped groups, too long to be a number', fill(' 123')],
    ['a trunk 0 and a megabyte of digits', `0${fill('1')}`],
    ['NHS-shaped numbers with a wrong check digit', fill('943 476 5918 ')],
    ['digits and dots', fill('1.')],
    ['a mixture of every separator', fill('a.1@-(0')],
  ];
  it.each(nothing)('%s: nothing', (_, text) => {
    expect(detectUkPii(text)).toEqual([]);
  });

  it.each([
    ['e-mail addresses', 'a@b.co ', 'email', 'a@b.co'],
    ['postcodes', 'SW1A 1AA ', 'uk_postcode', 'SW1A 1AA'],
    ['National Insurance numbers', 'AB123456C ', 'ni_number', 'AB123456C'],
    ['NHS numbers', '943 476 5919 x ', 'nhs_number', '943 476 5919'],
    ['mobile numbers, one to a line', '07700 900123\n', 'uk_phone', '07700 900123'],
  ])('a megabyte of %s: each one, in order, of one kind', (_, unit, kind, match) => {
    const count = Math.floor(MB / unit.length);
    const text = unit.repeat(count);
    const found = detectUkPii(text);
    expect(found).toHaveLength(count);
    expect(new Set(found.map((f) => f.kind))).toEqual(new Set([kind]));
    expect(found.every((f, i) => f.index === i * unit.length && f.match === match)).toBe(true);
  });
});

describe('detectUkPii: the e-mail pattern is linear on apostrophes', () => {
  // A match may start just after an apostrophe ('jo@example.com'), so before the local part was bounded
  // (64 characters, checked first) every run of "a'a'a'…" was read to its end from each of its letters:
  // 64 KB took 3 s of the event loop, a megabyte about 13 minutes. Scanned in a child process with a
  // deadline: a synchronous regular expression would block Jest's own timeout, and the suite with it.
  const JITI = join(__dirname, '../../../../node_modules/jiti/lib/jiti-cli.mjs');
  const scanInChild = (unit: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'uk-pii-'));
    try {
      const script = join(dir, 'scan.ts');
      writeFileSync(
        script,
        `import { detectUkPii } from ${JSON.stringify(join(__dirname, 'uk-pii'))};\n` +
          `process.stdout.write(String(detectUkPii(${JSON.stringify(unit)}.repeat(1 << 19)).length));\n`,
      );
      return spawnSync(process.execPath, [JITI, script], { timeout: 60_000, encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.each(["a'", "'a", "1'", "%'"])(
    'a megabyte of %s holds no address and is answered',
    (unit) => {
      const child = scanInChild(unit);
      expect({ signal: child.signal, found: child.stdout }).toEqual({ signal: null, found: '0' });
    },
    120_000,
  );

  it("still finds o'brien-style addresses, and one right after an apostrophe", () => {
    expect(
      detectUkPii("Write to o'brien@example.com or x'y'z@example.org, or 'jo@example.com'.").map(
        (f) => f.match,
      ),
    ).toEqual(["o'brien@example.com", "x'y'z@example.org", 'jo@example.com']);
  });

  it('does not read a local part longer than 64 characters (RFC 5321) as an address', () => {
    expect(detectUkPii(`${'a'.repeat(64)}@example.com`).map((f) => f.match)).toEqual([
      `${'a'.repeat(64)}@example.com`,
    ]);
    expect(detectUkPii(`${'a'.repeat(65)}@example.com`)).toEqual([]);
  });
});
