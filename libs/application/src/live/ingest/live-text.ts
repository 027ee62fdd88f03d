import { LIVE_LIMITS } from '@gatehouse/domain';
import { detectUkPii } from '@gatehouse/evals';

/** A prompt, completion or note once minimised: what may be stored of it, and what was found in it. */
export interface MinimisedText {
  /** The full length as received (kept after the text is deleted; drift reads it). */
  chars: number;
  /** UK personal data found in the full text, by kind. */
  piiFound: Record<string, number>;
  /** The text with each finding replaced by `[kind]` when `redact`, cut at `maxChars`; null when there was none. */
  text: string | null;
}

/**
 * Minimises text before it is stored: UK personal data (NHS and National Insurance numbers, postcodes,
 * e-mail addresses, phone numbers) is counted on the whole text, replaced by `[kind]` when the use case
 * redacts, and the result is cut at `maxChars`. Redaction comes before the cut, so a finding that
 * straddles the cut is never half kept.
 */
export function minimiseText(
  text: string | null,
  redact: boolean,
  maxChars: number = LIVE_LIMITS.maxTextChars,
): MinimisedText {
  if (text === null || text === '') {
    return { chars: 0, piiFound: {}, text: null };
  }
  const findings = detectUkPii(text);
  const piiFound: Record<string, number> = {};
  for (const finding of findings) {
    piiFound[finding.kind] = (piiFound[finding.kind] ?? 0) + 1;
  }
  let kept = text;
  if (redact && findings.length > 0) {
    const pieces: string[] = [];
    let from = 0;
    for (const finding of findings) {
      pieces.push(text.slice(from, finding.index), `[${finding.kind}]`);
      from = finding.index + finding.match.length;
    }
    pieces.push(text.slice(from));
    kept = pieces.join('');
  }
  return { chars: text.length, piiFound, text: kept.slice(0, maxChars) };
}
