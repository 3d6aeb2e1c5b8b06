/**
 * Pass 1 of checking: the recipe file and every file it `use`s, parsed, with the cells and params
 * they declare. A `use`d file's cells are named with its alias as a prefix (`lib.clean`).
 */
import { CODES } from '../parser/codes.js';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Item, RecipeFile, Span } from '../parser/ast.js';
import { diag, type Diagnostic } from '../parser/diagnostics.js';
import { parseRecipe } from '../parser/parse.js';
import { accessProblem, realPath } from '../core/sandbox.js';
import type { Grants } from './permissions.js';

export type CellItem = Extract<Item, { kind: 'cell' }>;
export type ParamItem = Extract<Item, { kind: 'param' }>;

/** A cell as declared, before checking: its full name (with a `use` prefix), where it lives. */
export interface CellDecl {
  name: string;
  item: CellItem;
  baseDir: string;
  file: string;
}

export interface RecipeFiles {
  /** the recipe's own AST (undefined when the file cannot be read) */
  main?: RecipeFile;
  decls: CellDecl[];
  paramItems: { item: ParamItem; file: string }[];
  /** file as shown in messages → its text */
  sources: Map<string, string>;
}

/** How the checker names a file in spans and messages: relative to the working directory. */
export const display = (abs: string) => relative(process.cwd(), abs) || abs;

/** `inMemory`: the reader serves files that need not exist on disk (tests). */
export function loadRecipeFiles(file: string, readFile: (path: string) => string, inMemory: boolean, diagnostics: Diagnostic[], grants?: Grants): RecipeFiles {
  const out: RecipeFiles = { decls: [], paramItems: [], sources: new Map() };
  const loading: string[] = [];
  const loaded = new Set<string>();
  const load = (abs: string, prefix: string, from?: Span): void => {
    if (loading.includes(abs)) {
      diagnostics.push(diag(CODES.USE_CYCLE, `\`use\` cycle: ${[...loading.slice(loading.indexOf(abs)), abs].map(display).join(' → ')}`, from!));
      return;
    }
    if (loaded.has(abs + '|' + prefix)) return;
    // a `use`d file outside the recipe's folder is decided before it is read
    const denied = from && grants ? accessProblem(abs, 'read', { root: realPath(dirname(file)), grants, packages: new Set() }) : undefined;
    if (denied !== undefined) {
      diagnostics.push(diag(CODES.READ_DENIED, `\`use\` would read \`${display(abs)}\`, outside the recipe's folder`, from!, { notes: [`resolves to ${denied}`], help: `if you trust this recipe, run with --allow-read=${relative(process.cwd(), denied) || '.'} (or --allow-read for any path)` }));
      return;
    }
    let text: string;
    try {
      text = readFile(abs);
    } catch (e) {
      if (from) diagnostics.push(diag(CODES.USE_NOT_FOUND, `cannot read \`${display(abs)}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, from));
      else throw e;
      return;
    }
    loaded.add(abs + '|' + prefix);
    loading.push(abs);
    const shown = display(abs);
    out.sources.set(shown, text);
    const parsed = parseRecipe(text, shown);
    diagnostics.push(...parsed.diagnostics);
    if (!out.main) out.main = parsed.ast;
    for (const item of parsed.ast.items) {
      if (item.kind === 'use') {
        const target = resolve(dirname(abs), item.path);
        if (!existsSync(target) && !inMemory) {
          diagnostics.push(diag(CODES.USE_NOT_FOUND, `cannot find \`${item.path}\``, item.pathSpan, { notes: [`looked for ${display(target)}`] }));
          continue;
        }
        load(target, item.alias ? `${prefix}${item.alias}.` : prefix, item.pathSpan);
      } else if (item.kind === 'cell') {
        out.decls.push({ name: prefix + item.name, item, baseDir: dirname(abs), file: shown });
      } else if (item.kind === 'param' && prefix === '' && abs === file) {
        out.paramItems.push({ item, file: shown });
      } else if (item.kind === 'param' && abs !== file) {
        out.paramItems.push({ item, file: shown });
      }
    }
    loading.pop();
  };
  load(file, '');
  return out;
}
