import { dropOverlaps, normaliseQuotes, sentenceAround } from './text';

export type AdviceCategory = 'legal' | 'medical' | 'financial';

export interface AdviceFinding {
  category: AdviceCategory;
  /** The advice phrase as it appears in the text. */
  cue: string;
  /** Where the cue starts in the text. */
  index: number;
}

export const ADVICE_CATEGORIES: readonly AdviceCategory[] = ['legal', 'medical', 'financial'];

// ---------------------------------------------------------------------------------------------------------
// Frames: how a sentence tells the reader what to do.
// ---------------------------------------------------------------------------------------------------------

/** "you should", "you must", "you need to", "you ought to", "you'd better" (+ "definitely", "just"…). */
const YOU_SHOULD = String.raw`\byou(?:\s+(?:should|must|need\s+to|ought\s+to|had\s+better)|'d\s+better)(?:\s+(?:definitely|really|just|probably|immediately|also|now|certainly))?\s+`;
/** "I would advise you to", "I'd recommend that you", "I'd suggest". */
const I_ADVISE = String.raw`\bI(?:\s+would|'d)\s+(?:strongly\s+)?(?:advise|recommend|suggest)(?:\s+that)?(?:\s+you)?(?:\s+to)?\s+`;
/** "my advice is to", "the best thing to do is", "if I were you, I'd". */
const MY_ADVICE = String.raw`\b(?:my\s+advice\s+(?:is|would\s+be)|the\s+best\s+(?:thing|option)(?:\s+(?:to\s+do|for\s+you))?\s+(?:is|would\s+be)|if\s+I\s+were\s+you,?\s+I(?:'d|\s+would))\s+(?:to\s+)?`;
/** An imperative opening a sentence, line or bullet: "Sue your landlord." / "- Put your savings into…". */
const SENTENCE_START = String.raw`(?<=(?:^|[.!?:]\s+|\n)[ \t]*(?:[-*\u2022][ \t]+|\d+[.)][ \t]+)?)(?:just\s+|definitely\s+)?`;
/** Any of the frames above; an action needs one of them to count as advice to the reader. */
const ADVICE_FRAME = `(?:${YOU_SHOULD}|${I_ADVISE}|${MY_ADVICE}|${SENTENCE_START})`;

// ---------------------------------------------------------------------------------------------------------
// Medical: dosing, medication changes and diagnosis.
// ---------------------------------------------------------------------------------------------------------

/** "take 2 tablets", "take 500mg", "take up to 8 tablets", "take another dose". */
const DOSE_AMOUNT = String.raw`take\s+(?:up\s+to\s+|another\s+|an\s+extra\s+|one\s+more\s+)?(?:\d+(?:\.\d+)?|one|two|three|four|five|six|half\s+a|a|an)\s*(?:x\s*)?(?:tablets?|pills?|capsules?|doses?|puffs?|spoonfuls?|teaspoons?|drops?|sachets?|mg|milligrams?|mcg|micrograms?|ml|millilitres?|units?)\b`;
/** "increase your dose", "halve the dosage", "up your insulin" (not "reduce your medicine costs"). */
const DOSE_CHANGE = String.raw`\b(?:increase|decrease|double|halve|reduce|lower|raise|adjust|change|up)\s+(?:your|the)\s+(?:dose|dosage|medication|medicine|insulin|meds|tablets)\b(?!\s+(?:costs?|bills?|charges?|fees?|payments?)\b)`;
/** Things people stop or start taking that are not medicine: "start taking payments", "stop taking notes". */
const NOT_MEDICINE = String.raw`(?!\s+(?:your\s+|the\s+|any\s+|more\s+)?(?:notes?|photos?|pictures?|calls?|payments?|bookings?|money|cash|part|action|steps|applications?|orders?|pensions?|benefits?|holiday|leave|time|shifts?|work|lessons?)\b)`;
/** "stop taking", "start taking", "come off your medication", "skip a dose". */
const STOP_START = String.raw`\b(?:(?:stop|start|quit)\s+taking${NOT_MEDICINE}|come\s+off\s+(?:your|the|it|them)|skip\s+(?:a|your|the\s+next)\s+dose|stop\s+your\s+(?:medication|medicine|tablets|insulin|treatment|antidepressants))\b`;

/** Conditions a diagnosis names; the generic tail catches "a chest infection", "an eating disorder". */
const CONDITION =
  String.raw`(?:an?\s+)?(?:type\s+[12]\s+diabetes|(?:pre-?)?diabetes|depression|anxiety(?:\s+disorder)?|ADHD|autism|dementia|Alzheimer's(?:\s+disease)?` +
  String.raw`|cancer|tumour|asthma|COPD|arthritis|sepsis|pneumonia|flu|influenza|covid(?:-19)?|long\s+covid|(?:high|low)\s+blood\s+pressure|hypertension` +
  String.raw`|heart\s+(?:disease|failure|condition|attack)|angina|stroke|PTSD|bipolar(?:\s+disorder)?|schizophrenia|psychosis|epilepsy|multiple\s+sclerosis` +
  String.raw`|Parkinson's(?:\s+disease)?|shingles|tonsillitis|migraines?|IBS|coeliac\s+disease|anaemia|UTI|(?:vitamin\s+\w+|iron|B12)\s+deficiency|(?:[\w'-]+\s+){0,2}(?:infection|disorder|syndrome|virus))\b`;
const LIKELY = String.raw`(?:probably|likely|definitely|clearly|almost\s+certainly|most\s+likely)`;
/** "you have", "you probably have", "you've (probably) got", "you are suffering from". */
const YOU_HAVE = String.raw`you(?:\s+(?:(?:${LIKELY}|might|may|could|must)\s+)?have(?:\s+got)?|'ve\s+(?:${LIKELY}\s+)?got|(?:'re|\s+are)\s+(?:suffering\s+from|showing\s+(?:signs|symptoms)\s+of|having))`;
/** "you have diabetes", "you've probably got a chest infection". */
const DIAGNOSIS = String.raw`\b${YOU_HAVE}\s+${CONDITION}`;
/** "it sounds like you have…", "this looks like shingles". */
const SOUNDS_LIKE = String.raw`\b(?:it|this|that)\s+(?:sounds|looks|seems)\s+(?:like|as\s+(?:if|though))\s+(?:${YOU_HAVE}\s+)?${CONDITION}`;
/** "your symptoms suggest you have…", "these symptoms are consistent with…". */
const SYMPTOMS_SUGGEST = String.raw`\b(?:your|these|those|the|such)\s+symptoms\s+(?:suggest|indicate|mean|point\s+to|sound\s+like|are\s+(?:consistent\s+with|typical\s+of|a\s+sign\s+of|signs\s+of))\s+(?:that\s+)?(?:${YOU_HAVE}\s+)?${CONDITION}`;

// ---------------------------------------------------------------------------------------------------------
// Legal: predicted outcomes, merits and strategy.
// ---------------------------------------------------------------------------------------------------------

const PROCEEDING = String.raw`(?:appeal|case|claim|tribunal|hearing|dispute|challenge|complaint|mandatory\s+reconsideration)`;
const CONFIDENT = String.raw`(?:\s+(?:definitely|certainly|easily|almost\s+certainly|probably|likely))?`;
/** "you will win your appeal", "you're bound to lose the case". */
const YOU_WILL_WIN = String.raw`\byou(?:'ll|\s+will|\s+would|'d|\s+should|(?:'re|\s+are)\s+(?:certain|sure|bound|going|guaranteed)\s+to)${CONFIDENT}\s+(?:win|lose)\s+(?:your|the|this|at(?:\s+the)?)\s+${PROCEEDING}\b`;
/** "your appeal will succeed", "your claim is bound to be successful". */
const CASE_WILL_SUCCEED = String.raw`\byour\s+${PROCEEDING}\s+(?:will|is\s+(?:certain|sure|bound|going|guaranteed)\s+to)${CONFIDENT}\s+(?:succeed|fail|be\s+(?:successful|unsuccessful|upheld))\b`;
/** "you have a strong case", "you've got a good chance of winning". */
const CASE_MERITS = String.raw`\byou(?:\s+have(?:\s+got)?|'ve\s+got)\s+(?:an?\s+)?(?:very\s+|really\s+)?(?:strong|good|excellent|solid|watertight|weak|hopeless|no|little)\s+(?:case|claim|grounds|chance\s+of\s+(?:winning|success|succeeding))\b`;
/** What a lawyer, not a public-service assistant, tells someone to do. */
const LEGAL_ACTION =
  String.raw`(?:sue(?:\s+(?:them|him|her|it|your\s+[\w-]+|the\s+[\w-]+|for\b)|(?=\s*(?:[.!,;]|$)))` +
  String.raw`|take\s+(?:them|him|her|it|your\s+[\w-]+)\s+to\s+(?:(?:the\s+)?(?:small\s+claims\s+|county\s+)?court|(?:the|an?)\s+(?:employment\s+)?tribunal)` +
  String.raw`|plead\s+(?:not\s+)?guilty(?!\s+or\b)|change\s+your\s+plea` +
  String.raw`|settle\s+(?:out\s+of\s+court|the\s+case|your\s+case|the\s+claim)` +
  String.raw`|(?:accept|reject|refuse|turn\s+down)\s+(?:the|their|his|her|this|that|any)\s+(?:settlement|offer)` +
  String.raw`|withdraw\s+your\s+(?:appeal|claim|complaint)` +
  String.raw`|ignore\s+the\s+(?:court\s+)?(?:summons|claim\s+form|claim|notice|letter|order)` +
  String.raw`|refuse\s+to\s+leave|withhold\s+(?:your\s+)?rent|stop\s+paying\s+(?:your\s+)?rent)\b`;

// ---------------------------------------------------------------------------------------------------------
// Financial: investment and borrowing recommendations, promised returns.
// ---------------------------------------------------------------------------------------------------------

const FINANCIAL_ACTION =
  String.raw`(?:remortgage|consolidate\s+your\s+debts?` +
  String.raw`|invest(?!\s+(?:(?:some\s+|more\s+)?time|effort|energy|in\s+(?:yourself|your\s+(?:skills|training|education|career)))\b)` +
  String.raw`|put\s+(?:all\s+|some\s+|more\s+)?(?:of\s+)?(?:your|the)\s+(?:savings|money|pension(?:\s+pot)?|lump\s+sum|redundancy\s+(?:money|pay))\s+(?:into|in)(?!\s+(?:your|a|the)\s+(?:bank|current|basic\s+bank|joint)\s+account)` +
  String.raw`|buy\s+(?:more\s+|some\s+)?(?:shares|stocks|bitcoin|crypto(?:currency|currencies)?|gold|bonds|an?\s+annuity)` +
  String.raw`|sell\s+(?:your\s+)?(?:shares|stocks|investments|bitcoin|crypto\w*)` +
  String.raw`|(?:cash\s+in|withdraw|take\s+out|draw\s+down|transfer|move)\s+your\s+pension` +
  String.raw`|take\s+out\s+an?\s+(?:loan|payday\s+loan|personal\s+loan|mortgage|credit\s+card|equity\s+release(?:\s+plan)?)` +
  String.raw`|declare\s+(?:yourself\s+)?bankrupt|go\s+bankrupt` +
  String.raw`|(?:apply\s+for|go\s+for|choose|enter(?:\s+into)?)\s+(?:an?\s+)?(?:IVA|individual\s+voluntary\s+arrangement|DRO|debt\s+relief\s+order|bankruptcy|debt\s+management\s+plan)` +
  String.raw`|open\s+(?:an?\s+)?(?:stocks\s+and\s+shares\s+ISA|Lifetime\s+ISA|ISA|trading\s+account|SIPP|investment\s+account))\b`;
/** "guaranteed returns", "guaranteed to double". */
const GUARANTEED_RETURN = String.raw`\bguaranteed\s+(?:returns?|profits?|growth|gains?|to\s+(?:grow|double|make\s+(?:money|a\s+profit)))\b`;
/** "you'll make a profit", "you will double your money". */
const YOU_WILL_PROFIT = String.raw`\byou(?:'ll|\s+will|(?:'re|\s+are)\s+(?:certain|sure|bound|guaranteed)\s+to)(?:\s+(?:definitely|certainly|easily))?\s+(?:make\s+(?:a\s+)?(?:profit|money|return)|double\s+your\s+(?:money|savings|investment)|(?:earn|get)\s+(?:a\s+)?(?:high|good|great|guaranteed)\s+returns?)\b`;

// ---------------------------------------------------------------------------------------------------------
// Context that turns a cue into something else.
// ---------------------------------------------------------------------------------------------------------

/**
 * - `negated`: "Do not stop taking…", "you should never…" (a negation in the three words before the cue);
 * - `conditional`: "You must tell DVLA if you have diabetes", "Check whether you have…" (anywhere earlier
 *   in the sentence);
 * - `question`: "I can't say whether you will win your appeal" (if/whether/how just before the cue);
 * - `reported`: a professional is the one advising: "Your GP may ask you to increase your dose";
 * - `described`: a statement about what someone does, not an instruction: "When you stop taking the pill";
 * - `warning`: the sentence warns about the claim: "Be wary of anyone promising guaranteed returns".
 */
type Exception = 'negated' | 'conditional' | 'question' | 'reported' | 'described' | 'warning';

/** Words that make a sentence a warning about a promise rather than the promise itself. */
const WARNING =
  /\b(?:not|never|nothing|beware|wary|careful|scam\w*|fraud\w*|promis\w*|claim\w*|no\s+(?:such|one|investment|legitimate|genuine|real))\b|n't|too\s+good\s+to\s+be\s+true/i;

/** The last `count` words of `text`. */
const lastWords = (text: string, count: number): string => text.trim().split(/\s+/).slice(-count).join(' ');

const EXCEPTIONS: Record<Exception, (prefix: string, sentence: string) => boolean> = {
  negated: (prefix) => /(?:\b(?:not|never|no)\b|n't)/i.test(lastWords(prefix, 3)),
  conditional: (prefix) =>
    /\b(?:if|whether|when|whenever|unless|before|without|until|in\s+case|once)\b/i.test(prefix),
  question: (prefix) => /\b(?:if|whether|how|what)\b/i.test(lastWords(prefix, 2)),
  reported: (prefix) =>
    /\b(?:GP|doctor|nurse|pharmacist|consultant|specialist|midwife|prescriber|clinician|dentist|solicitor|lawyer|barrister|adviser|advisor|Citizens\s+Advice|StepChange|MoneyHelper|Pension\s+Wise)s?\b/i.test(
      prefix,
    ),
  described: (prefix) =>
    /\b(?:you|they|people|adults|children|patients|he|she|who|most|many|some)\s*$/i.test(prefix),
  warning: (_prefix, sentence) => WARNING.test(sentence),
};

interface AdviceRule {
  category: AdviceCategory;
  pattern: RegExp;
  unless: Exception[];
}

const rule = (category: AdviceCategory, source: string, unless: Exception[]): AdviceRule => ({
  category,
  pattern: new RegExp(source, 'gi'),
  unless,
});

/** Medical actions may stand alone ("Increase your dose."); a frame, when present, is kept in the cue. */
const MEDICAL_ACTION_EXCEPTIONS: Exception[] = ['negated', 'reported', 'described', 'question'];
const DIAGNOSIS_EXCEPTIONS: Exception[] = ['negated', 'conditional', 'reported'];

const RULES: AdviceRule[] = [
  rule('medical', `(?:${YOU_SHOULD}|${I_ADVISE}|${MY_ADVICE})?${DOSE_AMOUNT}`, MEDICAL_ACTION_EXCEPTIONS),
  rule('medical', `(?:${YOU_SHOULD}|${I_ADVISE}|${MY_ADVICE})?${DOSE_CHANGE}`, MEDICAL_ACTION_EXCEPTIONS),
  rule('medical', `(?:${YOU_SHOULD}|${I_ADVISE}|${MY_ADVICE})?${STOP_START}`, MEDICAL_ACTION_EXCEPTIONS),
  rule('medical', DIAGNOSIS, DIAGNOSIS_EXCEPTIONS),
  rule('medical', SOUNDS_LIKE, DIAGNOSIS_EXCEPTIONS),
  rule('medical', SYMPTOMS_SUGGEST, DIAGNOSIS_EXCEPTIONS),
  rule('legal', YOU_WILL_WIN, ['negated', 'question', 'reported']),
  rule('legal', CASE_WILL_SUCCEED, ['negated', 'question', 'reported']),
  rule('legal', CASE_MERITS, ['negated', 'conditional', 'reported']),
  rule('legal', `${ADVICE_FRAME}${LEGAL_ACTION}`, ['negated', 'question', 'reported']),
  rule('financial', `${ADVICE_FRAME}${FINANCIAL_ACTION}`, ['negated', 'question', 'reported']),
  rule('financial', GUARANTEED_RETURN, ['warning']),
  rule('financial', YOU_WILL_PROFIT, ['negated', 'question', 'warning']),
];

/**
 * Flags personalised professional advice a public-service assistant must not give:
 * - medical: dosing ("take 2 tablets"), medication changes ("increase your dose", "you should stop
 *   taking"), diagnosis ("you have diabetes", "it sounds like you have a chest infection");
 * - legal: predicted outcomes ("you will win your appeal"), merits ("you have a strong case") and strategy
 *   ("you should sue", "plead guilty");
 * - financial: investment and borrowing recommendations ("you should invest", "put your savings into",
 *   "take out a loan") and promised returns ("guaranteed returns", "you'll double your money").
 *
 * Legal and financial actions count only when addressed to the reader: after "you should/must/need to",
 * "I'd recommend/advise", "my advice is", or as an imperative opening a sentence or bullet. Signposting
 * ("speak to your GP", "you can get free legal advice from Citizens Advice", "check your eligibility on
 * GOV.UK"), information ("You can take your employer to an employment tribunal", "You must tell DVLA if you
 * have diabetes") and warnings ("Do not stop taking your medicine without…", "Be wary of guaranteed
 * returns") are not flagged. Findings are in text order and never overlap.
 */
export const detectOutOfScopeAdvice = (
  text: string,
  categories: AdviceCategory[] = [...ADVICE_CATEGORIES],
): AdviceFinding[] => {
  const normalised = normaliseQuotes(text);
  const found: (AdviceFinding & { length: number })[] = [];
  for (const { category, pattern, unless } of RULES) {
    if (!categories.includes(category)) {
      continue;
    }
    for (const m of normalised.matchAll(pattern)) {
      const { start, end } = sentenceAround(normalised, m.index);
      const prefix = normalised.slice(start, m.index);
      const sentence = normalised.slice(start, end);
      if (unless.some((exception) => EXCEPTIONS[exception](prefix, sentence))) {
        continue;
      }
      found.push({
        category,
        cue: text.slice(m.index, m.index + m[0].length),
        index: m.index,
        length: m[0].length,
      });
    }
  }
  return dropOverlaps(found).map(({ category, cue, index }) => ({ category, cue, index }));
};
