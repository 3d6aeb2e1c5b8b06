import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opsMarkdown } from '../../src/cli/ops-text.js';
import { registry } from '../../src/ops/registry.js';
import { ftr, ROOT } from '../helpers.js';

describe('op reference', () => {
  it('README section is generated from the current op declarations (run `npm run docs`)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- ops:start -->') + '<!-- ops:start -->'.length + 1, readme.indexOf('<!-- ops:end -->'));
    expect(section).toBe(opsMarkdown(registry));
  });

  it('`ftr ops --json` lists every op with its params', async () => {
    const r = await ftr('ops', '--json');
    const ops = JSON.parse(r.out) as { name: string; kind: string; params: { name: string; required: boolean }[] }[];
    expect(ops.map((o) => o.name).sort()).toEqual([...registry.keys()].sort());
    expect(ops.find((o) => o.name === 'split')).toMatchObject({ kind: 'global', params: expect.arrayContaining([expect.objectContaining({ name: 'ratios', required: false })]) });
    expect((await ftr('ops')).out).toContain('dedupe  (global, v3)');
  });
});
