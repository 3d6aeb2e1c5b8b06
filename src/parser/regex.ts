/**
 * Regular expressions written in recipes run on user data, so they run in linear time: through
 * RE2 (the `re2js` port, pure JS), which has no backtracking — `/(a+)+$/` on 40 `a`s and a `b`
 * takes microseconds instead of hours. RE2 has no backreferences and no lookahead; `ftr check`
 * says so, with a way around. Without re2js installed, JavaScript's engine is used (and
 * `regexEngine()` says so).
 */
import { createRequire } from 'node:module';

/** What re2js exports that ftr uses (typed here, so building needs no package). */
interface Re2Matcher {
  find(): boolean;
  start(): number;
  end(): number;
}
interface Re2Pattern {
  matcher(input: string): Re2Matcher;
  test?(input: string): boolean;
}
interface Re2Static {
  compile(source: string, flags?: number): Re2Pattern;
  CASE_INSENSITIVE: number;
  DOTALL: number;
  MULTILINE: number;
}

let re2: Re2Static | undefined;
try {
  re2 = (createRequire(import.meta.url)('re2js') as { RE2JS: Re2Static }).RE2JS;
} catch {
  re2 = undefined;
}

export function regexEngine(): 're2' | 'javascript' {
  return re2 ? 're2' : 'javascript';
}

/** A compiled recipe regex: whether it matches, and where (UTF-16 offsets, like String). */
export interface RecipeRegex {
  readonly source: string;
  readonly flags: string;
  test(text: string): boolean;
  /** every non-empty match, left to right */
  matches(text: string): { start: number; end: number }[];
}

export class RegexError extends Error {
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

/** A feature RE2 lacks, found in the source: its name and a way around it. */
function unsupported(source: string): { what: string; help: string } | undefined {
  // skip escaped characters and character classes, then look for the syntax
  const plain = source.replace(/\\./g, '__').replace(/\[(?:\\.|[^\]\\])*\]/g, '_');
  if (/\\[1-9]/.test(source.replace(/\\\\/g, '')) || /\\k</.test(source)) return { what: 'backreferences (\\1, \\k<name>)', help: 'match each alternative explicitly (`(?:aa|bb)` instead of `(a|b)\\1`), or compare columns with an expression' };
  if (/\(\?[=!]/.test(plain)) return { what: 'lookahead ((?=…), (?!…))', help: 'match the following text too and use a group, or combine two conditions: `text ~ /a/ and not (text ~ /b/)`' };
  if (/\(\?<[=!]/.test(plain)) return { what: 'lookbehind ((?<=…), (?<!…))', help: 'match the preceding text too, or combine two conditions with `and` / `not`' };
  return undefined;
}

const FLAG_OK = /^[gimsuyd]*$/;

/**
 * Why `source` cannot be a recipe regex, or undefined: invalid syntax, a flag ftr does not
 * know, or a feature the linear-time engine lacks (with a suggestion).
 */
export function regexProblem(source: string, flags: string): { message: string; help?: string } | undefined {
  try {
    recipeRegex(source, flags);
    return undefined;
  } catch (e) {
    return { message: (e as Error).message, help: (e as RegexError).help };
  }
}

const cache = new Map<string, RecipeRegex>();

/** Compile (cached: a regex built from a column value per row is compiled once per distinct value). */
export function recipeRegex(source: string, flags = ''): RecipeRegex {
  const key = `${flags}/${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const made = compile(source, flags);
  if (cache.size > 1000) cache.clear();
  cache.set(key, made);
  return made;
}

function compile(source: string, flags: string): RecipeRegex {
  if (!FLAG_OK.test(flags)) throw new RegexError(`invalid regex flags \`${flags}\``, 'use i (ignore case), s (. matches newlines), m (^ and $ at line ends)');
  try {
    new RegExp(source, flags.replace(/[gyd]/g, '') + 'u');
  } catch (e) {
    // not valid JavaScript syntax either way: the plain message (without the `u` flag, when that is the difference)
    try {
      new RegExp(source, flags.replace(/[gyd]/g, ''));
    } catch {
      throw new RegexError(`invalid regex: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  }
  const missing = unsupported(source);
  if (re2 && missing) throw new RegexError(`this regex uses ${missing.what}, which ftr's linear-time regex engine (RE2) does not support`, missing.help);
  if (!re2) return nativeRegex(source, flags);
  const R = re2;
  let pattern: Re2Pattern;
  try {
    pattern = R.compile(source, (flags.includes('i') ? R.CASE_INSENSITIVE : 0) | (flags.includes('s') ? R.DOTALL : 0) | (flags.includes('m') ? R.MULTILINE : 0));
  } catch (e) {
    throw new RegexError(`this regex is not supported by ftr's linear-time regex engine (RE2): ${(e as Error).message}`, 'RE2 has no backreferences, lookahead or lookbehind; rewrite without them');
  }
  return {
    source,
    flags,
    test: (text) => pattern.matcher(text).find(),
    matches(text) {
      const m = pattern.matcher(text);
      const out: { start: number; end: number }[] = [];
      while (m.find()) if (m.end() > m.start()) out.push({ start: m.start(), end: m.end() });
      return out;
    },
  };
}

function nativeRegex(source: string, flags: string): RecipeRegex {
  const once = new RegExp(source, flags.replace(/[gy]/g, ''));
  const all = new RegExp(source, flags.replace(/[gy]/g, '') + 'g');
  return {
    source,
    flags,
    test: (text) => once.test(text),
    matches(text) {
      const out: { start: number; end: number }[] = [];
      all.lastIndex = 0;
      let hit: RegExpExecArray | null;
      while ((hit = all.exec(text))) {
        if (hit[0].length === 0) {
          all.lastIndex++;
          continue;
        }
        out.push({ start: hit.index, end: hit.index + hit[0].length });
      }
      return out;
    },
  };
}
