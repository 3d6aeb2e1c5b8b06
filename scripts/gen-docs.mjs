// Rewrites the README's op reference from the op declarations (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { registry } from '../dist/ops/registry.js';
import { opsMarkdown } from '../dist/cli/ops-text.js';

const readme = readFileSync('README.md', 'utf8');
const start = '<!-- ops:start -->';
const end = '<!-- ops:end -->';
const next = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + opsMarkdown(registry) + readme.slice(readme.indexOf(end));
if (next !== readme) writeFileSync('README.md', next);
