/** Resolving a source's path or glob to files, at check time and at run time. */
import { existsSync, statSync } from 'node:fs';
import { allowPackage, guard } from '../../core/sandbox.js';
import { OpError } from '../types.js';
import { dirname, relative } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import type { Params, SchemaContext, SourceInput } from '../types.js';

export { packageDir, resolvePath, type ResolvedPath } from '../../core/paths.js';
import { resolvePath } from '../../core/paths.js';

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

/** Check-time: report a path that matches nothing, before any data is read. */
export function checkFilesExist(ctx: SchemaContext, param = 'path'): SourceInput[] {
  const pattern = ctx.params[param] as string;
  let files: SourceInput[];
  try {
    files = matchFiles(pattern, ctx.baseDir);
  } catch (e) {
    if (!(e instanceof OpError) || e.name === 'PermissionError' || (e as { flag?: string }).flag) throw e;
    ctx.error(param, e.message, { help: 'name a regular file, a folder of files or a glob' });
    return [];
  }
  if (!files.length) {
    const { abs, pkg } = resolvePath(pattern, ctx.baseDir);
    if (!isDynamicPattern(pattern) && existsSync(abs) && statSync(abs).isDirectory()) {
      ctx.error(param, `\`${pattern}\` is a folder, and it holds no files`, { label: 'a folder, not a file', help: 'put the data files in it, or name a file' });
      return files;
    }
    // another cell writes it: read when the run gets here (columns are then not known before)
    if (ctx.producer?.(isDynamicPattern(pattern) ? dirname(abs.split(/[*?{[]/)[0] + 'x') : abs)) return files;
    if (pkg && !existsSync(pkg.dir)) {
      ctx.error(param, `package \`${pkg.label.slice(4)}\` is not installed`, { help: `npm install ${pkg.label.slice(4)}` });
      return files;
    }
    ctx.error(param, isDynamicPattern(pattern) ? `no files match \`${pattern}\`` : `file not found: \`${pattern}\``, {
      label: 'nothing to read here',
      notes: [`looked in ${relative(process.cwd(), isDynamicPattern(pattern) ? ctx.baseDir : abs) || '.'}`, 'paths are relative to the recipe file'],
    });
  }
  return files;
}

/** `inputs` of a source whose `path` param names its files. */
export async function pathInputs(params: Params, ctx: { baseDir: string }): Promise<SourceInput[]> {
  return matchFiles(params.path as string, ctx.baseDir);
}
