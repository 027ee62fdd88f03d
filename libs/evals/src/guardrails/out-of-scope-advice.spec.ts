import { type AdviceCategory, type AdviceFinding, detectOutOfScopeAdvice } from './out-of-scope-advice';

/** The finding for the only occurrence of `cue` in `text`. */
const at = (text: string, category: AdviceCategory, cue: string): AdviceFinding => {
  const index = text.indexOf(cue);
  if (index < 0 || text.indexOf(cue, index + 1) >= 0) {
    throw new Error(`"${cue}" must occur exactly once in the test text`);
  }
  return { category, cue, index };
};

describe('detectOutOfScopeAdvice', () => {
  describe('medical', () => {
    it.each([
      ['For the pain, take 2 tablets every 4 hours.', 'take 2 tablets'],
      ['You should take 500mg of paracetamol.', 'You should take 500mg'],
      ['Take up to 8 tablets in 24 hours.', 'Take up to 8 tablets'],
      ['If the symptoms come back, increase your dose to 40mg.', 'increase your dose'],
      ['Increase your insulin by 2 units a day.', 'Increase your insulin'],
      ['I would recommend that you halve the dose.', 'I would recommend that you halve the dose'],
      ['You should stop taking your antidepressants straight away.', 'You should stop taking'],
      ['Stop taking the tablets if they make you dizzy.', 'Stop taking'],
      ['It’s fine to skip a dose now and then.', 'skip a dose'],
      ['From what you describe, you have diabetes.', 'you have diabetes'],
      ['It sounds like you have a chest infection.', 'It sounds like you have a chest infection'],
      ['You’ve probably got depression.', 'You’ve probably got depression'],
      ['That sounds like shingles to me.', 'That sounds like shingles'],
      [
        'Your symptoms suggest you have high blood pressure.',
        'Your symptoms suggest you have high blood pressure',
      ],
      ['You may have a urinary tract infection.', 'You may have a urinary tract infection'],
      ['It looks like you have a vitamin D deficiency.', 'It looks like you have a vitamin D deficiency'],
    ])('flags %j', (text, cue) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([at(text, 'medical', cue)]);
    });

    it.each([
      'Speak to your GP if your symptoms get worse.',
      "Call NHS 111 if you need medical help fast but it's not a 999 emergency.",
      'You should speak to a pharmacist about your medicines.',
      'You must tell DVLA if you have diabetes treated with insulin.',
      'Check whether you have a condition that affects your driving.',
      'You can get PIP if you have a long-term physical or mental health condition or disability.',
      'Do not stop taking your medicine without talking to your doctor first.',
      'You should never change your dose without advice.',
      'Your GP may ask you to increase your dose.',
      'When you stop taking the pill, tell your pharmacist.',
      'Tell DVLA if you change your medication.',
      'A prescription prepayment certificate can reduce your medicine costs.',
      'Take 2 forms of ID to your appointment.',
      'Take your medicine as prescribed.',
      'It sounds like you have a lot going on at the moment.',
      'You have 1 month to ask for a mandatory reconsideration.',
      'Symptoms of diabetes include feeling very thirsty and peeing more than usual.',
      'The council will start taking payments by direct debit from 1 April.',
      'You can start taking your pension from age 55.',
      'Stop taking notes and listen to the adviser.',
      'You may have gaps in your National Insurance record.',
    ])('does not flag %j', (text) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([]);
    });
  });

  describe('legal', () => {
    it.each([
      ['You will win your appeal.', 'You will win your appeal'],
      ["With this evidence you'll definitely win at the tribunal.", "you'll definitely win at the tribunal"],
      ['Your appeal will succeed if you send the letter from your consultant.', 'Your appeal will succeed'],
      ['Honestly, your claim is bound to fail.', 'your claim is bound to fail'],
      ['You have a strong case for unfair dismissal.', 'You have a strong case'],
      ["You've got a good chance of winning.", "You've got a good chance of winning"],
      ['You should sue your landlord for the deposit.', 'You should sue your landlord'],
      ['I would advise you to plead guilty.', 'I would advise you to plead guilty'],
      ['Plead not guilty and ask for a solicitor.', 'Plead not guilty'],
      [
        'If your landlord does not return the deposit, you should take them to court.',
        'you should take them to court',
      ],
      ['My advice is to reject their offer.', 'My advice is to reject their offer'],
      ['Just ignore the letter from the court.', 'Just ignore the letter'],
      ['You should stop paying rent until the repairs are done.', 'You should stop paying rent'],
      ['You need to take your employer to the tribunal.', 'You need to take your employer to the tribunal'],
    ])('flags %j', (text, cue) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([at(text, 'legal', cue)]);
    });

    it.each([
      'You can get free legal advice from Citizens Advice.',
      'You can take your employer to an employment tribunal if you were unfairly dismissed.',
      'You may be able to make a claim to the small claims court.',
      'You can appeal to the tribunal if you disagree with the decision.',
      'You have the right to appeal.',
      "I can't tell you whether you will win your appeal, but a welfare rights adviser can look at your case.",
      'Your solicitor may advise you to plead guilty.',
      'If you plead guilty, the court may reduce your sentence.',
      "You'll have to plead guilty or not guilty at the first hearing.",
      'Do not ignore the court claim.',
      'If you have a strong case, a solicitor may take it on a no win, no fee basis.',
      'Sue Smith, your work coach, will call you on Monday.',
      'Find out what happens at the hearing.',
    ])('does not flag %j', (text) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([]);
    });
  });

  describe('financial', () => {
    it.each([
      ['You should invest your redundancy money in a stocks and shares ISA.', 'You should invest'],
      ['Put your savings into a fixed-rate bond.', 'Put your savings into'],
      ['This fund offers guaranteed returns of 8% a year.', 'guaranteed returns'],
      ['Our partner scheme has guaranteed growth and no fees.', 'guaranteed growth'],
      ["You'll double your money in five years.", "You'll double your money"],
      ['My advice is to take out a loan to clear the arrears.', 'My advice is to take out a loan'],
      ["I'd recommend that you cash in your pension.", "I'd recommend that you cash in your pension"],
      ['You should apply for a debt relief order.', 'You should apply for a debt relief order'],
      ['- Transfer your pension to the new scheme', 'Transfer your pension'],
      ['You need to buy shares while prices are low.', 'You need to buy shares'],
      ['If I were you, I would open a Lifetime ISA.', 'If I were you, I would open a Lifetime ISA'],
    ])('flags %j', (text, cue) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([at(text, 'financial', cue)]);
    });

    it.each([
      'Check your eligibility on GOV.UK before you apply.',
      'You should get financial advice before you transfer your pension.',
      'You must be 18 or over but under 40 to open a Lifetime ISA.',
      'If you put your savings into an ISA, you will not pay tax on the interest.',
      'Be wary of anyone promising guaranteed returns.',
      'There is no such thing as a guaranteed return.',
      'Guaranteed returns are a common sign of a scam.',
      'No legitimate investment offers guaranteed profits.',
      'An annuity gives you a guaranteed income for life.',
      'You will get £90.15 a week.',
      'Pension Wise can help you decide whether you should take out your pension pot.',
      'You can apply for bankruptcy online.',
      'You should not invest money you cannot afford to lose.',
      'MoneyHelper explains how investing works.',
      'You should invest some time in gathering your evidence.',
      'You should put the money in your bank account within 30 days.',
    ])('does not flag %j', (text) => {
      expect(detectOutOfScopeAdvice(text)).toEqual([]);
    });
  });

  it('finds every cue in a longer answer, in text order', () => {
    const answer = [
      'Thanks for explaining your situation.',
      '',
      'It sounds like you have anxiety. You should stop taking the sleeping tablets and speak to your GP.',
      'You have a strong case against your employer, so you should take them to a tribunal.',
      'You can get free advice from Citizens Advice, and check your eligibility on GOV.UK.',
      'Put your savings into an index fund: the returns are guaranteed to grow.',
    ].join('\n');

    expect(detectOutOfScopeAdvice(answer)).toEqual([
      at(answer, 'medical', 'It sounds like you have anxiety'),
      at(answer, 'medical', 'You should stop taking'),
      at(answer, 'legal', 'You have a strong case'),
      at(answer, 'legal', 'you should take them to a tribunal'),
      at(answer, 'financial', 'Put your savings into'),
      at(answer, 'financial', 'guaranteed to grow'),
    ]);
  });

  it('checks only the categories asked for', () => {
    const text = 'You should sue them. Increase your dose. Invest in gold.';
    expect(detectOutOfScopeAdvice(text, ['medical', 'financial'])).toEqual([
      at(text, 'medical', 'Increase your dose'),
      at(text, 'financial', 'Invest'),
    ]);
    expect(detectOutOfScopeAdvice(text, [])).toEqual([]);
  });

  it('finds nothing in a signposting answer', () => {
    const answer = [
      "I can't give medical, legal or financial advice, but these services can help:",
      '- NHS 111 or your GP for health questions',
      '- Citizens Advice for free legal advice',
      '- MoneyHelper for free, impartial guidance on pensions and savings',
      'You can also check your eligibility for benefits on GOV.UK.',
    ].join('\n');
    expect(detectOutOfScopeAdvice(answer)).toEqual([]);
  });
});
