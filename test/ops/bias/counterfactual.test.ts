import { describe, expect, it } from 'vitest';
import { counterfactual } from '../../../src/ops/bias/counterfactual.js';
import { nameLists, pairedName } from '../../../src/ops/bias/lexicons/index.js';
import { GenderSwapper } from '../../../src/ops/bias/swap.js';
import { Drop, type Row } from '../../../src/ops/types.js';
import { checkSchema, runMap } from './harness.js';

const swap = (text: string, names = false) => new GenderSwapper({ names }).swap(text).text;

describe('gender swaps', () => {
  it.each([
    // her as an object: end of text, punctuation, a determiner, a time adverb, a verb after an object
    ['I saw her.', 'I saw him.'],
    ['I saw her', 'I saw him'],
    ['I gave her a book.', 'I gave him a book.'],
    ['I met her yesterday.', 'I met him yesterday.'],
    ['Let her go.', 'Let him go.'],
    ['I told her that it was late.', 'I told him that it was late.'],
    // her as a possessive: a noun, an adjective, a number next
    ['her book', 'his book'],
    ['She lost her old car.', 'He lost his old car.'],
    ['her 3 kids', 'his 3 kids'],
    // design notes §6.3 expected outputs
    ['She gave her book to him.', 'He gave his book to her.'],
    ['The chairman thanked his wife.', 'The chairwoman thanked her husband.'],
    // his → her before a word, hers at the end
    ['The book is his.', 'The book is hers.'],
    ['his and hers', 'hers and his'],
    ['He hurt himself.', 'She hurt herself.'],
  ])('%s → %s', (from, to) => {
    expect(swap(from)).toBe(to);
  });

  it('nouns, plurals, possessives, clitics, titles', () => {
    expect(swap("My mother's brothers")).toBe("My father's sisters");
    expect(swap('Men and women')).toBe('Women and men');
    expect(swap("He's here and she'll come.")).toBe("She's here and he'll come.");
    expect(swap('Mr. Smith met Ms Jones and Mrs Brown.')).toBe('Ms. Smith met Mr Jones and Mr Brown.');
    expect(swap('The actress and the actor')).toBe('The actor and the actor');
  });

  it('keeps capitalization', () => {
    expect(swap('Her book')).toBe('His book');
    expect(swap('HER BOOK IS HIS')).toBe('HIS BOOK IS HERS');
    expect(swap('She said he was here')).toBe('He said she was here');
    expect(swap('Father said no.')).toBe('Mother said no.');
  });

  it('leaves URLs, e-mail, names with a title-like noun, and lowercase titles alone', () => {
    expect(swap('see https://example.com/his-page or he@example.com')).toBe('see https://example.com/his-page or he@example.com');
    expect(swap('Queen Mary 2 left; the queen waved.')).toBe('Queen Mary 2 left; the king waved.');
    expect(swap('I miss it; 5 ms later')).toBe('I miss it; 5 ms later');
    expect(swap('Miss Lee')).toBe('Mr Lee');
  });

  it('names: paired names swap, ambiguous names and surnames stay', () => {
    const john = pairedName('mary')!;
    const John = john[0].toUpperCase() + john.slice(1);
    expect(nameLists().byName.get(john)).toBe('male');
    expect(swap('Alex and Mary left.', true)).toBe(`Alex and ${John} left.`);
    expect(swap('Alex and Mary left.', false)).toBe('Alex and Mary left.');
    // after a title: a surname
    expect(swap('Mr Smith', true)).toBe('Ms Smith');
  });

  it('extra pairs from the recipe, both ways', () => {
    const s = new GenderSwapper({ names: false, pairs: { steward: 'stewardess', waiter: 'waitress' } });
    expect(s.swap('The steward and the waitress').text).toBe('The stewardess and the waiter');
  });
});

describe('counterfactual op', () => {
  const rows: Row[] = [
    { id: 'r1', text: 'She fixed her bike.', label: 'a' },
    { id: 'r2', text: 'The sky is blue.', label: 'b' },
    { id: 'r3', text: 'The doc says he is fine.', label: 'c', parent: 'doc7' },
  ];

  it('emits the original and a swapped copy with id <id>#cf and parent', () => {
    const out = runMap(counterfactual, rows, {}) as Row[];
    expect(out).toEqual([
      { id: 'r1', text: 'She fixed her bike.', label: 'a', parent: null },
      { id: 'r1#cf', text: 'He fixed his bike.', label: 'a', parent: 'r1' },
      { id: 'r2', text: 'The sky is blue.', label: 'b', parent: null },
      { id: 'r3', text: 'The doc says he is fine.', label: 'c', parent: 'doc7' },
      // a row with a parent (a chunk): the copy joins the same family
      { id: 'r3#cf', text: 'The doc says she is fine.', label: 'c', parent: 'doc7' },
    ]);
  });

  it('only_swapped: copies alone, rows with nothing to swap dropped with a reason', () => {
    const out = runMap(counterfactual, rows, { only_swapped: true });
    expect(out.map((r) => (r instanceof Drop ? `drop:${r.reason}` : r.id))).toEqual(['r1#cf', 'drop:no gender terms', 'r3#cf']);
  });

  it('swaps every named column', () => {
    const [, copy] = runMap(counterfactual, [{ id: 'x', text: 'her', title: 'Mr Lee' }], { columns: ['text', 'title'] }) as Row[];
    expect(copy).toMatchObject({ id: 'x#cf', text: 'him', title: 'Ms Lee' });
  });

  it('schema: adds `parent`, checks columns and pairs', () => {
    expect(checkSchema(counterfactual, ['id', 'text'], {}).schema.columns.map((c) => c.name)).toEqual(['id', 'text', 'parent']);
    expect(checkSchema(counterfactual, ['id', 'text', 'parent'], {}).schema.columns.map((c) => c.name)).toEqual(['id', 'text', 'parent']);
    expect(checkSchema(counterfactual, ['id', 'body'], {}).errors[0]).toMatchObject({ param: 'columns' });
    expect(checkSchema(counterfactual, ['id', 'text'], { pairs: { 'two words': 'x' } }).errors[0]).toMatchObject({ param: 'pairs' });
    expect(checkSchema(counterfactual, ['id', 'text'], { pairs: { 'ex-wife': 'ex-husband' } }).errors[0]).toMatchObject({ param: 'pairs' });
    expect(checkSchema(counterfactual, ['id', 'text'], { pairs: { steward: 'stewardess' } }).errors).toEqual([]);
  });
});
