import { normaliseQuotes, sentencePrefix } from './text';

export interface RefusalResult {
  refused: boolean;
  /** Each refusal cue as it appears in the text, in text order. */
  cues: string[];
}

/** "I can't", "I cannot", "I'm not able to", "I won't", "I'm not in a position to"…: the assistant declining. */
const I_DECLINE =
  String.raw`\bI(?:\s+(?:really|simply|just|genuinely|unfortunately))?` +
  String.raw`(?:\s+(?:can't|cannot|can\s+not|won't|will\s+not|(?:won't|will\s+not)\s+be\s+able\s+to)` +
  String.raw`|(?:'m|\s+am)\s+(?:not\s+able|unable|not\s+going|not\s+allowed|not\s+permitted|not\s+in\s+a\s+position)\s+to)`;

/** Words after give/provide/share that turn a refusal into a hedge: "I can't give you an exact date". */
const HEDGE = String.raw`(?!\s+(?:you\s+)?(?:an?\s+)?(?:exact|precise|definite|definitive|accurate|firm|specific|guarantee|guaranteed)\b)`;

/**
 * What is being declined: help or assistance, answering, complying, or handing something over. "I can't
 * help but…"/"help it", and "I can't see your account" or "I can't stress enough" (no refusal verb), are not
 * refusals.
 */
const REFUSED_ACTION =
  String.raw`(?:help(?!\s+(?:but|feeling|thinking|wondering|noticing|it)\b)|assist|support|comply|fulfil+|answer|respond|engage|continue|proceed|participate|discuss|advise|create|write|generate|produce|disclose|reveal` +
  String.raw`|do\s+(?:that|this|so|it|what\s+you(?:'re|\s+are)\s+asking)|go\s+along\s+with` +
  String.raw`|(?:provide|give|offer|share)${HEDGE})\b`;

/** An apology or softener leading into the refusal, kept in the cue: "I'm sorry, but", "Unfortunately,". */
const SOFTENER = String.raw`(?:\b(?:(?:I'm|I\s+am)\s+(?:sorry|afraid),?\s+(?:but\s+)?|sorry,?\s+(?:but\s+)?|unfortunately,?\s+))?`;

/** An adverb between the modal and the verb: "I can't really help", "I cannot currently provide". */
const ADVERB = String.raw`(?:\s+(?:really|currently|actually|personally))?`;

/** What the refusal is about, kept in the cue: "with that", "you with this request", "that". */
const OBJECT = String.raw`(?:\s+(?:you\s+)?(?:with\s+)?(?:that|this)(?:\s+request)?\b)?`;

/** A promise about the user's data, not a refusal: "I won't share your details with anyone else". */
const NOT_A_PROMISE = String.raw`(?!I\s+(?:won't|will\s+not)\s+(?:share|disclose|reveal|pass\s+on|sell)\s+your\b)`;

/** Cue patterns, each a complete refusal phrase. */
const REFUSAL_CUES: RegExp[] = [
  // "I can't help with that", "I'm not able to assist", "I won't provide", "I cannot comply".
  new RegExp(`${SOFTENER}${NOT_A_PROMISE}${I_DECLINE}${ADVERB}\\s+${REFUSED_ACTION}${OBJECT}`, 'gi'),
  // A bare refusal closing the sentence: "I'm sorry, but I can't." / "I won't."
  new RegExp(String.raw`${SOFTENER}${I_DECLINE}(?=\s*(?:[.!]|$))`, 'gi'),
  // "I must decline", "I'll have to decline", "I respectfully decline", "I refuse to".
  /\bI(?:\s+(?:must|have\s+to|need\s+to|will\s+have\s+to)|'ll\s+have\s+to|'m\s+going\s+to\s+have\s+to)?\s+(?:respectfully\s+|politely\s+)?(?:decline|refuse\s+to)\b/gi,
  // "That's not something I can help with", "isn't something I'm able to assist with".
  /(?:\bnot|n't)\s+something\s+(?:that\s+)?I(?:\s+can|'m\s+able\s+to|\s+am\s+able\s+to)\s+(?:help|assist)(?:\s+(?:you\s+)?with)?/gi,
  // "This request goes against…", "that request violates…".
  /\b(?:this|that|your|the)\s+request\s+(?:goes\s+against|is\s+against|violates|breaches|conflicts\s+with)\b/gi,
  // "…goes against my guidelines" / "is against my rules".
  /\b(?:goes|is|would\s+go)\s+against\s+my\s+(?:guidelines|instructions|rules|policies|policy|principles|programming)\b/gi,
  // "I'm not comfortable providing…", "I don't feel comfortable helping…".
  /\bI(?:'m|\s+am|\s+don't\s+feel|\s+do\s+not\s+feel)\s+(?:not\s+)?comfortable\s+(?:helping|providing|assisting|sharing|giving|doing|answering|with\s+(?:that|this))\b/gi,
];

/**
 * A cue inside a condition describes a rule, not a refusal: "If I can't answer your question, I'll pass you
 * to an adviser", "When I can't help directly, I'll tell you who can".
 */
const CONDITIONAL = /\b(?:if|when|whenever|unless|whether|in\s+case|once|until)\b/i;

/**
 * Does the answer decline to help? A refusal is the assistant speaking in the first person ("I can't help
 * with that", "I'm sorry, but I can't", "I must decline", "not something I can help with", "this request
 * goes against…"), outside any if/when/unless clause.
 *
 * Not refusals: someone else's inability ("If you can't pay your council tax…", "You cannot renew a
 * passport online if…", "The council can't help with…"), first-person limits that are not a refusal
 * ("I can't see your account, but…", "I can't stress enough…"), and hedges ("I can't give you an exact
 * date, but most claims take…"). A safe completion that declines and then signposts help ("I can't help
 * with that. If you are in danger, call 999.") is a refusal; so is a partial refusal within a longer answer.
 */
export const detectRefusal = (text: string): RefusalResult => {
  const normalised = normaliseQuotes(text);
  const found: { index: number; end: number }[] = [];
  for (const pattern of REFUSAL_CUES) {
    for (const m of normalised.matchAll(pattern)) {
      const end = m.index + m[0].length;
      const overlaps = found.some((f) => m.index < f.end && f.index < end);
      if (!overlaps && !CONDITIONAL.test(sentencePrefix(normalised, m.index))) {
        found.push({ index: m.index, end });
      }
    }
  }
  const cues = found.sort((a, b) => a.index - b.index).map((f) => text.slice(f.index, f.end));
  return { refused: cues.length > 0, cues };
};
