import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bias_detect } from '../../../src/ops/bias/bias_detect.js';
import { nameLists, pairedName } from '../../../src/ops/bias/lexicons/index.js';
import { tokenize } from '../../../src/ops/bias/text.js';
import type { Row } from '../../../src/ops/types.js';
import { checkSchema, runMap } from './harness.js';

const detect = (text: string, params: Record<string, unknown> = {}, baseDir = '.'): Row => runMap(bias_detect, [{ id: 'r1', text }], params, baseDir)[0] as Row;

describe('tokens', () => {
  it('fold clitics and possessives, keep offsets of the word', () => {
    const t = tokenize("My mother's friends' he'll Mr.");
    expect(t.map((x) => x.norm)).toEqual(['my', 'mother', 'friends', 'he', 'mr']);
    expect(t[1]).toMatchObject({ start: 3, baseEnd: 9, end: 11, cap: false });
    expect(t[4].cap).toBe(true);
  });
});

describe('bias_detect: gender', () => {
  it('possessives and plural possessives', () => {
    expect(detect("My mother's car").gender).toEqual(['female']);
    expect(detect("The fathers' club met.").gender).toEqual(['male']);
    expect(detect("She'll call.").gender).toEqual(['female']);
  });

  it('word boundaries: no match inside words', () => {
    // "shed", "there", "manifest", "hero" hold she/he/her/man/hero but are not gender words
    expect(detect('The shed is there; manifest the hero.').gender).toEqual([]);
  });

  it('several groups in lexicon order; the counts record', () => {
    const r = detect('He met his sister and a non-binary friend.', { counts: true, terms: true });
    expect(r.gender).toEqual(['female', 'male', 'nonbinary']);
    expect(r.demographics).toMatchObject({ gender: { male: 2, female: 1, nonbinary: 1 } });
    expect(r.gender_terms).toEqual(['he', 'his', 'sister', 'non binary']);
  });

  it('first names count; ambiguous names are listed, not counted', () => {
    expect(nameLists().byName.get('alex')).toBe('ambiguous');
    const r = detect('Alex and Mary left.');
    expect(r.gender).toEqual(['female']);
    expect(r.gender_ambiguous).toEqual(['Alex']);
    const a = detect('Alex left.');
    expect(a.gender).toEqual([]);
    expect(a.gender_ambiguous).toEqual(['Alex']);
    expect(detect("John's bike").gender).toEqual(['male']);
  });

  it('names must be capitalized, not English words, not surnames, not terms', () => {
    expect(detect('mary had a lamb').gender).toEqual([]);
    // Will, May are in both the name lists and the English stopword list
    expect(detect('Will you come? May I?').gender).toEqual([]);
    // Smith follows a title: a surname (it is in the male list)
    expect(nameLists().byName.get('smith')).toBe('male');
    expect(detect('Ms Smith called.').gender).toEqual(['female']);
    // Christian is a religion term before it is a name
    const r = detect('Christian prayed.');
    expect(r.gender).toEqual([]);
    expect(r.religion).toEqual(['christian']);
  });

  it('`names: false` ignores names', () => {
    const r = detect('Mary and Alex left.', { names: false });
    expect(r.gender).toEqual([]);
    expect('gender_ambiguous' in r).toBe(false);
  });

  it('capitalized lexicon terms match only capitalized text', () => {
    expect(detect('Ms Lee').gender).toEqual(['female']);
    expect(detect('It took 500 ms.').gender).toEqual([]);
    expect(detect('I miss the bus.').gender).toEqual([]);
  });
});

describe('bias_detect: ethnicity, religion, age', () => {
  it('colour words and language-like demonyms only before a person noun', () => {
    const r = detect('Black women and white cars.');
    expect(r.ethnicity).toEqual(['black']);
    expect(r.gender).toEqual(['female']);
    expect(detect('a black car in the white house').ethnicity).toEqual([]);
    expect(detect('We ate Chinese food and spoke French.').ethnicity).toEqual([]);
    expect(detect('Chinese students and Germans').ethnicity).toEqual(['asian', 'european']);
    expect(detect('An American Indian elder').ethnicity).toEqual(['indigenous']);
  });

  it('religions', () => {
    expect(detect('Muslims, Jews and atheists').religion).toEqual(['muslim', 'jewish', 'nonreligious']);
  });

  it('ages as words and numbers', () => {
    expect(detect('a 75-year-old retiree').age).toEqual(['older']);
    expect(detect('a 15 year old').age).toEqual(['teen']);
    expect(detect('She is 80 years old.').age).toEqual(['older']);
    expect(detect('in her late 20s').age).toEqual(['young_adult']);
    expect(detect('in his thirties').age).toEqual(['adult']);
    expect(detect('the 1970s and 20s').age).toEqual([]);
    expect(detect('toddlers and teenagers').age).toEqual(['child', 'teen']);
  });
});

describe('bias_detect: lexicons from the recipe', () => {
  it('adds to a built-in group, and a new group goes to `custom`', () => {
    const r = detect('The gal met an android.', { lexicon: { female: ['gal pal', 'gal'], robots: ['android'] } });
    expect(r.gender).toEqual(['female']);
    expect(r.custom).toEqual(['robots']);
  });

  it('a new dimension becomes a column', () => {
    const r = detect('A wheelchair user and a blind man.', { lexicon: { disability: { wheelchair_user: ['wheelchair user'], blind: ['blind'] } } });
    expect(r.disability).toEqual(['wheelchair_user', 'blind']);
    expect(r.gender).toEqual(['male']);
  });

  it('replace: a group replaces that group, a dimension its built-in groups', () => {
    const g = detect('She and the woman left.', { lexicon: { female: ['woman'] }, lexicon_mode: 'replace' });
    expect(g.gender).toEqual(['female']);
    expect(detect('She left.', { lexicon: { female: ['woman'] }, lexicon_mode: 'replace' }).gender).toEqual([]);
    const d = detect('She and a queen.', { lexicon: { gender: { royal: ['queen'] } }, lexicon_mode: 'replace', names: false });
    expect(d.gender).toEqual(['royal']);
    // numeric ages stop when the age dimension is replaced as a whole
    expect(detect('a 75-year-old senior', { lexicon: { age: { senior: ['senior'] } }, lexicon_mode: 'replace' }).age).toEqual(['senior']);
  });

  it('lexicon_file, relative to the recipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftr-lex-'));
    writeFileSync(join(dir, 'lex.json'), JSON.stringify({ occupation: { medicine: ['nurse', 'doctor'] } }));
    expect(detect('The nurse called.', { lexicon_file: 'lex.json' }, dir).occupation).toEqual(['medicine']);
    const { schema, errors } = checkSchema(bias_detect, ['id', 'text'], { lexicon_file: 'lex.json', dims: ['occupation', 'gender'] }, dir);
    expect(errors).toEqual([]);
    expect(schema.columns.map((c) => c.name)).toEqual(['id', 'text', 'occupation', 'gender', 'gender_ambiguous']);
    expect(checkSchema(bias_detect, ['id', 'text'], { lexicon_file: 'missing.json' }, dir).errors).toEqual([{ param: 'lexicon_file', message: 'cannot read lexicon file `missing.json`' }]);
  });
});

describe('bias_detect: schema', () => {
  it('adds one list column per dimension, and the optional ones', () => {
    const { schema, errors } = checkSchema(bias_detect, ['id', 'text', 'gender'], { dims: ['gender', 'age'], terms: true, counts: true });
    expect(errors).toEqual([]);
    expect(schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:any', 'text:any', 'gender:list', 'age:list', 'gender_ambiguous:list', 'gender_terms:list', 'age_terms:list', 'demographics:record']);
  });

  it('reports unknown dimensions, bad lexicons and missing columns', () => {
    expect(checkSchema(bias_detect, ['id', 'text'], { dims: ['gendr'] }).errors).toEqual([{ param: 'dims', message: 'unknown dimension `gendr`' }]);
    expect(checkSchema(bias_detect, ['id', 'text'], { lexicon: { gender: ['x'] } }).errors[0]).toMatchObject({ param: 'lexicon', message: expect.stringContaining('`gender` is a dimension') });
    expect(checkSchema(bias_detect, ['id', 'text'], { lexicon: { female: [1, 2] } }).errors[0]).toMatchObject({ param: 'lexicon' });
    expect(checkSchema(bias_detect, ['id', 'body'], {}).errors[0]).toMatchObject({ param: 'columns', message: 'unknown column `text`' });
  });
});

describe('name pairing', () => {
  it('pairs names across the lists by initial and rank; ambiguous names have no pair', () => {
    const m = pairedName('mary')!;
    expect(nameLists().byName.get(m)).toBe('male');
    expect(m[0]).toBe('m');
    expect(pairedName('alex')).toBeUndefined();
  });
});
