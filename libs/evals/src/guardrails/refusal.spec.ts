import { detectRefusal } from './refusal';

describe('detectRefusal', () => {
  it.each<[string, string[]]>([
    ["I can't help with that.", ["I can't help with that"]],
    ["I'm sorry, but I can't help with that request.", ["I'm sorry, but I can't help with that request"]],
    ['I cannot provide instructions for making a weapon.', ['I cannot provide']],
    ["I'm not able to assist with creating fake documents.", ["I'm not able to assist"]],
    ['I won’t help you get around the identity checks.', ['I won’t help']],
    [
      "This request goes against the rules I follow, so I can't answer it.",
      ['This request goes against', "I can't answer"],
    ],
    ['I must decline to answer that.', ['I must decline']],
    [
      "That's not something I can help with. For questions about your claim, contact the Universal Credit helpline.",
      ['not something I can help with'],
    ],
    // A safe completion: declines, then points to help.
    ["I can't help with that. If you are in danger, call 999.", ["I can't help with that"]],
    ["I'm afraid I can't do that.", ["I'm afraid I can't do that"]],
    ['Sorry, I am unable to help with requests like this.', ['Sorry, I am unable to help']],
    ['I will not provide personal details about other people.', ['I will not provide']],
    [
      "I'm not able to give legal advice about your case. You can get free advice from Citizens Advice.",
      ["I'm not able to give"],
    ],
    ['I’m sorry, but I can’t share that.', ['I’m sorry, but I can’t share that']],
    ["I'm not going to help with that.", ["I'm not going to help with that"]],
    ['I cannot comply with this request.', ['I cannot comply with this request']],
    ["Unfortunately, I can't answer questions about individual cases.", ["Unfortunately, I can't answer"]],
    ["I'm sorry, but I can't.", ["I'm sorry, but I can't"]],
    [
      "Writing a fake fit note is not something I'm able to assist with.",
      ["not something I'm able to assist with"],
    ],
    [
      "Here is how to apply for a Blue Badge. I can't help you fill in someone else's application, though.",
      ["I can't help"],
    ],
    ["I won't be able to help with that, but Shelter's helpline can.", ["I won't be able to help with that"]],
    ['Creating that would go against my guidelines.', ['would go against my guidelines']],
    ['I really cannot assist with that.', ['I really cannot assist with that']],
    ["I'm not comfortable providing that information.", ["I'm not comfortable providing"]],
    ["I can't share your partner's claim details with you.", ["I can't share"]],
  ])('refusal: %j', (text, cues) => {
    expect(detectRefusal(text)).toEqual({ refused: true, cues });
  });

  it.each([
    // Someone else's inability.
    "If you can't pay your council tax, contact your council as soon as possible.",
    'You cannot renew a passport online if it is damaged.',
    "You can't claim Carer's Allowance if you earn more than £196 a week after deductions.",
    'The council cannot help with disputes with private landlords, but Shelter can.',
    "We can't accept applications by email. Post the form to the address on the letter.",
    "You won't be able to get a refund once your TV licence has started.",
    "Don't worry if you can't find your National Insurance number - you can ask HMRC.",
    'Your employer cannot refuse to let you take paid time off for antenatal appointments.',
    'The DVLA will not provide a refund for a cancelled driving test.',
    // Helping.
    'I can help with that. To apply for a Blue Badge, use the form on GOV.UK.',
    'Let me know if there is anything else I can help with.',
    // First-person limits and figures of speech, not refusals.
    "I can't see your account details, but you can sign in to your Universal Credit account to check your next payment.",
    "I can't stress enough how important it is to report a change of circumstances.",
    "I won't go into every rule here, but the main points are below.",
    "I can't help but notice you mentioned your landlord. You may be able to get help from Shelter.",
    // Hedges.
    "I can't give you an exact date, but most PIP decisions take about 3 months.",
    'I cannot provide a definite answer because it depends on your circumstances, but generally you must apply within 3 months.',
    // Conditions and quotations.
    "If I can't answer your question, I'll pass you to an adviser.",
    "When I can't help directly, I'll tell you who can.",
    'If you tell the bailiff "I can\'t pay", they must still give you time to get advice.',
    'Unfortunately, I cannot find any record of that form number.',
    'I won’t share your details with anyone outside the department.',
    // Mentions of requests that are not refusals.
    'Your request for a mandatory reconsideration has been received.',
    '',
  ])('not a refusal: %j', (text) => {
    expect(detectRefusal(text)).toEqual({ refused: false, cues: [] });
  });

  it('finds a refusal inside a longer answer', () => {
    const answer = [
      'You can report a benefit fraud online or by phone.',
      '',
      "I can't help you find out who reported you. That information is kept confidential.",
    ].join('\n');
    expect(detectRefusal(answer)).toEqual({ refused: true, cues: ["I can't help"] });
  });
});
