import { describe, expect, it } from 'vitest';
import { capsShare, countUrls, deobfuscate, findObfuscated, spam, spamRules, spamScore } from '../../../src/ops/filter/spam.js';
import { rows, runGlobal } from './run.js';

const PRIZE = 'CONGRATULATIONS!!! You have WON $1,000,000 - click here to claim your prize now!!!';
const MONEY = 'Make money fast working from home! Act now, limited time offer. Unsubscribe here.';
const PHARMA = 'Buy cheap V1AGRA and c-i-a-l-i-s online, no prescription';
const SHOUT = 'FREE ENTRY!!! WIN A BRAND NEW CAR TODAY ONLY';
const URGENT = 'Hi team, the meeting is moved to Thursday. Urgent: please review the doc.';
const REFUND = 'My refund of $20 has not arrived yet, can you check?';
const LINKS = 'See http://a.example/x and https://b.example and www.c.example for details';
const SPACED = 'v i a g r a for sale';

const rulesOf = (t: string) => spamScore(t).hits.map((h) => h.rule);

describe('spam score', () => {
  it('adds each firing rule once (golden scores)', () => {
    // prize 2.5 + click_here 2 + exclamation 1 (6 marks; counted once)
    expect(spamScore(PRIZE).score).toBe(5.5);
    expect(rulesOf(PRIZE)).toEqual(['prize', 'click_here', 'exclamation']);
    // money 2.5 + urgency 1.5 + click_here 2
    expect(spamScore(MONEY).score).toBe(6);
    expect(rulesOf(MONEY)).toEqual(['money', 'urgency', 'click_here']);
    // spam_words ("no prescription") 2 + obfuscated (V1AGRA) 3
    expect(spamScore(PHARMA).score).toBe(5);
    expect(rulesOf(PHARMA)).toEqual(['spam_words', 'obfuscated']);
    // urgency ("today only") 1.5 + caps 1.5 + exclamation 1: shouting alone is not spam
    expect(spamScore(SHOUT).score).toBe(4);
    expect(rulesOf(SHOUT)).toEqual(['urgency', 'caps', 'exclamation']);
    expect(spamScore(URGENT).score).toBe(1.5);
    expect(spamScore(REFUND)).toEqual({ score: 0, hits: [] });
    expect(spamScore(LINKS)).toEqual({ score: 1.5, hits: [{ rule: 'urls', weight: 1.5, evidence: '3 URLs' }] });
    expect(spamScore(SPACED)).toEqual({ score: 3, hits: [{ rule: 'obfuscated', weight: 3, evidence: '"v i a g r a"' }] });
  });

  it('sees through obfuscation but not ordinary punctuation', () => {
    expect(deobfuscate('V1@GR@')).toBe('viagra');
    expect(deobfuscate('c-i-a-l-i-s')).toBe('cialis');
    expect(findObfuscated('get fr33 stuff')).toBe('"fr33"');
    expect(findObfuscated('only ca$h accepted')).toBe('"ca$h"');
    expect(findObfuscated('F R E E gift inside')).toBe('"F R E E"');
    for (const ok of ['Free!', 'send an e-mail', 'the co-op', 'money.', 'I a m here', '(free)', 'x-ray']) expect(findObfuscated(ok)).toBeUndefined();
  });

  it('measures capitals and links', () => {
    expect(capsShare('SHORT')).toBeUndefined(); // fewer than 20 cased letters
    expect(capsShare('ABCDEFGHIJ abcdefghij')).toBe(0.5);
    expect(countUrls('a http://x.y b https://z.w/p?q=1 c www.site.org d site.org')).toBe(3);
  });

  it('adds user patterns and turns default rules off', () => {
    const rules = spamRules({ patterns: [{ regex: 'crypto ?giveaway', flags: 'i' }], patternWeight: 5 });
    expect(spamScore('Join our Crypto Giveaway today', rules)).toEqual({ score: 5, hits: [{ rule: '/crypto ?giveaway/i', weight: 5, evidence: '"crypto giveaway"' }] });
    expect(spamScore(PRIZE, spamRules({ disable: ['exclamation'] })).score).toBe(4.5);
  });
});

describe('spam op', () => {
  const data = rows([PRIZE, MONEY, PHARMA, SHOUT, URGENT, REFUND, LINKS, SPACED]);

  it('drops rows at or over the threshold, naming the rules, and reports hits per rule', async () => {
    const r = await runGlobal(spam, data, {});
    expect(r.dropped.map((d) => d.id)).toEqual(['r0', 'r1', 'r2']);
    expect(r.dropped.every((d) => d.reason === 'spam')).toBe(true);
    expect(r.byId.get('r0')!.detail).toBe('spam score 5.5 ≥ 5: prize "congratulations!!! you" +2.5, click_here "click here" +2, exclamation 6 "!" +1');
    expect(r.byId.get('r2')!.detail).toBe('spam score 5 ≥ 5: spam_words "no prescription" +2, obfuscated "V1AGRA" +3');
    expect(r.kept.map((k) => k.id)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(r.kept[0]).toEqual(data[3]); // drop mode adds no columns
    expect(r.notes).toContain('3 of 8 rows dropped as spam (score ≥ 5)');
    expect(r.notes.find((n) => n.startsWith('click_here'))).toMatch(/^click_here\s+2\s+2$/);
    expect(r.notes.find((n) => n.startsWith('obfuscated'))).toMatch(/^obfuscated\s+3\s+2$/);
  });

  it('flags instead of dropping, and honours threshold, patterns and disable', async () => {
    const f = await runGlobal(spam, data, { action: 'flag', threshold: 4 });
    expect(f.dropped).toEqual([]);
    expect(f.kept.map((k) => k.spam_score)).toEqual([5.5, 6, 5, 4, 1.5, 0, 1.5, 3]);
    expect(f.kept[3].spam_rules).toEqual(['urgency', 'caps', 'exclamation']);
    expect(f.notes).toContain('4 of 8 rows flagged as spam (score ≥ 4)');
    const p = await runGlobal(spam, data, { patterns: [{ regex: 'refund', flags: 'i' }], disable: ['exclamation'] });
    // PRIZE falls to 4.5 without the exclamation rule; the refund pattern alone reaches 5
    expect(p.dropped.map((d) => d.id)).toEqual(['r1', 'r2', 'r5']);
    expect(p.byId.get('r5')!.detail).toBe('spam score 5 ≥ 5: /refund/i "refund" +5');
  });

  it('scores rows without text 0 and keeps them', async () => {
    const r = await runGlobal(spam, [{ id: 'n', text: null }, { id: 'm', text: 42 }], {});
    expect(r.keptIds).toEqual(['n', 'm']);
  });
});
