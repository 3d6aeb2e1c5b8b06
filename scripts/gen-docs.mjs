// Rewrites the README's op reference from the op declarations, and docs/errors.md from the
// diagnostic code table (run after `npm run build`).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { registry } from '../dist/ops/registry.js';
import { opsMarkdown } from '../dist/cli/ops-text.js';
import { CODES } from '../dist/parser/codes.js';

const readme = readFileSync('README.md', 'utf8');
const start = '<!-- ops:start -->';
const end = '<!-- ops:end -->';
const next = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + opsMarkdown(registry) + readme.slice(readme.indexOf(end));
if (next !== readme) writeFileSync('README.md', next);

const errors = [
  '# Diagnostic codes',
  '',
  'Every code `ftr check` and `ftr run` report, generated from `src/parser/codes.ts` (`npm run docs`). `ftr explain-error CODE` prints the same text.',
  '',
  ...Object.values(CODES).flatMap((c) => [`## ${c.code}: ${c.title}`, '', c.explanation, '']),
].join('\n');
mkdirSync('docs', { recursive: true });
writeFileSync('docs/errors.md', errors);
