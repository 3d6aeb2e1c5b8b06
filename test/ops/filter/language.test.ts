import { francAll } from 'franc';
import { describe, expect, it } from 'vitest';
import { cleanForLanguage, detectLanguage, FRANC_LANGUAGES, language } from '../../../src/ops/filter/language.js';
import { rows, runGlobal } from './run.js';

const ENG = 'I would like to return these shoes because they are too small.';
const DEU = 'Der Hund läuft schnell über die Straße und bellt laut.';
const FRA = 'Le chat dort sur le canapé pendant que nous mangeons.';
const SPA = 'El perro corre rápidamente por la calle y ladra fuerte.';
/** short English franc reads as Scots: sco 1, eng 0.8585 */
const SHORT_ENG = 'The weather is nice.';
/** Scots: eng scores 0.79, further than the 0.2 allowed */
const SCOTS = "It's a braw bricht moonlicht nicht the nicht.";
const opts = { minLength: 20, scoAsEng: true };

describe('detectLanguage', () => {
  it('identifies clear sentences, with the margin over the runner-up as the score', () => {
    expect([ENG, DEU, FRA, SPA].map((t) => detectLanguage(t, opts).lang)).toEqual(['eng', 'deu', 'fra', 'spa']);
    for (const t of [DEU, FRA, SPA]) {
      const all = francAll(t);
      expect(detectLanguage(t, opts).score).toBeCloseTo(1 - all[1][1], 4);
    }
    // eng's runner-up is sco, which counts as the same language: the margin is over the next one
    const eng = francAll(ENG);
    expect(eng.slice(0, 2).map((x) => x[0])).toEqual(['eng', 'sco']);
    expect(detectLanguage(ENG, opts).score).toBeCloseTo(1 - eng[2][1], 4);
    expect(detectLanguage(ENG, { ...opts, scoAsEng: false }).score).toBeCloseTo(1 - eng[1][1], 4);
  });

  it('calls short texts und, and texts without letters', () => {
    expect(detectLanguage('Hello there', opts)).toEqual({ lang: 'und', score: null, note: 'short' });
    expect(detectLanguage('Hello there', { ...opts, minLength: 5 }).lang).not.toBe('und');
    expect(detectLanguage('12345 67890 12345 67890 !!!', opts)).toEqual({ lang: 'und', score: null, note: 'no-script' });
    expect(detectLanguage(null, opts)).toEqual({ lang: 'und', score: null, note: 'no-text' });
    // links do not count towards the length or the language
    expect(cleanForLanguage('see https://example.com/a/b and mail me@x.org  now')).toBe('see and mail now');
    expect(detectLanguage('ok https://example.com/some/long/path', opts).note).toBe('short');
  });

  it('reads short English that franc calls Scots as English, but not real Scots', () => {
    expect(francAll(SHORT_ENG)[0][0]).toBe('sco');
    const d = detectLanguage(SHORT_ENG, opts);
    expect(d).toMatchObject({ lang: 'eng', note: 'sco-as-eng', franc: { lang: 'sco', eng: 0.8585 } });
    expect(detectLanguage(SHORT_ENG, { ...opts, scoAsEng: false }).lang).toBe('sco');
    expect(detectLanguage(SCOTS, opts).lang).toBe('sco');
  });

  it('restricts candidates with only', () => {
    expect(detectLanguage('Hello, how are you today?', opts).lang).not.toBe('eng');
    expect(detectLanguage('Hello, how are you today?', { ...opts, only: ['eng', 'deu', 'fra'] }).lang).toBe('eng');
    expect(FRANC_LANGUAGES).toContain('eng');
    expect(FRANC_LANGUAGES).toContain('jpn');
  });
});

describe('language op', () => {
  const data = rows([ENG, DEU, FRA, SPA, SHORT_ENG, 'Thanks!', SCOTS]);

  it('keeps the allowed languages, adds lang and lang_score, and counts per language', async () => {
    const r = await runGlobal(language, data, { languages: ['eng'] });
    expect(r.kept.map((k) => [k.id, k.lang])).toEqual([['r0', 'eng'], ['r4', 'eng'], ['r5', 'und']]);
    expect(typeof r.kept[0].lang_score).toBe('number');
    expect(r.kept[2].lang_score).toBeNull();
    expect(r.dropped.map((d) => [d.id, d.reason])).toEqual([['r1', 'language'], ['r2', 'language'], ['r3', 'language'], ['r6', 'language']]);
    expect(r.byId.get('r1')!.detail).toMatch(/^language deu \(score 0\.\d+\), expected eng$/);
    expect(r.notes).toContain('1 row franc read as sco counted as eng (eng within 0.2 under 100 characters, 0.1 above)');
    expect(r.notes).toContain('3 of 7 rows kept (eng)');
    expect(r.notes.find((n) => n.startsWith('eng'))).toMatch(/^eng\s+2\s+2$/);
    expect(r.notes.find((n) => n.startsWith('deu'))).toMatch(/^deu\s+1\s+0$/);
  });

  it('drops undetermined rows when asked; several languages; annotate only', async () => {
    const r = await runGlobal(language, data, { languages: ['eng', 'fra'], undetermined: 'drop' });
    expect(r.keptIds).toEqual(['r0', 'r2', 'r4']);
    expect(r.byId.get('r5')).toMatchObject({ reason: 'language: undetermined', detail: 'language und (shorter than 20 characters), expected eng, fra' });
    const a = await runGlobal(language, data, {});
    expect(a.dropped).toEqual([]);
    expect(a.kept.map((k) => k.lang)).toEqual(['eng', 'deu', 'fra', 'spa', 'eng', 'und', 'sco']);
    // allowing sco turns the eng/sco rule off
    const s = await runGlobal(language, data, { languages: ['sco'] });
    expect(s.keptIds).toEqual(['r4', 'r5', 'r6']);
  });
});
