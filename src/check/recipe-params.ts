/**
 * Passes 2 and 3 of checking: the recipe's header (`recipe`, `seed`) and its params, with
 * `--set` overrides parsed as literals of each param's kind.
 */
import { CODES } from '../parser/codes.js';
import { basename } from 'node:path';
import type { RecipeFile, Span } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { parseRecipe } from '../parser/parse.js';
import { closest } from '../parser/suggest.js';
import type { ParamItem } from './files.js';
import { literal } from './params.js';

/** A mistake on the command line (not in the recipe): exit 2. */
export class UsageError extends Error {}

export function readHeader(main: RecipeFile, file: string, diagnostics: Diagnostic[]): { recipeName: string; seed: number } {
  let recipeName = basename(file).replace(/\.ftr$/, '');
  let seed = 0;
  const seen = new Map<string, Span>();
  for (const item of main.items) {
    if (item.kind !== 'recipe' && item.kind !== 'seed') continue;
    const prev = seen.get(item.kind);
    if (prev) diagnostics.push(diag(CODES.DUPLICATE, `\`${item.kind}\` is set twice`, item.span, { notes: [`first set at line ${prev.start.line}`] }));
    seen.set(item.kind, item.span);
    if (item.kind === 'recipe') recipeName = item.name;
    else if (!Number.isSafeInteger(item.value) || item.value < 0) diagnostics.push(diag(CODES.OUT_OF_RANGE, 'the seed must be a whole number ≥ 0', item.span));
    else seed = item.value;
  }
  return { recipeName, seed };
}

export function recipeParams(paramItems: { item: ParamItem }[], set: Record<string, string>, diagnostics: Diagnostic[]): { constants: Map<string, unknown>; paramSpans: Map<string, Span> } {
  const constants = new Map<string, unknown>();
  const paramSpans = new Map<string, Span>();
  for (const { item } of paramItems) {
    if (paramSpans.has(item.name)) {
      diagnostics.push(diag(CODES.DUPLICATE, `param \`${item.name}\` is declared twice`, item.nameSpan));
      continue;
    }
    paramSpans.set(item.name, item.nameSpan);
    const v = literal(item.value, { constants } as never);
    if (v === undefined) diagnostics.push(diag(CODES.BAD_VALUE, `param \`${item.name}\` needs a literal value (string, number, list, record…)`, item.value.span));
    constants.set(item.name, v ?? null);
  }
  for (const [name, text] of Object.entries(set)) {
    if (!constants.has(name)) {
      throw new UsageError(`--set ${name}: the recipe has no param \`${name}\`${(() => { const c = closest(name, constants.keys()); return c ? `; did you mean \`${c}\`?` : ''; })()}`);
    }
    constants.set(name, parseOverride(name, text, constants.get(name)));
  }
  return { constants, paramSpans };
}

/** A `--set` value: parsed as an .ftr literal of the param's kind (a string param takes the text as is). */
function parseOverride(name: string, text: string, current: unknown): unknown {
  if (typeof current === 'string' || current === null) return text;
  const parsed = parseRecipe(`param __set = ${text}`, '--set');
  const item = parsed.ast.items[0];
  const v = parsed.diagnostics.length === 0 && item?.kind === 'param' ? literal(item.value) : undefined;
  const kind = (x: unknown) => (Array.isArray(x) ? 'list' : x === null ? 'null' : typeof x);
  if (v === undefined || kind(v) !== kind(current)) {
    throw new UsageError(`--set ${name}=${text}: \`${name}\` is a ${kind(current)} (default ${JSON.stringify(current)}), and \`${text}\` is not`);
  }
  return v;
}
