// Regenerates the grammar reference from the parser (run after `npm run build`):
//   grammar/grammar.ebnf    EBNF of the parser's rules (src/parser/ebnf.ts)
//   grammar/railroad.html   Chevrotain's railroad diagrams, loading grammar/diagrams/ (works offline)
//   grammar/diagrams/       the diagram scripts, stylesheet and licence, copied from node_modules/chevrotain
// grammar/ftr.tmLanguage.json is written by hand.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { grammarEbnf, railroadHtml } from '../dist/parser/ebnf.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'grammar');
// chevrotain's package root (its exports map hides package.json): lib/src/api.js → ../../
const chevrotain = join(dirname(fileURLToPath(import.meta.resolve('chevrotain'))), '..', '..');

const DIAGRAM_FILES = ['diagrams.css', 'vendor/railroad-diagrams.js', 'src/diagrams_builder.js', 'src/diagrams_behavior.js', 'src/main.js'];

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  let old;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) {
    writeFileSync(path, text);
    console.log(`wrote ${path.slice(root.length + 1)}`);
  }
}

for (const f of DIAGRAM_FILES) write(join(out, 'diagrams', f), readFileSync(join(chevrotain, 'diagrams', f), 'utf8'));
write(join(out, 'diagrams', 'LICENSE-chevrotain.txt'), readFileSync(join(chevrotain, 'LICENSE.txt'), 'utf8'));
write(join(out, 'railroad.html'), railroadHtml('diagrams/'));
write(join(out, 'grammar.ebnf'), grammarEbnf());
