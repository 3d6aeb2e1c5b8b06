import type { Diagnostic } from '../parser/diagnostics.js';
import { parseRecipe } from '../parser/parse.js';

/** Canonical text of a recipe, or its syntax errors (a file that does not parse is left alone). */
export function formatFile(text: string, file: string): { text?: string; diagnostics: Diagnostic[] } {
  const { diagnostics } = parseRecipe(text, file);
  if (diagnostics.length) return { diagnostics };
  return { text, diagnostics };
}
