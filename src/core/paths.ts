/**
 * Paths as recipes write them: relative to the recipe's folder, absolute, or `pkg:NAME/…` inside
 * an installed npm package; and which params of an op hold paths. Pure: nothing is read here but
 * the existence of a package folder — and `matchFiles`, which lists what a path or glob names,
 * each file decided by the permission policy (src/core/sandbox.ts) before anything reads it.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { OpError, type ParamSpec, type SourceInput } from './op.js';
import { allowPackage, guard } from './sandbox.js';

/**
 * `pkg:NAME/rest` names files inside an installed npm package (a dataset shipped on the
 * registry); found by walking up from the recipe folder to a node_modules that has it.
 */
export function packageDir(name: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface ResolvedPath {
  /** absolute path or glob */
  abs: string;
  /** for pkg: paths, the package folder and the label prefix */
  pkg?: { dir: string; label: string };
}

export function resolvePath(pattern: string, baseDir: string): ResolvedPath {
  const m = /^pkg:((?:@[^/]+\/)?[^/]+)\/?(.*)$/.exec(pattern);
  if (m) {
    const dir = packageDir(m[1], baseDir);
    if (!dir) return { abs: join(baseDir, 'node_modules', m[1], m[2]), pkg: { dir: join(baseDir, 'node_modules', m[1]), label: `pkg:${m[1]}` } };
    return { abs: join(dir, m[2]), pkg: { dir, label: `pkg:${m[1]}` } };
  }
  return { abs: isAbsolute(pattern) ? pattern : resolve(baseDir, pattern) };
}

/** The path strings a param holds: one for a path param, each item of a list of paths. */
export function pathsOf(spec: ParamSpec, value: unknown): { paths: string[]; access: 'read' | 'write' } | undefined {
  const t = spec.type.kind === 'list' ? spec.type.of : spec.type;
  // a rules block names the lexicon files its rules read (src/check/rules.ts)
  if (t.kind === 'rules') {
    const files = (value as { files?: unknown } | undefined)?.files;
    return Array.isArray(files) && files.length ? { paths: files.filter((v): v is string => typeof v === 'string'), access: 'read' } : undefined;
  }
  if (t.kind !== 'path') return undefined;
  const values = Array.isArray(value) ? value : [value];
  return { paths: values.filter((v): v is string => typeof v === 'string'), access: t.access ?? 'read' };
}

/**
 * The files a path, folder or glob names, sorted; each is decided by the permission policy on
 * its real path, and only regular files are read (a FIFO or device would block the run).
 */
export function matchFiles(pattern: string, baseDir: string): SourceInput[] {
  const { abs, pkg } = resolvePath(pattern, baseDir);
  if (pkg) allowPackage(pkg.dir);
  let paths: string[];
  if (isDynamicPattern(pattern)) {
    paths = pkg
      ? globSync(relative(pkg.dir, abs).split('\\').join('/'), { cwd: pkg.dir, absolute: true, onlyFiles: true, dot: false })
      : globSync(pattern, { cwd: baseDir, absolute: true, onlyFiles: true, dot: false });
  } else if (existsSync(abs) && statSync(abs).isDirectory()) {
    paths = globSync('**/*', { cwd: abs, absolute: true, onlyFiles: true });
  } else {
    paths = existsSync(abs) ? [abs] : [];
  }
  // sorted by relative path, so the dataset does not depend on directory order
  // labels become row ids: relative to the recipe, or to the package, never machine-specific
  const labelOf = (p: string) => (pkg ? `${pkg.label}/${relative(pkg.dir, p)}` : relative(baseDir, p)).split('\\').join('/');
  for (const p of paths) {
    guard(p, 'read', labelOf(p));
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // a dangling link: the reader reports it
    }
    if (!st.isFile()) throw new OpError(`\`${labelOf(p)}\` is not a regular file (${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a device'}): ftr reads only regular files`);
  }
  return paths
    .map((p) => ({ path: p, label: labelOf(p) }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
