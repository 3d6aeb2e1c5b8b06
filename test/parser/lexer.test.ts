import { describe, expect, it } from 'vitest';
import { ftrLexer } from '../../src/parser/tokens.js';
import { tokens, tokenTypes } from './helpers.js';

describe('lexer: literals', () => {
  it('numbers keep `_` separators and exponents in one token', () => {
    expect(tokens('1_000 2e-4 1.5 1.5e+3 7')).toEqual([
      ['Number', '1_000'],
      ['Number', '2e-4'],
      ['Number', '1.5'],
      ['Number', '1.5e+3'],
      ['Number', '7'],
    ]);
  });

  it('a unit touching its number makes one UnitNumber token', () => {
    const src = '80% 5k 2.5M 512MB 30s 2GiB 5min 10ms 1bn 3d 1h 7B 4KiB 2TB';
    expect(tokens(src)).toEqual(src.split(' ').map((t) => ['UnitNumber', t]));
  });

  it('a unit separated by a space, or a longer word, is not a unit', () => {
    expect(tokens('5 k')).toEqual([['Number', '5'], ['Identifier', 'k']]);
    expect(tokens('5kg')).toEqual([['Number', '5'], ['Identifier', 'kg']]);
    expect(tokens('5minutes')).toEqual([['Number', '5'], ['Identifier', 'minutes']]);
  });

  it('strings with escaped quotes are one token; an unclosed one is an UnterminatedString', () => {
    expect(tokens('"a \\"b\\" \\\\" x')).toEqual([['StringLit', '"a \\"b\\" \\\\"'], ['Identifier', 'x']]);
    expect(tokens('"abc\nnext')).toEqual([['UnterminatedString', '"abc'], ['Identifier', 'next']]);
  });

  it('keywords are their own tokens, but only as whole words', () => {
    expect(tokens('seed seeds recipe recipes source sources true truth null nullable in index')).toEqual([
      ['Seed', 'seed'],
      ['Identifier', 'seeds'],
      ['Recipe', 'recipe'],
      ['Identifier', 'recipes'],
      ['Source', 'source'],
      ['Identifier', 'sources'],
      ['True', 'true'],
      ['Identifier', 'truth'],
      ['Null', 'null'],
      ['Identifier', 'nullable'],
      ['In', 'in'],
      ['Identifier', 'index'],
    ]);
  });

  it('operators, longest first', () => {
    expect(tokenTypes('-> == != <= >= < > ~ = : , ; | . + - * ( ) [ ] { }')).toEqual([
      'Arrow', 'Eq2', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater', 'Tilde', 'Equals', 'Colon', 'Comma', 'Semicolon',
      'Pipe', 'Dot', 'Plus', 'Minus', 'Star', 'LParen', 'RParen', 'LBracket', 'RBracket', 'LBrace', 'RBrace',
    ]);
  });
});

describe('lexer: regex vs division', () => {
  it('`/…/flags` where a value may start is a regex, alternation and classes included', () => {
    expect(tokens('text ~ /a|b/i')).toEqual([['Identifier', 'text'], ['Tilde', '~'], ['Regex', '/a|b/i']]);
    expect(tokens('= /[/]x\\/y/gu')).toEqual([['Equals', '='], ['Regex', '/[/]x\\/y/gu']]);
    expect(tokens('[/x/, /y/]')).toEqual([['LBracket', '['], ['Regex', '/x/'], ['Comma', ','], ['Regex', '/y/'], ['RBracket', ']']]);
  });

  it('`/` after a value is a division', () => {
    expect(tokenTypes('a / b')).toEqual(['Identifier', 'Slash', 'Identifier']);
    expect(tokenTypes('a/b/c')).toEqual(['Identifier', 'Slash', 'Identifier', 'Slash', 'Identifier']);
    expect(tokenTypes('10 / 2 / 5')).toEqual(['Number', 'Slash', 'Number', 'Slash', 'Number']);
    expect(tokenTypes('(a) / 2')).toEqual(['LParen', 'Identifier', 'RParen', 'Slash', 'Number']);
    expect(tokenTypes('xs[0] / 2')).toEqual(['Identifier', 'LBracket', 'Number', 'RBracket', 'Slash', 'Number']);
    expect(tokenTypes('80% / 2')).toEqual(['UnitNumber', 'Slash', 'Number']);
    expect(tokenTypes('"s" / 2')).toEqual(['StringLit', 'Slash', 'Number']);
  });
});

describe('lexer: field paths vs member access', () => {
  it('a field path where a value may start is one token, with indexes', () => {
    expect(tokens('{ text: .body.text, m: .messages[0].content, x: .a[0][12].b }')).toEqual([
      ['LBrace', '{'],
      ['Identifier', 'text'],
      ['Colon', ':'],
      ['FieldPath', '.body.text'],
      ['Comma', ','],
      ['Identifier', 'm'],
      ['Colon', ':'],
      ['FieldPath', '.messages[0].content'],
      ['Comma', ','],
      ['Identifier', 'x'],
      ['Colon', ':'],
      ['FieldPath', '.a[0][12].b'],
      ['RBrace', '}'],
    ]);
  });

  it('`.` after a name is member access, not a field path', () => {
    expect(tokens('parts.train')).toEqual([['Identifier', 'parts'], ['Dot', '.'], ['Identifier', 'train']]);
    expect(tokens('lib.parts.test')).toEqual([
      ['Identifier', 'lib'],
      ['Dot', '.'],
      ['Identifier', 'parts'],
      ['Dot', '.'],
      ['Identifier', 'test'],
    ]);
  });
});

describe('lexer: comments and errors', () => {
  it('`#` comments and `##` prose go to the comments group, not the token stream', () => {
    const r = ftrLexer.tokenize('## prose here\ncell x = y # trailing\n# plain\n');
    expect(r.tokens.map((t) => t.image)).toEqual(['cell', 'x', '=', 'y']);
    expect(r.groups.comments.map((t) => [t.tokenType.name, t.image])).toEqual([
      ['Prose', '## prose here'],
      ['Comment', '# trailing'],
      ['Comment', '# plain'],
    ]);
  });

  it('a character outside the language is a lexing error with its position', () => {
    const r = ftrLexer.tokenize('cell x = y\ncell z = w @ 1');
    expect(r.errors).toHaveLength(1);
    expect([r.errors[0].line, r.errors[0].column, r.errors[0].length]).toEqual([2, 12, 1]);
    expect(r.tokens.map((t) => t.image)).toEqual(['cell', 'x', '=', 'y', 'cell', 'z', '=', 'w', '1']);
  });
});
